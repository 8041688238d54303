#!/usr/bin/env bash
# Regenerates the samples in demos/ from the shipped checkpoints (run from the repository root).
set -euo pipefail
text="I can't believe you remembered my birthday."
for e in neutral happy sad angry fearful calm; do
  emogen tts "$text" --emotion "$e" -o "demos/speech/$e.flac" --seed 0
done
emogen tts "It started so well, and then everything went wrong." --emotion "happy>sad" -o demos/speech/happy-to-sad.flac
emogen tts "[happy] We won the final! [sad:0.8] But the trophy broke on the way home." -o demos/speech/tags.flac
for e in neutral happy sad angry; do
  emogen tts "$text" --voice joan --emotion "$e" -o "demos/speech/joan-$e.flac" --seed 0
done
if command -v festival >/dev/null; then  # the slt voice needs Festival (apt-get install festival festvox-us-slt-hts)
  for e in neutral happy sad angry; do
    emogen tts "$text" --voice slt --emotion "$e" -o "demos/speech/slt-$e.flac" --seed 0
  done
fi
emogen music --emotion happy --intensity 0.8 --bars 16 --seed 3 -o demos/music/happy.mid --png demos/music/happy.png
emogen music --emotion sad --bars 16 --seed 3 -o demos/music/sad.mid --png demos/music/sad.png
emogen music --emotion "calm>angry" --bars 24 --seed 3 -o demos/music/calm-to-angry.mid --png demos/music/calm-to-angry.png
mkdir -p demos/talk
for e in neutral happy sad surprised angry; do
  emogen talk --text "$text" --emotion "$e" --seed 0 -o "demos/talk/$e.mp4"
done
emogen talk --text "It started so well, and then everything went wrong." --emotion "happy>sad" --seed 0 -o demos/talk/happy-to-sad.mp4
python - <<'PY'
# one frame per emotion (eyes open, mouth mid-word) at intensity 0.5 (top) and 1 (bottom), for the README
import cv2, numpy as np
from emogen.face import TalkPipeline
from emogen.face.motion import INDEX
talk = TalkPipeline.from_pretrained()
portrait = talk.portrait()
rows = []
for level in (0.5, 1.0):
    tiles = []
    for e in ["neutral", "happy", "sad", "surprised", "angry"]:
        clip = talk(image=portrait, text="I can't believe you remembered my birthday.", emotion=e,
                    intensity=None if e == "neutral" else level, seed=0)
        c = clip.coefficients
        calm = np.flatnonzero(c[:, INDEX["blink"]] < 0.05)
        i = int(calm[np.argmin(np.abs(c[calm, INDEX["jaw"]] - np.median(c[:, INDEX["jaw"]])))])
        frame = next(f for k, f in enumerate(clip.frames()) if k == i)
        tile = np.ascontiguousarray(frame[96:416, 96:416])
        label = e if e == "neutral" else f"{e} {level:g}"
        cv2.putText(tile, label, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2, cv2.LINE_AA)
        tiles.append(tile)
    rows.append(np.concatenate(tiles, 1))
cv2.imwrite("demos/talk/expressions.jpg", np.concatenate(rows, 0)[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
PY
mkdir -p demos/scene
emogen scene --text "I waited all day by the window, and nobody came." --emotion sad --seed 0 -o demos/scene/waiting-sad.mp4
python - <<'PY'
# four moments of the scene, side by side, for the README
import cv2, numpy as np
from emogen.face.video import read_video
frames = list(read_video("demos/scene/waiting-sad.mp4", with_audio=False)[0])
picks = [frames[int(i * (len(frames) - 1) / 3)][64:448, 64:448] for i in range(4)]
strip = np.concatenate([cv2.resize(np.ascontiguousarray(p), (256, 256), interpolation=cv2.INTER_AREA) for p in picks], 1)
cv2.imwrite("demos/scene/waiting-sad.jpg", strip[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
PY
