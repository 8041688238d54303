"""Frame-aligned audio features of speech for the face-motion model, at the video's 25 fps.

Training (``data.py``) and inference (``pipeline.py``) compute them the same way.
"""

from __future__ import annotations

import librosa
import numpy as np

from . import measure

FPS = 25
FEATURE_RATE = 16000
HOP = FEATURE_RATE // 100  # 10 ms
MELS = 40
SUBFRAMES = 4  # 10 ms frames per 40 ms video frame
AUDIO_DIM = MELS * SUBFRAMES + 1  # stacked log-mels + relative loudness


def audio_features(audio: np.ndarray, sample_rate: int, num_frames: int | None = None) -> np.ndarray:
    """(num_frames, AUDIO_DIM) features at 25 fps: 40 log-mel bands of each 10 ms, stacked four to a
    video frame, normalised per clip (speaker- and level-independent), plus loudness in dB relative
    to the clip's loudest frame / 40 (so silence stays recognisable)."""
    audio = np.asarray(audio, np.float32)
    if sample_rate != FEATURE_RATE:
        audio = librosa.resample(audio, orig_sr=sample_rate, target_sr=FEATURE_RATE)
    if num_frames is None:
        num_frames = int(np.ceil(len(audio) / FEATURE_RATE * FPS))
    mel = librosa.feature.melspectrogram(y=audio, sr=FEATURE_RATE, n_fft=512, hop_length=HOP, n_mels=MELS,
                                         fmin=60, fmax=7600, center=True)
    logmel = np.log(mel + 1e-6).T  # (t, mels)
    need = num_frames * SUBFRAMES
    if len(logmel) < need:
        logmel = np.pad(logmel, ((0, need - len(logmel)), (0, 0)), mode="constant", constant_values=np.log(1e-6))
    logmel = logmel[:need]
    energy = librosa.power_to_db(mel.sum(0)[:need], ref=np.max) if mel.size else np.zeros(need)
    energy = np.pad(energy, (0, need - len(energy)), constant_values=-80.0)
    norm = (logmel - logmel.mean(0)) / (logmel.std(0) + 1e-3)
    stacked = norm.reshape(num_frames, SUBFRAMES * MELS)
    loud = np.maximum(energy.reshape(num_frames, SUBFRAMES).mean(1), -80.0)[:, None] / 40.0
    return np.concatenate([stacked, loud], 1).astype(np.float32)


def energy_envelope(audio: np.ndarray, sample_rate: int, num_frames: int) -> np.ndarray:
    """(num_frames,) RMS per video frame scaled to 0..1 by the clip's 95th percentile."""
    rms = measure.energy_envelope(audio, sample_rate, FPS, num_frames).astype(np.float32)
    return np.clip(rms / (np.percentile(rms, 95) + 1e-6), 0, 1.5)
