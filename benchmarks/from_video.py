"""Music scored to a video (``emogen music --from-video``): length, emotion followed, and time.

    EMOGEN_DATA=../shared/data python benchmarks/from_video.py [--clips 6] [--seconds 30] [--threads 2]

Clips are made here from real data: each is ``--seconds`` long, in two halves, each half a
London-set photo (smiling or neutral) held still over a RAVDESS take of a matching emotion
(happy or sad/angry/calm), the takes of one actor repeated to fill the half. For each clip the
score is written as ``music --from-video`` does (``emogen.sources.score``) and measured:

- length: the piece's end against the video's duration, in beats (floor: within 1 beat);
- emotion followed: the piece is cut into 8-bar sections; a section matches when the EMOPIA
  quadrant classifier's quadrant of its notes is the quadrant of the video's emotion over the
  same span (the signs of the mean valence and arousal of the emotion the score follows there,
  the reading at full strength; floor >= 0.7 of sections). A mostly neutral span has no mood to
  follow and is not judged (neutral sits on the valence boundary); the count is reported;
- time: wall-clock seconds of reading the video, writing the piece, rendering its audio and
  muxing it under the video, on ``--threads`` torch threads (floor < 10 s on 2 cores for 30 s).
  The whole command (start-up, imports and model loading included) is timed once on clip 0.
  Timings are only meaningful on a quiet machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

HALVES = [("smiling", "happy"), ("neutral", "sad"), ("smiling", "happy"), ("neutral", "angry"),
          ("neutral", "calm"), ("smiling", "happy")]
RAVDESS_CODE = {"neutral": "01", "calm": "02", "happy": "03", "sad": "04", "angry": "05"}


def ravdess_take(root: Path, actor: int, emotion: str, seconds: float, rate: int = 24000) -> np.ndarray:
    """The actor's takes of ``emotion`` (strong intensity first) joined with short pauses, cut to ``seconds``."""
    import soundfile as sf

    folder = root / "speech" / "ravdess" / f"Actor_{actor:02d}"
    takes = sorted(folder.glob(f"03-01-{RAVDESS_CODE[emotion]}-*.flac"), key=lambda p: p.name.split("-")[3] != "02")
    pieces = []
    while sum(len(p) for p in pieces) < seconds * rate:
        for take in takes:
            audio, sr = sf.read(take, dtype="float32")
            pieces += [audio if audio.ndim == 1 else audio.mean(1), np.zeros(int(0.3 * rate), np.float32)]
    return np.concatenate(pieces)[:int(seconds * rate)]


def make_clip(path: Path, root: Path, person: str, halves, actor: int, seconds: float, fps: int = 25) -> None:
    """A ``seconds`` long mp4: per half, the person's photo (``kind``) over the actor's ``emotion`` takes."""
    from emogen.face.analysis import load_image
    from emogen.face.video import VideoWriter

    half = seconds / len(halves)
    audio = np.concatenate([ravdess_take(root, actor, emotion, half) for _, emotion in halves])
    images = [load_image(root / "faces" / "london" / f"{person}_{kind}.jpg") for kind, _ in halves]
    h, w = images[0].shape[:2]
    with VideoWriter(path, fps=fps, size=(w - w % 2, h - h % 2), audio=audio, sample_rate=24000,
                     preset="ultrafast") as writer:
        for i in range(int(round(seconds * fps))):
            writer.write(images[min(len(images) - 1, int(i / fps / half))][:h - h % 2, :w - w % 2])


