"""Audio -> log-mel slices: the one feature path shared by training, evaluation and the app.

Mono audio at 22,050 Hz, mel power spectrogram (n_fft 2048, hop 512, 128 bands) in absolute dB, cut into
128-frame slices (about 3 s). Frames are computed without centre padding so that a slice computed from a
decoded excerpt is the same as the slice computed from the whole decoded file: this is what lets a
full-length song be embedded from a few seeks instead of a full decode.

Short files (up to about `n_slices` slices long, e.g. 30-s clips) are decoded whole and cut into
consecutive non-overlapping slices (a 30-s clip gives 10). Longer files give `n_slices` excerpts spread
evenly over the track (centred in n equal segments), each decoded on its own with a soundfile seek.
Scaling to the network's input range is done by the model's first (Rescaling) layer, not here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fmaplayer.audio.open_audio import open_audio, sample_rate_refusal
from fmaplayer.errors import AudioDecodeError
from fmaplayer.library.regular_file import decoder_reason, file_problem

SAMPLE_RATE = 22050
N_FFT = 2048
HOP = 512
N_MELS = 128
SLICE_FRAMES = 128
DEFAULT_SLICES = 10
# Samples needed for exactly SLICE_FRAMES frames without centre padding.
SLICE_SAMPLES = (SLICE_FRAMES - 1) * HOP + N_FFT
SLICE_SECONDS = SLICE_SAMPLES / SAMPLE_RATE
AMIN = 1e-10  # power floor: silence maps to -100 dB
# Files at most this many slices long (in time) are decoded whole; longer ones are read as excerpts.
WHOLE_DECODE_FACTOR = 1.6
SEEK_LEAD_IN = 4096  # native-rate samples decoded and dropped before each excerpt (about 4 MP3 frames)
# Subtypes whose seek libsndfile makes sample-exact itself (libvorbis pre-rolls after a seek), so their
# excerpts need no lead-in: dropping it saves 6 % of the decode of a 44.1 kHz Vorbis excerpt. MP3 (bit
# reservoir) and Opus (80 ms pre-roll) keep it: their exactness after a seek is up to the decoder build.
_EXACT_SEEK_SUBTYPES = frozenset({"VORBIS", "FLOAT", "DOUBLE", "ULAW", "ALAW"})

_MEL_BASIS = None  # scipy.sparse CSR array, built on first use


def feature_params() -> dict:
    """The feature parameters as written into a model manifest."""
    return {
        "sample_rate": SAMPLE_RATE,
        "mono": True,
        "n_fft": N_FFT,
        "hop_length": HOP,
        "n_mels": N_MELS,
        "slice_frames": SLICE_FRAMES,
        "slice_samples": SLICE_SAMPLES,
        "center": False,
        "power_to_db": {"ref": 1.0, "amin": AMIN, "top_db": None},
        "slices_per_track": DEFAULT_SLICES,
        "slice_placement": (
            f"files up to {WHOLE_DECODE_FACTOR} x slices_per_track slices long are decoded whole and cut "
            "into consecutive non-overlapping 128-frame slices (at most slices_per_track, evenly chosen); "
            "longer files give slices_per_track excerpts centred in equal segments of the track, each "
            "decoded on its own after a seek"
        ),
    }


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_part = hz >= 1000.0
    mel[log_part] = 15.0 + np.log(hz[log_part] / 1000.0) / (np.log(6.4) / 27.0)
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    log_part = mel >= 15.0
    hz[log_part] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log_part] - 15.0))
    return hz


def mel_filters() -> np.ndarray:
    """(N_MELS, 1 + N_FFT // 2) float32: the same triangles, Slaney-normalised, as
    ``librosa.filters.mel(sr=22050, n_fft=2048, n_mels=128)`` (a test checks it), computed here because
    importing librosa's filters module costs seconds of the app's first analysis batch."""
    fft_hz = np.fft.rfftfreq(N_FFT, d=1.0 / SAMPLE_RATE)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array([0.0]))[0],
                                   _hz_to_mel(np.array([SAMPLE_RATE / 2]))[0], N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]  # Slaney: each triangle has unit area
    return weights.astype(np.float32)


def _mel_basis():
    """The mel filters as a sparse matrix: 2,018 of their 131,200 weights are non-zero, so the sparse
    product is about 6x faster than the dense one and needs no (multi-threaded) BLAS call."""
    global _MEL_BASIS
    if _MEL_BASIS is None:
        import scipy.sparse

        _MEL_BASIS = scipy.sparse.csr_array(mel_filters())
    return _MEL_BASIS


def mel_db(y: np.ndarray) -> np.ndarray:
    """Mono float audio at SAMPLE_RATE -> (N_MELS, T) float32 mel power in dB (no centre padding)."""
    y = np.asarray(y, dtype=np.float32)
    if y.shape[0] < N_FFT:
        y = np.pad(y, (0, N_FFT - y.shape[0]))
    n_frames = 1 + (y.shape[0] - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        y, shape=(n_frames, N_FFT), strides=(y.strides[0] * HOP, y.strides[0]), writeable=False
    )
    import scipy.fft

    spec = scipy.fft.rfft(frames * _hann(), axis=1)  # float32 in -> complex64 out (half the work)
    power = spec.real**2 + spec.imag**2
    mel = _mel_basis() @ power.T
    return (10.0 * np.log10(np.maximum(mel, AMIN))).astype(np.float32)


_HANN: np.ndarray | None = None


def _hann() -> np.ndarray:
    global _HANN
    if _HANN is None:  # periodic Hann, as librosa/scipy use for STFT
        _HANN = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    return _HANN


def _pick_evenly(count: int, n: int) -> np.ndarray:
    if n >= count:
        return np.arange(count)
    return np.floor((np.arange(n) + 0.5) * count / n).astype(int)


def slices_from_mel(mel: np.ndarray, n_slices: int | None = None) -> np.ndarray:
    """(N_MELS, T) -> (n, 128, 128, 1): consecutive slices, at most n_slices of them, evenly chosen."""
    total = mel.shape[1] // SLICE_FRAMES
    if total == 0:  # shorter than one slice: pad with silence
        pad = np.full((N_MELS, SLICE_FRAMES - mel.shape[1]), 10 * np.log10(AMIN), np.float32)
        mel = np.concatenate([mel, pad], axis=1)
        total = 1
    idx = _pick_evenly(total, n_slices) if n_slices else np.arange(total)
    out = np.stack([mel[:, i * SLICE_FRAMES : (i + 1) * SLICE_FRAMES] for i in idx])
    return out[..., np.newaxis].astype(np.float32)


def slices_from_audio(y: np.ndarray, n_slices: int | None = None) -> np.ndarray:
    """Mono audio at SAMPLE_RATE -> float32 (n, 128, 128, 1)."""
    return slices_from_mel(mel_db(y), n_slices)


def _finite(data: np.ndarray) -> np.ndarray:
    """NaN, inf and absurd samples (a broken float file) become silence, so the analysis of such a file
    describes its real audio instead of garbage."""
    bad = ~np.isfinite(data) | (np.abs(data) > 1e3)
    if bad.any():
        data = np.where(bad, 0.0, data).astype(np.float32)
    return data


def _to_mono(data: np.ndarray) -> np.ndarray:
    data = _finite(data)
    if data.ndim == 1 or data.shape[1] == 1:
        return data.reshape(-1)
    # Channel columns added one by one: numpy's mean over the short channel axis is about 20x slower,
    # and a BLAS mat-vec would start BLAS threads that fight the decode threads on a small CPU.
    mono = data[:, 0] + data[:, 1]
    for c in range(2, data.shape[1]):
        mono += data[:, c]
    return mono / data.shape[1]


def _resample(y: np.ndarray, sr: int) -> np.ndarray:
    # soxr "HQ" stays: "LQ" saves 0.2 ms of the 11 ms an excerpt costs but moves the top mel bands by up
    # to 44 dB (its passband ends lower), "MQ" is no faster; see benchmarks/bench_decode.py.
    if sr == SAMPLE_RATE:
        return y
    import soxr

    return soxr.resample(y, sr, SAMPLE_RATE, quality="HQ").astype(np.float32)


def _seek_lead_in(f) -> int:
    """Native-rate samples to decode and drop before an excerpt so its first samples are right."""
    exact = f.subtype in _EXACT_SEEK_SUBTYPES or f.subtype.startswith("PCM_")  # PCM_*: WAV, AIFF, FLAC
    return 0 if exact else SEEK_LEAD_IN


def _open(path: str | Path):
    """The file opened the way playback opens it (`open_audio`): a regular file only, its ID3v2 tag
    skipped (libmpg123 spent 20-40 s in a tag of 100,000 frames), not queued behind soundfile's
    process-wide open lock."""
    problem = file_problem(path)   # a FIFO, a device or a folder exists: say what it is, never open it
    if problem is not None:
        if problem.startswith("broken link"):   # its drive may be unplugged: tried again, like a missing file
            problem = f"file not found ({problem})"
        raise AudioDecodeError(problem)   # shown beside the file's name by every caller
    try:
        f = open_audio(path)
    except Exception as exc:  # libsndfile raises LibsndfileError/RuntimeError/OSError
        # "System error." for a failed read (permission taken away meanwhile, a disk error) and "File does not
        # exist or is not a regular file (possibly a pipe?)" for content it does not recognise, in our words
        reason = file_problem(path) or decoder_reason(exc, Path(path).suffix.lstrip(".").upper() or "audio")
        raise AudioDecodeError(reason) from exc
    reason = sample_rate_refusal(f.samplerate)   # a 1 Hz header: "27.8 h" of audio to resample
    if reason is not None:
        f.close()
        raise AudioDecodeError(f"{Path(path).name}: {reason}")
    return f


def decode_whole(path: str | Path) -> np.ndarray:
    """Whole file -> mono float32 at SAMPLE_RATE."""
    with _open(path) as f:
        try:
            data = f.read(dtype="float32", always_2d=True)
        except Exception as exc:
            raise AudioDecodeError(f"cannot decode {path}: {exc}") from exc
        sr = f.samplerate
    if data.shape[0] == 0:
        raise AudioDecodeError(f"{path} contains no audio")
    return _resample(_to_mono(data), sr)


def track_slices(path: str | Path, n_slices: int = DEFAULT_SLICES) -> np.ndarray:
    """File -> float32 (n, 128, 128, 1), decoding only what the slices need."""
    with _open(path) as f:
        sr, frames = f.samplerate, f.frames
        if frames <= 0:
            raise AudioDecodeError(f"{path} contains no audio")
        duration = frames / sr
        try:
            if duration <= WHOLE_DECODE_FACTOR * n_slices * SLICE_SECONDS:
                data = f.read(dtype="float32", always_2d=True)
                if data.shape[0] == 0:
                    raise AudioDecodeError(f"{path} contains no audio")
                return slices_from_audio(_resample(_to_mono(data), sr), n_slices)
            # Native-rate excerpt a little longer than one slice so resampling edges fall outside it.
            need = int(np.ceil(SLICE_SAMPLES * sr / SAMPLE_RATE)) + (0 if sr == SAMPLE_RATE else 64)
            out = []
            lead_in = _seek_lead_in(f)
            for i in range(n_slices):
                centre = (i + 0.5) * frames / n_slices
                start = int(max(0, min(frames - need, centre - need / 2)))
                # Decode a short lead-in and drop it: an MP3 decoder needs the previous frames' bit
                # reservoir, so the first samples after a seek can be garbage.
                lead = min(start, lead_in)
                f.seek(start - lead)
                raw = f.read(need + lead, dtype="float32", always_2d=True)[lead:]
                chunk = _resample(_to_mono(raw), sr)
                if chunk.shape[0] < SLICE_SAMPLES:
                    chunk = np.pad(chunk, (0, SLICE_SAMPLES - chunk.shape[0]))
                out.append(slices_from_audio(chunk[:SLICE_SAMPLES], 1))
            return np.concatenate(out)
        except AudioDecodeError:
            raise
        except Exception as exc:
            raise AudioDecodeError(f"cannot decode {path}: {exc}") from exc
