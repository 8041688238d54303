"""The speech-emotion classifier: acoustic cues relative to the same speaker's neutral speech ->
emotion probabilities, trained on RAVDESS; ``emogen.eval`` uses it to judge generated speech.

- ``data.py``: RAVDESS clips as relative feature rows, speaker folds, the Dataset.
- ``encoder.py``: a pretrained speech encoder's features (Whisper tiny.en's, through faster-whisper)
  beside the cues, for the checkpoint that names one (``ser-ravdess-whisper``).
- ``model.py``: :class:`~emogen.ser.model.SERModel` (features -> logits).
- ``task.py``: ``emogen train ser`` and cross-validation over actors.
- ``pipeline.py``: :class:`~emogen.ser.pipeline.SERPipeline` (audio + neutral reference -> emotion
  probabilities), what ``emogen eval speech --reference-neutral`` and the benchmarks use.
- ``cli.py``: ``emogen ser FILES --reference-neutral REF [REF ...]``, the recogniser on its own.

The features themselves (:func:`emogen.speech.cues.clip_features`) live in ``emogen.speech``,
which also uses them to size the emotional rendering of its training corpus.
"""
