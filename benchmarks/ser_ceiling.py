"""How much of real actors' emotion a neutral natural source can carry once moved: the ceiling of the
natural stage's design (a neutral recording moved by prosody and a spectral filter), with every
change taken from the actors themselves instead of from a model.

For each RAVDESS actor in ``$EMOGEN_DATA/speech/ravdess``, both statements, repetition 1, each of
happy / sad / angry / fearful at strong intensity, the actor's neutral take of the same statement is
DTW-aligned to the emotional one (MFCC 1-19, 10 ms) and then given, by oracle:

- ``prosody``: the emotional take's own F0 contour and timing (one PSOLA pass, Praat through
  parselmouth: the same method as ``emogen.speech.natural.psola``) and its loudness contour;
- ``envelope``: its 40-band mel spectral envelope frame by frame (an STFT filter; the neutral take's
  excitation, phase and timing kept): the best any EQ or spectral-shape model could do;
- ``prosody + envelope``: both, the most the natural stage's design could reach;

and, to say where the rest lies, the emotional take itself with the neutral take's envelope
(``excitation``: what its excitation and prosody carry without its spectrum), and the emotional
take rebuilt from its 80-band log-mel spectrogram by Griffin-Lim (``mel inverted``: whether a mel
spectrogram holds it, so whether a mel model with a neural vocoder could; its neutral references
go through the same inversion). Each clip is judged against the mean of the actor's neutral
takes, as ``benchmarks/tts.py`` judges a voice, by both classifiers; the table also gives the
Whisper classifier's logit margin of the right emotion that comes from its encoder's features.

    python benchmarks/ser_ceiling.py [--actors 1 3 5 ...]

The actors are the classifiers' own training actors: the "real" row is near 1.0 by construction,
and the other rows are read against it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, write_results  # noqa: E402

SR = 22050
HOP = 220  # 10 ms: the alignment's and the prosody's frame
N_FFT, STFT_HOP = 1024, 256
CONDITIONS = ("real", "prosody", "envelope", "prosody + envelope", "excitation", "mel inverted")


def align(x: np.ndarray, y: np.ndarray, hop: int = HOP, n_fft: int = 2048) -> np.ndarray:
    """For each frame of ``x``, the mean index of the frames of ``y`` DTW puts against it (MFCC 1-19)."""
    import librosa

    mx = librosa.feature.mfcc(y=x, sr=SR, n_mfcc=20, hop_length=hop, n_fft=n_fft)[1:]
    my = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, hop_length=hop, n_fft=n_fft)[1:]
    _, path = librosa.sequence.dtw(mx, my)
    return np.array([path[path[:, 0] == i, 1].mean() for i in range(mx.shape[1])])


def smooth(x: np.ndarray, width: int, axis: int = -1) -> np.ndarray:
    """Moving average over ``width`` frames along ``axis``, edges held."""
    kernel = np.ones(width) / width
    return np.apply_along_axis(lambda v: np.convolve(np.pad(v, width // 2, mode="edge"), kernel, mode="valid"),
                               axis, x)


def transplant_prosody(neutral: np.ndarray, emotional: np.ndarray) -> np.ndarray:
    """``neutral`` given ``emotional``'s F0 contour and timing (PSOLA) and loudness contour."""
    import librosa
    import parselmouth
    from parselmouth.praat import call

    frames = np.maximum.accumulate(smooth(align(neutral, emotional), 7))
    times, mapped = np.arange(len(frames)) * HOP / SR, frames * HOP / SR  # neutral time -> emotional time
    sound = parselmouth.Sound(neutral.astype(np.float64), SR)
    manipulation = call(sound, "To Manipulation", 0.01, 60, 600)
    target_pitch = parselmouth.Sound(emotional.astype(np.float64), SR).to_pitch_ac(0.01, 60, 600)
    own_pitch = sound.to_pitch_ac(0.01, 60, 600)
    pitch = call("Create PitchTier", "f0", 0, sound.duration)
    for t in own_pitch.xs():
        f0 = target_pitch.get_value_at_time(float(np.interp(t, times, mapped)))
        if not np.isnan(own_pitch.get_value_at_time(t)) and not np.isnan(f0):
            call(pitch, "Add point", t, f0)
    call([pitch, manipulation], "Replace pitch tier")
    duration, step = call("Create DurationTier", "timing", 0, sound.duration), 0.02
    for t in np.arange(0, sound.duration - step, step):
        ratio = (np.interp(t + step, times, mapped) - np.interp(t, times, mapped)) / step
        call(duration, "Add point", t + step / 2, float(np.clip(ratio, 0.2, 8.0)))
    call([duration, manipulation], "Replace duration tier")
    out = call(manipulation, "Get resynthesis (overlap-add)").values[0].astype(np.float32)
    # loudness: after the timing change out's time is the emotional take's
    rms_target = librosa.feature.rms(y=emotional, frame_length=4 * HOP, hop_length=HOP)[0]
    rms_out = librosa.feature.rms(y=out, frame_length=4 * HOP, hop_length=HOP)[0]
    n = min(len(rms_target), len(rms_out))
    gain_db = np.clip(smooth(20 * np.log10((rms_target[:n] + 1e-5) / (rms_out[:n] + 1e-5)), 5), -20, 20)
    return out * 10 ** (np.interp(np.arange(len(out)), np.arange(n) * HOP, gain_db) / 20)


