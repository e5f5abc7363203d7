"""How long chapters 06 and 11 take on a CPU with VGG16, the base their full mode uses online.

Their full-mode CPU records were made offline, where they fall back to MobileNet (alpha 0.25):
VGG16's ImageNet weights need the internet. Here VGG16 runs with random weights instead, the same
arithmetic and so the same time; its results mean nothing and are not checked. Prints:

1. one photo's time through each base (inference, batches of 32), per backend;
2. chapter 11 in full mode with VGG16, run whole by the course's runner (its closing assertions
   fail, random weights recognizing nothing), per backend: the wall time and the slowest cells;
3. chapter 06 in full mode with VGG16, estimated: its MobileNet records plus, for every photo its
   full run puts through the base, the difference between the two bases' times per photo. A lower
   bound: fine-tuning also runs VGG16's last block backwards, which this leaves out.

    python benchmarks/vgg16_on_cpu.py [--backend tensorflow jax torch] [--skip-notebook]

Needs what the runner needs (``CHAPTERS_MIRROR`` offline, a writable ``KERAS_HOME``).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from chapters.session import BACKENDS
from chapters.tools import records, run
from chapters.tools.notebooks import recorded_cpu_minutes

# (base, image size): VGG16 at chapter 06's size and chapter 11's, MobileNet at both chapters' size.
BASE_SIZES = [("vgg16", 180), ("vgg16", 224), ("mobilenet_025", 224)]
BATCH = 32
TIMED_BATCHES = 3
# Photos chapter 06's full mode puts through its base: features of every training (2,000),
# validation (1,000) and test (1,000) photo once; then 50 epochs end to end, 30 more for the frozen
# base and 30 of fine-tuning, each epoch through the training and validation photos, each of the
# last two then judged on the test photos.
CHAPTER_06_PHOTOS = 4_000 + 50 * 3_000 + 2 * (30 * 3_000 + 1_000)
# Put in the notebook after its setup cell: keras.applications.VGG16 with random weights, and
# chapters.images told the ImageNet weights are cached, so nothing is downloaded.
RANDOM_VGG16_CELL = """\
# Benchmark only: VGG16 with random weights (same arithmetic, same time; results not checked).
import keras
from chapters import images

_vgg16 = keras.applications.VGG16
keras.applications.VGG16 = lambda weights, **options: _vgg16(weights=None, **options)
images.cache_vgg16_weights = lambda: None
"""


def photo_seconds() -> dict[str, float]:
    """Return one photo's inference time through each base, keyed "base size", on Keras's backend."""
    import keras
    import numpy as np

    seconds = {}
    for base_name, size in BASE_SIZES:
        shape = (size, size, 3)
        if base_name == "vgg16":
            base = keras.applications.VGG16(weights=None, include_top=False, input_shape=shape)
        else:
            base = keras.applications.MobileNet(
                weights=None, include_top=False, alpha=0.25, input_shape=shape
            )
        photos = np.random.default_rng(0).uniform(-1, 1, (BATCH, *shape)).astype("float32")
        base.predict_on_batch(photos)  # compiles
        started = time.perf_counter()
        for _ in range(TIMED_BATCHES):
            base.predict_on_batch(photos)
        seconds[f"{base_name} {size}"] = (time.perf_counter() - started) / (TIMED_BATCHES * BATCH)
    return seconds


def photo_seconds_on(backend: str) -> dict[str, float]:
    """Return ``photo_seconds`` measured in a fresh interpreter on ``backend``."""
    output = subprocess.run(
        [sys.executable, __file__, "--photo-seconds"],
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def chapter_11_with_vgg16(backend: str) -> dict:
    """Return the runner's record of chapter 11 in full mode on ``backend`` with random-weight VGG16."""
    notebook = nbformat.read(REPOSITORY / "notebooks" / "11_interpreting_convnets.ipynb", as_version=4)
    notebook.cells.insert(2, nbformat.v4.new_code_cell(RANDOM_VGG16_CELL))
    runs = REPOSITORY / "runs"  # the runner's own folder, not committed; inside the checkout, so the
    runs.mkdir(exist_ok=True)  # runner's kernel imports this checkout's helper package
    with tempfile.TemporaryDirectory(prefix="vgg16-on-cpu-", dir=runs) as scratch:
        path = Path(scratch) / "11_interpreting_convnets.ipynb"
        nbformat.write(notebook, path)
        return run.run_notebook(run.Run(path, backend, "full", 42), Path(scratch), Path(scratch))


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument(
        "--skip-notebook", action="store_true", help="leave out part 2 (chapter 11 run whole)"
    )
    parser.add_argument("--photo-seconds", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(arguments)
    if options.photo_seconds:
        print(json.dumps(photo_seconds()))
        return

    print(f"{records.cpu_description()}, commit {records.git_commit(REPOSITORY)}")
    print(f"\n1. One photo through each base, inference in batches of {BATCH} (ms)")
    print(f"{'backend':12}" + "".join(f"{name + ' ' + str(size) + ' px':>22}" for name, size in BASE_SIZES))
    per_photo = {}
    for backend in options.backend:
        per_photo[backend] = photo_seconds_on(backend)
        print(f"{backend:12}" + "".join(f"{1000 * value:22.1f}" for value in per_photo[backend].values()))

    if not options.skip_notebook:
        print("\n2. Chapter 11 in full mode with VGG16 (random weights), run whole")
        for backend in options.backend:
            record = chapter_11_with_vgg16(backend)
            cells = ", ".join(
                f"{cell['line'][:40]!r} {cell['seconds']:.0f} s" for cell in record["slowest_cells"][:3]
            )
            print(f"{backend}: {record['wall_seconds'] / 60:.1f} min; slowest cells: {cells}")

    print(
        f"\n3. Chapter 06 in full mode with VGG16, estimated: {CHAPTER_06_PHOTOS:,} photos through the base"
    )
    mobilenet_minutes = recorded_cpu_minutes(
        records.read_records(REPOSITORY / "records"), "06_transfer_learning"
    )
    for backend in options.backend:
        extra = CHAPTER_06_PHOTOS * (
            per_photo[backend]["vgg16 180"] - per_photo[backend]["mobilenet_025 224"]
        )
        total = mobilenet_minutes[backend] + extra / 60
        print(
            f"{backend}: MobileNet's record {mobilenet_minutes[backend]} min + {extra / 60:.0f} min "
            f"= {total:.0f} min ({total / 60:.1f} h)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
