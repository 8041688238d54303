"""The Gradio app: tabs Speech, Talking head, Music, Scene, each with the same emotion controls.

``build_app()`` returns the ``gr.Blocks``; ``launch()`` starts it (``emogen demo``). The work is
done by :mod:`emogen.app.functions`; this file only lays out components and wires events. Each
generate button is also an API endpoint (``/tts``, ``/talk``, ``/music``, ``/scene``) for
``gradio_client``.
"""

from __future__ import annotations

import functools
import inspect

import gradio as gr

from ..checks import DEFAULT_TEMPO, TEMPO
from ..emotion import CATEGORY_NAMES
from ..speech.voices import DEFAULT_VOICE, voice_names
from . import functions as fx

SPEC_HELP = ("Optional, overrides the controls above: any spec, e.g. 'sad:0.7', 'happy:0.6+surprised:0.4', "
             "'neutral>sad', 'happy@0,sad@3.5', 'wistful', or 'auto' (read from the text)")
TIME_SIGNATURES = ["4/4", "3/4", "2/4", "6/8"]


def _with_progress(fn):
    """``fn`` with its ``progress`` parameter defaulting to ``gr.Progress()`` (Gradio then passes
    the page's progress bar in)."""
    sig = inspect.signature(fn)
    params = [p.replace(default=gr.Progress()) if p.name == "progress" else p for p in sig.parameters.values()]

    @functools.wraps(fn)
    def handler(*args, **kwargs):
        return fn(*args, **kwargs)

    handler.__signature__ = sig.replace(parameters=params)
    return handler


def emotion_controls(tab: str, default: str = "happy"):
    """The emotion picker, intensity, dimensional sliders, second emotion + mix, free spec and the
    valence-arousal plane. Returns the input components in ``functions.build_spec`` order."""
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Row():
                emotion = gr.Dropdown(list(CATEGORY_NAMES), value=default, label="Emotion",
                                      elem_id=f"{tab}-emotion")
                intensity = gr.Slider(0.0, 1.0, value=0.7, step=0.05, label="Intensity",
                                      elem_id=f"{tab}-intensity")
            dimensional = gr.Checkbox(False, label="Dimensional: set valence / arousal / dominance instead")
            with gr.Row(visible=False) as dims:
                valence = gr.Slider(-1.0, 1.0, value=0.5, step=0.05, label="Valence")
                arousal = gr.Slider(-1.0, 1.0, value=0.0, step=0.05, label="Arousal")
                dominance = gr.Slider(-1.0, 1.0, value=0.0, step=0.05, label="Dominance")
            with gr.Row():
                second = gr.Dropdown(list(fx.SECOND_CHOICES), value=fx.NONE, label="Second emotion")
                mix = gr.Slider(0.0, 1.0, value=0.0, step=0.05, label="Mix (share of the second emotion)")
            spec = gr.Textbox("", label="Spec", placeholder=SPEC_HELP, max_lines=1, elem_id=f"{tab}-spec")
        with gr.Column(scale=2, min_width=200):
            # drawn when the page loads (build_app), so matplotlib stays off the start-up path
            plane = gr.Image(None, label="Valence-arousal plane", interactive=False, show_label=True, height=260,
                             elem_id=f"{tab}-plane")
    controls = [emotion, intensity, dimensional, valence, arousal, dominance, second, mix, spec]
    for c in controls:
        c.change(fx.plane_image, controls, plane, queue=False, trigger_mode="always_last",
                 api_visibility="private", show_progress="hidden")
    dimensional.change(lambda on: gr.update(visible=on), dimensional, dims, queue=False, api_visibility="private")
    _planes.append((controls, plane))
    return controls


def sampling_controls(guidance: float, steps: int, negative_scale: float):
    """Negative emotion + scale, guidance scale, steps, seed."""
    with gr.Accordion("Guidance and sampling", open=False):
        with gr.Row():
            negative = gr.Dropdown(list(fx.SECOND_CHOICES), value=fx.NONE, label="Negative emotion (steer away)")
            negative_scale = gr.Slider(0.0, 3.0, value=negative_scale, step=0.1, label="Negative scale")
        with gr.Row():
            guidance_scale = gr.Slider(0.0, 10.0, value=guidance, step=0.25, label="Guidance scale (1 = none)")
            steps_ = gr.Slider(1, 50, value=steps, step=1, label="Steps")
            seed = gr.Number(0, precision=0, minimum=0, label="Seed")
    return [negative, negative_scale, guidance_scale, steps_, seed]