def video_quadrants(emotion, duration: float, spans: list[tuple[float, float]]) -> list[int | None]:
    """The quadrant of ``emotion`` (its VAD point) averaged over each span (s); None where the
    span is mostly neutral (no mood to follow; neutral sits on the valence boundary)."""
    from emogen.emotion import EmotionSpec
    from emogen.emotion.space import NEUTRAL, category
    from emogen.music.data import quadrant_of

    out = []
    for a, b in spans:
        points, neutral_share = [], []
        for t in np.linspace(a, b, 9):
            pairs = [(emotion, 1.0)] if isinstance(emotion, EmotionSpec) else emotion.weights_at(t, duration)
            points.append(np.sum([w * np.array(s.vad_offset()) for s, w in pairs], axis=0))
            neutral_share.append(sum(w for s, w in pairs if s.is_neutral))
        v, a_, _ = np.mean(points, axis=0) + np.array(category(NEUTRAL).vad)
        out.append(None if np.mean(neutral_share) > 0.5 else quadrant_of(v, a_))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="write results/from_video.md and the docs block")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from emogen.eval.music import QuadrantClassifier
    from emogen.io import shared_data_root
    from emogen.sources.face import london_ids
    from emogen.sources.music import _window
    from emogen.sources.score import score_video

    root = shared_data_root()
    people = london_ids(root)[len(london_ids(root)) // 2:]  # people the face norms never saw
    classifier = QuadrantClassifier.from_pretrained("music-quadrant-classifier")
    rows, matches, sections, neutral_sections, beats_off, seconds = [], 0, 0, 0, [], []
    with tempfile.TemporaryDirectory(prefix="emogen-bench-") as tmp:
        for c in range(args.clips):
            halves = [HALVES[(c + k) % len(HALVES)] for k in range(2)]
            clip = Path(tmp) / f"clip{c}.mp4"
            make_clip(clip, root, people[c % len(people)], halves, actor=1 + (c * 3) % 20,
                      seconds=args.seconds)
            started = time.perf_counter()
            score = score_video(clip, seed=c)
            audio = score.piece.render_audio(44100)
            score.save_mux(clip, Path(tmp) / f"scored{c}.mp4", audio=audio)
            seconds.append(time.perf_counter() - started)
            piece = score.piece
            beat = 60.0 / piece.tempo
            beats_off.append(abs(piece.midi.get_end_time() - score.duration) / beat)
            bar = 4 * beat
            starts = np.arange(0, score.duration - 4 * bar + 1e-6, 8 * bar)  # a last section of >= 4 bars counts
            spans = [(s, min(s + 8 * bar, score.duration)) for s in starts]
            want = video_quadrants(score.emotion, score.duration, spans)
            got = [int(classifier.predict_proba([_window(piece.midi, a, b)])[0].argmax() + 1) for a, b in spans]
            matches += sum(w == g for w, g in zip(want, got) if w is not None)
            sections += sum(w is not None for w in want)
            neutral_sections += sum(w is None for w in want)
            rows.append((c, " / ".join(f"{k}+{e}" for k, e in halves), str(score.reading.emotion)[:60],
                         " ".join("-" if q is None else f"Q{q}" for q in want), " ".join(f"Q{q}" for q in got),
                         f"{beats_off[-1]:.2f}",
                         f"{seconds[-1]:.1f}"))
            print(*rows[-1], sep=" | ", flush=True)
        # the whole command once, as a user runs it: Python start-up, imports and model loading included
        import os
        import subprocess

        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "emogen", "music", "--from-video", str(Path(tmp) / "clip0.mp4"),
                        "-o", str(Path(tmp) / "cli.mid"), "--wav", str(Path(tmp) / "cli.wav"), "--mux",
                        str(Path(tmp) / "cli.mp4")], check=True, capture_output=True,
                       env={**os.environ, "OMP_NUM_THREADS": str(args.threads)})
        command_seconds = time.perf_counter() - started
    share = matches / max(sections, 1)
    print(f"sections matching the video's quadrant: {matches}/{sections} = {share:.2f} (floor 0.7; "
          f"{neutral_sections} neutral sections not judged); "
          f"worst length error {max(beats_off):.2f} beats (floor 1); median time {np.median(seconds):.1f} s "
          f"(floor 10 s on 2 cores, quiet machine only); the whole command {command_seconds:.1f} s")
    if args.write:
        from common import markdown_table, write_results

        table = markdown_table(["clip", "halves (photo + voice)", "read emotion", "video quadrants",
                                "music quadrants", "length error (beats)", "seconds"], rows)
        write_results("from_video", "Music scored to a video (music --from-video)", table,
                      {"section_match": share, "sections": sections, "neutral_sections": neutral_sections,
                       "max_beats_off": max(beats_off),
                       "median_seconds": float(np.median(seconds)), "command_seconds": command_seconds,
                       "threads": args.threads},
                      notes=f"Seconds: reading the video, writing the piece, rendering and muxing, models loaded "
                            f"(the first clip also loads them); the whole `emogen music --from-video` command on "
                            f"clip 0, start-up included: {command_seconds:.1f} s. {args.threads} torch threads.")


if __name__ == "__main__":
    main()
