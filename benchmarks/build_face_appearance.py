"""Learn the expression appearance shipped as ``emogen/face/assets/face_appearance.safetensors``.

    python benchmarks/build_face_appearance.py [--people 80]

From the neutral and smiling photos of the first ``--people`` London faces by number (the same
people that give the motion model's smile; the rest stay unseen for ``benchmarks/talk.py``), each
cropped like a user's portrait: the smile's mean log ratio image and the teeth strips
(``emogen.face.appearance.learn``). Face Research Lab London Set, DeBruine & Jones 2017, CC BY 4.0.
Also writes ``docs/figures/face_appearance.png`` (the learned maps).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from emogen.face import appearance as A  # noqa: E402
from emogen.face.analysis import analyze_portrait  # noqa: E402
from emogen.face.landmarks import FaceMeshDetector  # noqa: E402
from emogen.io import shared_data_root  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=80, help="the first N London people (default 80)")
    args = ap.parse_args()
    folder = shared_data_root() / "faces" / "london"
    names = sorted(p.name[:3] for p in folder.glob("*_neutral.jpg"))[: args.people]
    pairs = []
    with FaceMeshDetector(max_faces=1) as detector:
        for name in names:
            n, s = (analyze_portrait(folder / f"{name}_{k}.jpg", detector=detector) for k in ("neutral", "smiling"))
            pairs.append((n.image, n.landmarks, s.image, s.landmarks))
    arrays = A.learn(pairs)
    A.save(arrays, ROOT / "emogen" / "face" / "assets" / A.ASSET, people=len(pairs))
    smile = arrays["smile"]
    print(f"{len(pairs)} people; smile log ratio from {smile.min():+.2f} to {smile.max():+.2f}; "
          f"teeth strips from {sum(1 for *_, s_img, s_lm in pairs if A.mouth_strips(s_img, s_lm, 1.0))} open smiles")
    figure(arrays)


def figure(arrays) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    maps = {"smile (learned)": arrays["smile"], **A.facs_maps(arrays["canon"])}
    fig, axes = plt.subplots(1, len(maps) + 1, figsize=(2.4 * (len(maps) + 1), 2.8))
    for ax, (name, m) in zip(axes, maps.items()):
        ax.imshow(m, cmap="RdBu", vmin=-0.3, vmax=0.3)
        ax.plot(*arrays["canon"][:468].T, ",", color="k", alpha=0.3)
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    teeth = np.concatenate([arrays["teeth_upper"], arrays["teeth_lower"][::-1]]) * 160 / 255
    axes[-1].imshow(np.clip(teeth, 0, 1), aspect="auto")
    axes[-1].set_title("mouth inside (upper / lower strip)", fontsize=9)
    axes[-1].axis("off")
    fig.suptitle("log ratio images on the mean face (red darker, blue lighter)", fontsize=10)
    fig.tight_layout()
    out = ROOT / "docs" / "figures" / "face_appearance.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
