"""Reads a run folder's TensorBoard event files with TensorBoard's own readers and prints,
as one JSON object, what they hold (tests/tensorboard.rs compares it with what the script
logged and the PNG files it wrote):

  {"files": [names], "scalars": [{"tag", "step", "value", "bits"}],
   "images": [{"tag", "step", "width", "height", "decoded": [w, h], "sha256"}],
   "hparams": {name: value},
   "merged_scalars": [{"tag", "step", "bits"}]}

"merged_scalars" (for a folder) is what TensorBoard's EventAccumulator makes of all the
folder's event files as one run, in file order: a restart (SessionLog START, which a resumed
run writes) drops the earlier attempt's events from its step on.

Scalars and hparams come from tbparse's SummaryReader; images from TensorBoard's
EventAccumulator (tbparse decodes images with TensorFlow, which this venv does not have),
decoded with Pillow. "bits" is the float32 bit pattern of a scalar, for exact comparison.

Usage: python read_events.py RUN_FOLDER_OR_EVENT_FILE
"""

import hashlib
import io
import json
import math
import os
import struct
import sys

from PIL import Image
from tbparse import SummaryReader
from tensorboard.backend.event_processing import event_accumulator as ea


def event_files(path):
    if os.path.isfile(path):
        return [path]
    return sorted(
        os.path.join(path, n) for n in os.listdir(path) if "tfevents" in n
    )


def scalars_and_hparams(path):
    reader = SummaryReader(path, pivot=False, event_types={"scalars", "hparams"})
    scalars = []
    for row in reader.scalars.itertuples(index=False):
        value = float(row.value)
        scalars.append({
            "tag": row.tag,
            "step": int(row.step),
            "value": value if math.isfinite(value) else str(value),
            "bits": struct.unpack("<I", struct.pack("<f", value))[0],
        })
    hparams = {}
    for row in reader.hparams.itertuples(index=False):
        value = row.value
        hparams[row.tag] = value.item() if hasattr(value, "item") else value
    return scalars, hparams


def images(files):
    out = []
    for f in files:
        acc = ea.EventAccumulator(f, size_guidance={ea.IMAGES: 0})
        acc.Reload()
        for tag in acc.Tags()[ea.IMAGES]:
            for e in acc.Images(tag):
                decoded = Image.open(io.BytesIO(e.encoded_image_string))
                out.append({
                    "tag": tag,
                    "step": int(e.step),
                    "width": int(e.width),
                    "height": int(e.height),
                    "decoded": list(decoded.size),
                    "sha256": hashlib.sha256(e.encoded_image_string).hexdigest(),
                })
    return out


def merged_scalars(path):
    if not os.path.isdir(path):
        return []
    acc = ea.EventAccumulator(path, size_guidance={ea.SCALARS: 0})
    acc.Reload()
    out = []
    for tag in acc.Tags()[ea.SCALARS]:
        for e in acc.Scalars(tag):
            bits = struct.unpack("<I", struct.pack("<f", e.value))[0]
            out.append({"tag": tag, "step": int(e.step), "bits": bits})
    return out


def main():
    path = sys.argv[1]
    files = event_files(path)
    scalars, hparams = scalars_and_hparams(path)
    print(json.dumps({
        "files": [os.path.basename(f) for f in files],
        "scalars": scalars,
        "images": images(files),
        "hparams": hparams,
        "merged_scalars": merged_scalars(path),
    }))


if __name__ == "__main__":
    main()
