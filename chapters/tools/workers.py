"""Two notebooks at once on PyTorch without oversubscribing the CPU.

CI runs two notebooks at a time (pytest-xdist workers). PyTorch sizes its OpenMP thread pool to
every core it may use, so two PyTorch kernels on a 2-core machine run four busy threads on two
cores, and OpenMP threads that wait by spinning slow down badly when they outnumber the cores.
``conftest.py`` calls :func:`limit_torch_threads_per_worker` in every worker; the notebook kernels
a worker starts inherit its environment. Measured on the 2-core machine, quick mode, notebooks
01-09: PyTorch 658 s one notebook at a time, 445 s two at a time with one thread each. TensorFlow
and JAX share the cores well as they are: kept to one core per worker, they took 378 s against
347 s and 600 s against 588 s, so they are left alone.
"""

import os

from chapters import settings


def threads_per_worker(cores: int, workers: int) -> int:
    """Return how many threads each of ``workers`` workers gets on ``cores`` cores: an equal share,
    at least one."""
    return max(1, cores // workers)


def limit_torch_threads_per_worker() -> int | None:
    """When this process is one of two or more pytest-xdist workers running PyTorch notebooks
    (``KERAS_BACKEND=torch``), set ``OMP_NUM_THREADS`` to its share of the cores, for the kernels
    it starts. Returns the thread count set, or None when nothing was changed: not an xdist
    worker, a single worker, another backend, or ``OMP_NUM_THREADS`` already set by the caller."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if (
        not os.environ.get("PYTEST_XDIST_WORKER")
        or workers < 2
        or settings.value(settings.BACKEND) != "torch"
        or "OMP_NUM_THREADS" in os.environ
    ):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = threads_per_worker(cores, workers)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    return threads