def transfer_envelope(x: np.ndarray, target: np.ndarray, bands: int = 40, width: int = 5) -> np.ndarray:
    """``x`` filtered so that its ``bands``-band mel envelope follows ``target``'s frame by frame
    (DTW-aligned), ``x``'s phase and fine structure kept; gains smoothed over ``width`` frames, +-20 dB."""
    import librosa

    mel = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=bands)
    spec_x = librosa.stft(x, n_fft=N_FFT, hop_length=STFT_HOP)
    env_x = np.log(mel @ np.abs(spec_x) ** 2 + 1e-8)
    env_t = np.log(mel @ np.abs(librosa.stft(target, n_fft=N_FFT, hop_length=STFT_HOP)) ** 2 + 1e-8)
    frames = np.clip(np.round(align(x, target, STFT_HOP, N_FFT)).astype(int), 0, env_t.shape[1] - 1)
    frames = frames[:env_x.shape[1]]
    gain_db = np.clip(smooth(env_t[:, frames] - env_x[:, :len(frames)], width) * 10 / np.log(10), -20, 20)
    centers = librosa.mel_frequencies(n_mels=bands + 2, fmax=SR / 2)[1:-1]
    freqs = librosa.fft_frequencies(sr=SR, n_fft=N_FFT)
    gain = np.ones_like(spec_x, dtype=np.float32)
    gain[:, :len(frames)] = 10 ** (np.stack([np.interp(freqs, centers, g) for g in gain_db.T], axis=1) / 20)
    return librosa.istft(spec_x * gain, hop_length=STFT_HOP, length=len(x))


def mel_inverted(x: np.ndarray) -> np.ndarray:
    """``x`` through an 80-band mel power spectrogram and back (Griffin-Lim, 64 iterations, fixed seed)."""
    import librosa

    spec = librosa.feature.melspectrogram(y=x, sr=SR, n_fft=N_FFT, hop_length=STFT_HOP, n_mels=80)
    magnitude = librosa.feature.inverse.mel_to_stft(spec, sr=SR, n_fft=N_FFT)
    return librosa.griffinlim(magnitude, n_iter=64, hop_length=STFT_HOP, random_state=0,
                              length=len(x)).astype(np.float32)


