"""Measuring emotion in what emogen generates (offline, no pretrained weights).

``emogen.eval.music``: symbolic features (Krumhansl-Kessler key and mode, note density,
velocity, tempo, pitch, durations) and the EMOPIA 4-quadrant classifier built on them.
"""
