"""The record of one notebook run, as ``chapters.tools.run`` writes it and ``chapters.tools.report`` reads it.

A record is a JSON file, ``<notebook>.<backend>.<mode>.seed<seed>.json``, holding: the notebook,
backend, mode, seed and any overridden parameters; ``outcome`` (``"passed"`` or ``"failed"``) and
``failure`` (the cell, its first line, the error and its message); ``figures``, the values the
closing cell handed in (``chapters.hand_in``) with their targets; ``wall_seconds`` and the
``slowest_cells``; the kernel's ``peak_memory_mb`` (resident) and ``accelerator_peak_memory_mb``;
``device``, ``machine``, the machine's one-minute ``load_average`` as the run started and ended
(above the core count, other work shared the CPU and the times are longer than alone), package
``versions``, the git ``commit`` and when the run ``finished``.
"""

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from chapters import settings

# tensorflow-cpu: TensorFlow's CPU-only build, which serves the tf.data pipelines beside JAX or
# PyTorch where the full one cannot be installed (a GPU machine whose CUDA it does not match).
PACKAGES = ("keras", "tensorflow", "tensorflow-cpu", "jax", "jaxlib", "torch", "numpy", "tensorflow-datasets")
FACTS_PREFIX = "chapters-kernel-facts: "
# Run in the notebook's kernel after its cells: what only the kernel knows.
FACTS_PROBE = "from chapters.tools.records import print_kernel_facts\nprint_kernel_facts()"


def record_name(notebook: str, backend: str, mode: str, seed: int) -> str:
    """Return the file name of a run's record."""
    return f"{notebook}.{backend}.{mode}.seed{seed}.json"


def write_record(record: dict, folder: Path) -> Path:
    """Write ``record`` into ``folder`` under its name (replacing an earlier run of the same kind);
    return the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / record_name(record["notebook"], record["backend"], record["mode"], record["seed"])
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return path


def read_records(folder: Path) -> list[dict]:
    """Return every record in ``folder``, sorted by notebook, mode, backend and seed."""
    records = [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    return sorted(
        records, key=lambda record: (record["notebook"], record["mode"], record["backend"], record["seed"])
    )


def package_versions() -> dict[str, str]:
    """Return Python's version and those of the packages a run depends on that are installed."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def cpu_description() -> str:
    """Return the CPU as ``"<n>-core <model>"``, counting the cores this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        model = names[0] if names else model
    return f"{cores}-core {model}"


def machine_description(device: str) -> str:
    """Return where a run computed: the GPU and its host's CPU, or the CPU alone."""
    return f"{device}, {cpu_description()} host" if device != "CPU" else f"CPU, {cpu_description()}"


def git_commit(folder: Path) -> str | None:
    """Return the short commit checked out at ``folder``, with ``+changes`` when files a run
    depends on, anywhere in the checkout, differ from it, new files not yet committed included
    (edits to the records and the Markdown files do not count); None outside a git repository."""

    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", "-C", str(folder), *arguments], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git(
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--",
            ":(top)",  # the whole checkout, whichever folder of it ``folder`` is
            ":(top,exclude)records",
            ":(top,exclude)*.md",
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{commit}+changes" if changed else commit


def kernel_facts() -> dict:
    """Return what the running kernel knows of its run: the device, its peak resident memory and,
    on a GPU, the backend's peak allocated accelerator memory (None on a CPU), in MiB."""
    from chapters.session import device_name

    backend = settings.value(settings.BACKEND) or "tensorflow"
    return {
        "device": device_name(backend),
        "peak_memory_mb": _peak_resident_mb(),
        "accelerator_peak_memory_mb": _accelerator_peak_mb(backend),
    }


def print_kernel_facts() -> None:
    """Print ``kernel_facts()`` on one line the runner reads back."""
    print(FACTS_PREFIX + json.dumps(kernel_facts()))


def _peak_resident_mb() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10))  # bytes on macOS, KiB elsewhere


def _accelerator_peak_mb(backend: str) -> int | None:
    peak_bytes = None
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            peak_bytes = torch.cuda.max_memory_allocated()
    elif backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "cpu":
            peak_bytes = (device.memory_stats() or {}).get("peak_bytes_in_use")
    else:
        import tensorflow as tf

        if tf.config.list_logical_devices("GPU"):
            peak_bytes = tf.config.experimental.get_memory_info("GPU:0")["peak"]
    return None if peak_bytes is None else round(peak_bytes / 2**20)