def main() -> None:
    import librosa

    from emogen.audio import read_speech
    from emogen.io import shared_data_root
    from emogen.ser.pipeline import CUES_CHECKPOINT, ENCODER_CHECKPOINT, SERPipeline
    from emogen.speech.corpora import read_ravdess_manifest
    from emogen.speech.cues import FEATURE_NAMES, relative

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actors", nargs="+", default=None, help="RAVDESS actor numbers (default: all here)")
    args = parser.parse_args()
    root = shared_data_root() / "speech" / "ravdess"
    if not root.is_dir():
        sys.exit(f"no RAVDESS at {root}; set EMOGEN_DATA to the shared data folder")
    rows = read_ravdess_manifest(root)
    actors = args.actors or sorted({r["actor"] for r in rows}, key=int)

    def load(row: dict) -> np.ndarray:
        audio, sr = read_speech(root / row["path"])
        return librosa.resample(audio, orig_sr=sr, target_sr=SR)

    whisper, cues = SERPipeline.from_pretrained(ENCODER_CHECKPOINT), SERPipeline.from_pretrained(CUES_CHECKPOINT)
    weight, mean, std = (t.detach().numpy() for t in (whisper.model.net.weight, whisper.model.mean, whisper.model.std))
    n_cues, emotions = len(FEATURE_NAMES), whisper.emotions
    results = {c: {e: {"whisper": [], "cues": [], "encoder_margin": []} for e in emotions} for c in CONDITIONS}
    for number, actor in enumerate(actors, 1):
        own = [r for r in rows if r["actor"] == actor]
        neutral_rows = [r for r in own if r["emotion"] == "neutral"]
        neutrals = [load(r) for r in neutral_rows]
        references = {False: (whisper.reference(neutrals, SR), cues.reference(neutrals, SR))}
        inverted = [mel_inverted(x) for x in neutrals]
        references[True] = (whisper.reference(inverted, SR), cues.reference(inverted, SR))
        for emotion in emotions:
            for take in (r for r in own if r["emotion"] == emotion and r["intensity"] == "strong"
                         and r["repetition"] == "1"):
                neutral = next(x for r, x in zip(neutral_rows, neutrals)
                               if r["statement_id"] == take["statement_id"] and r["repetition"] == "1")
                real = load(take)
                prosody = transplant_prosody(neutral, real)
                clips = {"real": real, "prosody": prosody, "envelope": transfer_envelope(neutral, real),
                         "prosody + envelope": transfer_envelope(prosody, real),
                         "excitation": transfer_envelope(real, neutral), "mel inverted": mel_inverted(real)}
                for condition, clip in clips.items():
                    ref_whisper, ref_cues = references[condition == "mel inverted"]
                    features = relative(whisper.features(clip, SR), ref_whisper)
                    encoder = weight[:, n_cues:] @ ((features - mean) / std)[n_cues:]
                    k = emotions.index(emotion)
                    heard = whisper.model.probabilities(features)[0]
                    by_cues = cues(clip, SR, ref_cues)
                    entry = results[condition][emotion]
                    entry["whisper"].append(float(max(heard, key=heard.get) == emotion))
                    entry["cues"].append(float(max(by_cues, key=by_cues.get) == emotion))
                    entry["encoder_margin"].append(float(encoder[k] - np.delete(encoder, k).mean()))
        print(f"actor {actor} ({number}/{len(actors)})", flush=True)

    summary = {c: {e: {m: float(np.mean(v)) for m, v in results[c][e].items()} for e in emotions} for c in CONDITIONS}
    table = markdown_table(
        ["condition", f"{ENCODER_CHECKPOINT}: " + " / ".join(emotions), "its encoder's margin (logit)",
         f"{CUES_CHECKPOINT}: " + " / ".join(emotions)],
        [[c, " / ".join(f"{summary[c][e]['whisper']:.2f}" for e in emotions),
          " / ".join(f"{summary[c][e]['encoder_margin']:+.1f}" for e in emotions),
          " / ".join(f"{summary[c][e]['cues']:.2f}" for e in emotions)] for c in CONDITIONS])
    n_items = len(results["real"][emotions[0]]["whisper"])
    write_results("ser_ceiling", "What a moved neutral take carries of real actors' emotion", table,
                  {"actors": actors, "items_per_emotion": n_items, "summary": summary},
                  notes=f"RAVDESS actors {', '.join(actors)}; {n_items} takes per emotion (strong intensity, "
                        "repetition 1, both statements); each row's accuracy is the share of takes whose most "
                        "probable class is the right one. The margin is the encoder features' part of the "
                        "right emotion's logit minus the mean of the other three.")


if __name__ == "__main__":
    main()
