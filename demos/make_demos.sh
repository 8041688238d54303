#!/usr/bin/env bash
# Regenerates the samples in demos/ from the shipped checkpoints (run from the repository root).
set -euo pipefail
text="I can't believe you remembered my birthday."
for e in neutral happy sad angry fearful calm; do
  emogen tts "$text" --emotion "$e" -o "demos/speech/$e.flac" --seed 0
done
emogen tts "It started so well, and then everything went wrong." --emotion "happy>sad" -o demos/speech/happy-to-sad.flac
emogen tts "[happy] We won the final! [sad:0.8] But the trophy broke on the way home." -o demos/speech/tags.flac
emogen music --emotion happy --intensity 0.8 --bars 16 --seed 3 -o demos/music/happy.mid --png demos/music/happy.png
emogen music --emotion sad --bars 16 --seed 3 -o demos/music/sad.mid --png demos/music/sad.png
emogen music --emotion "calm>angry" --bars 24 --seed 3 -o demos/music/calm-to-angry.mid --png demos/music/calm-to-angry.png
