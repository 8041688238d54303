"""Training throughput of the shared core: optimizer steps per second of one flow-matching
training step (sequence backbone, the workload of the speech and motion decoders), at a small and
a medium size, fp32 vs bf16 autocast, on the CPU and on a GPU when one is present.

    python benchmarks/train_throughput.py [--steps 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, write_results  # noqa: E402

from emogen.core import EmotionFlowConfig, EmotionFlowModel  # noqa: E402
from emogen.emotion import EmotionBatch, EmotionEncoderConfig  # noqa: E402

SIZES = {
    # name: (hidden, layers, batch, channels, frames)
    "small": (128, 4, 8, 80, 200),
    "medium": (256, 8, 16, 80, 400),
}


def build(size: str, device: str) -> tuple[EmotionFlowModel, torch.Tensor, EmotionBatch]:
    hidden, layers, batch, channels, frames = SIZES[size]
    torch.manual_seed(0)
    model = EmotionFlowModel(EmotionFlowConfig(
        emotion=EmotionEncoderConfig(dim=128), backbone="sequence",
        backbone_config={"in_channels": channels, "out_channels": channels, "hidden": hidden, "layers": layers,
                         "heads": 4}))
    x = torch.randn(batch, channels, frames, device=device)
    emotions = EmotionBatch.from_specs(["happy", "sad:0.5", "angry", "calm"] * (batch // 4))
    return model.to(device), x, emotions


def steps_per_second(size: str, device: str, precision: str, steps: int) -> tuple[float, int]:
    model, x, emotions = build(size, device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    dtype = {"fp32": None, "bf16": torch.bfloat16}[precision]

    def step():
        with torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
            loss = model.loss(x, emotions, generator=torch.Generator().manual_seed(0))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for _ in range(2):  # warm-up
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - start), model.num_parameters()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--device", choices=["cpu", "cuda"], help="one device (default: the CPU, and the GPU if any)")
    args = parser.parse_args()
    devices = [args.device] if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows, data = [], []
    for device in devices:
        for size in SIZES:
            hidden, layers, batch, channels, frames = SIZES[size]
            result = {}
            for precision in ("fp32", "bf16"):
                rate, params = steps_per_second(size, device, precision, args.steps)
                result[precision] = rate
                data.append({"device": device, "size": size, "precision": precision, "steps_per_sec": rate,
                             "parameters": params, "batch": batch, "frames": frames})
                print(f"{device} {size} {precision}: {rate:.2f} steps/s", flush=True)
            rows.append([device, size, f"{params / 1e6:.1f} M", f"{batch} x {channels} x {frames}",
                         f"{result['fp32']:.2f}", f"{result['bf16']:.2f}", f"{result['bf16'] / result['fp32']:.2f}x"])
    table = markdown_table(["device", "size", "parameters", "batch (examples x channels x frames)",
                            "fp32 steps/s", "bf16 steps/s", "bf16 speed-up"], rows)
    notes = ("One optimizer step of flow-matching training (forward, backward, clip, AdamW) of the shared "
             "sequence backbone with the emotion encoder. bf16 is autocast; on CPUs without native bf16 "
             "matrix units it is slower than fp32, so `train.mixed_precision=no` is the faster choice there."
             + ("" if torch.cuda.is_available() else " No GPU was present for this run; with one, CUDA rows are added."))
    write_results("train_throughput", "Training throughput of the shared core", table, {"runs": data}, notes)


if __name__ == "__main__":
    main()