_planes: list = []  # (controls, plane image) of each tab, filled in when the page loads


def build_app() -> gr.Blocks:
    _planes.clear()
    with gr.Blocks(title="emogen") as app:
        gr.Markdown("# emogen\nSpeech, talking heads and music with one controllable emotion space.")
        with gr.Tab("Speech"):
            text = gr.Textbox("I can't believe you remembered my birthday.", label="Text", lines=2,
                              elem_id="tts-text")
            emo = emotion_controls("tts")
            samp = sampling_controls(1.0, 3, 1.0)  # speech.pipeline.DEFAULT_STEPS (importing it loads diffusers)
            speed = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="Speed")
            voice = gr.Dropdown(voice_names(installed=True), value=DEFAULT_VOICE, label="Voice", elem_id="tts-voice")
            button = gr.Button("Generate speech", variant="primary", elem_id="tts-generate")
            audio = gr.Audio(type="filepath", label="Speech", elem_id="tts-audio", interactive=False)
            button.click(_with_progress(fx.speech), [text, *emo, *samp, speed, voice], audio, api_name="tts")

        with gr.Tab("Talking head"):
            with gr.Row():
                text = gr.Textbox("Hello! It is so good to see you again.", label="Text", lines=2)
                image = gr.Image(type="filepath", label="Face photo (optional; built-in portrait if empty)")
            emo = emotion_controls("talk")
            samp = sampling_controls(1.0, 10, 1.0)
            speed = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="Speed")
            button = gr.Button("Generate video", variant="primary", elem_id="talk-generate")
            video = gr.Video(label="Talking head", elem_id="talk-video", interactive=False)
            button.click(_with_progress(fx.talk), [text, image, *emo, *samp, speed], video, api_name="talk")

        with gr.Tab("Music"):
            emo = emotion_controls("music", default="calm")
            samp = sampling_controls(3.0, 12, 0.5)
            with gr.Row():
                bars = gr.Slider(1, 64, value=8, step=1, label="Bars")
                key = gr.Textbox("", label="Key (optional, e.g. 'C', 'F# minor')", max_lines=1)
                tempo = gr.Slider(*TEMPO, value=DEFAULT_TEMPO, step=1, label="Tempo (BPM)")
                time_signature = gr.Dropdown(TIME_SIGNATURES, value="4/4", label="Time signature")
            button = gr.Button("Generate music", variant="primary", elem_id="music-generate")
            with gr.Row():
                midi = gr.File(label="MIDI", elem_id="music-midi")
                preview = gr.Audio(type="filepath", label="Audio preview", interactive=False)
            roll = gr.Image(label="Piano roll", interactive=False)
            button.click(_with_progress(fx.music), [*emo, *samp, bars, key, tempo, time_signature],
                         [midi, preview, roll], api_name="music")

        with gr.Tab("Scene"):
            gr.Markdown("One emotion drives the voice, the face and a music bed (ducked under the voice).")
            with gr.Row():
                text = gr.Textbox("I waited all day by the window, and nobody came.", label="Script", lines=3)
                image = gr.Image(type="filepath", label="Face photo (optional)")
            emo = emotion_controls("scene", default="sad")
            samp = sampling_controls(1.0, 10, 1.0)
            with gr.Row():
                with_music = gr.Checkbox(True, label="Music bed")
                music_volume = gr.Slider(0.0, 1.0, value=0.25, step=0.05, label="Music volume (re the voice)")
                bars = gr.Slider(0, 64, value=0, step=1, label="Bars (0 = as long as the speech)")
            button = gr.Button("Generate scene", variant="primary", elem_id="scene-generate")
            video = gr.Video(label="Scene", elem_id="scene-video", interactive=False)
            button.click(_with_progress(fx.scene), [text, image, *emo, *samp, with_music, music_volume, bars],
                         video, api_name="scene")
        for controls, plane in _planes:
            app.load(fx.plane_image, controls, plane, queue=False, api_visibility="private", show_progress="hidden")
    return app


def launch(host: str = "127.0.0.1", port: int | None = None, share: bool = False, preload: bool = True,
           **kwargs):
    """Build and serve the app (blocks until stopped unless ``prevent_thread_lock=True``). With
    ``preload`` the speech and music models load in the background while the page comes up."""
    if preload and not fx.preloading():
        fx.preload(("tts", "music"))
    app = build_app()
    app.queue(default_concurrency_limit=1)
    return app.launch(server_name=host, server_port=port, share=share, show_error=False, **kwargs)
