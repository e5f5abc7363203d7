"""One-call notebook setup: backend, run mode, seeds, quiet logs, and a line saying what runs where."""

import contextlib
import importlib.util
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from chapters import settings
from chapters.mode import choose_mode, mode_from_environment

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_SEED = 42
LONG_ON_CPU_MINUTES = 5  # full mode on a CPU past this: the setup line says what to expect and how to switch
FAST_POOLING_NOTE = (
    "Max pooling goes through chapters.jax_pooling: Keras's results, a gradient XLA computes faster on a CPU."
)
FAST_DEPTHWISE_NOTE = (
    "Depthwise convolutions go through chapters.jax_depthwise: Keras's results, computed faster on a CPU."
)
# PyTorch is an optional install (its default Linux build brings 3 GB of CUDA libraries a CPU cannot use).
TORCH_MISSING = (
    "The backend is 'torch', but PyTorch is not installed here. Install it, restart the kernel and "
    "run the notebook from the top:\n"
    "  - on a machine without an NVIDIA GPU (the CPU build, a 190 MB download):\n"
    "      %pip install torch --index-url https://download.pytorch.org/whl/cpu\n"
    "  - on a machine with an NVIDIA GPU (PyTorch's CUDA build, a few GB):\n"
    "      %pip install torch\n"
    "Or choose 'tensorflow' or 'jax' in the setup cell (KERAS_BACKEND, when set, wins over it)."
)


@dataclass(frozen=True)
class Session:
    """What ``setup`` chose: backend, Keras version, device, seed and run mode."""

    backend: str
    keras_version: str
    device: str
    seed: int
    mode: str

    def __str__(self) -> str:
        return (
            f"Keras {self.keras_version} | backend: {self.backend} | device: {self.device} | "
            f"seed: {self.seed} | mode: {self.mode}"
        )


def setup(
    backend: str = "tensorflow",
    mode: str = "full",
    *,
    full_mode_cpu_minutes: dict[str, int] | None = None,
) -> Session:
    """Choose the Keras backend and run mode, seed every generator, quiet framework logs; print and
    return what was chosen. On JAX on a CPU, also make max pooling's gradient and depthwise
    convolutions fast (``jax_pooling``, ``jax_depthwise``).

    ``backend`` and ``mode`` are the notebook's choices (its Colab form fields); the environment
    variables ``KERAS_BACKEND`` and ``CHAPTERS_MODE``, when set, win over them, so CI can choose.
    The seed is ``CHAPTERS_SEED`` if set, else 42. ``full_mode_cpu_minutes`` says, per backend, how
    long the chapter takes in full mode on a 2-core CPU: past a few minutes on the chosen backend,
    starting full mode on a CPU prints what to expect and how to switch. Call it before importing
    Keras.
    """
    keras_was_imported = "keras" in sys.modules
    chosen = _choose_backend(backend)
    chosen_mode = choose_mode(mode)
    _quiet_framework_logs()
    with _native_stderr_silenced():  # TensorFlow's C++ start-up lines ignore every log setting
        import keras

        device = device_name(chosen)
        seed = _seed_from_environment()
        keras.utils.set_random_seed(seed)  # also imports TensorFlow, whatever the backend
        if "tensorflow" in sys.modules:  # probe its devices now, or tf.data prints "failed call to cuInit"
            sys.modules["tensorflow"].config.list_physical_devices()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # after import: TensorFlow resets it then

    if keras.backend.backend() != chosen:
        raise RuntimeError(
            f"Keras is already running on {keras.backend.backend()!r}, not {chosen!r}: the backend "
            "is fixed when Keras is first imported. Restart the kernel (Colab: Runtime > Restart "
            "session) and run the notebook from the top."
        )
    if keras_was_imported and chosen != backend:
        print(f"Keras was already imported on {chosen!r}; restart the kernel to switch to {backend!r}.")
    session = Session(chosen, keras.__version__, device, seed, chosen_mode)
    print(session)
    if chosen == "jax" and device == "CPU":
        from chapters import jax_depthwise, jax_pooling

        # Each replaces a private Keras function: only on the releases its tests passed on (else a no-op).
        if jax_pooling.install():
            print(FAST_POOLING_NOTE)
        if jax_depthwise.install():
            print(FAST_DEPTHWISE_NOTE)
    minutes = (full_mode_cpu_minutes or {}).get(chosen, 0)
    if chosen_mode == "full" and device == "CPU" and minutes > LONG_ON_CPU_MINUTES:
        print(long_run_warning(minutes))
    return session


def long_run_warning(minutes: int) -> str:
    """Return the lines saying that full mode on this CPU takes long, and how to switch to quick mode."""
    expected = f"about {round(minutes / 60)} hours" if minutes >= 120 else f"about {minutes} minutes"
    if mode_from_environment():
        how = "unset the environment variable CHAPTERS_MODE (it chose full mode) or set it to quick"
    else:
        how = 'set CHAPTERS_MODE = "quick" in this cell and run it again'
    return (
        f"Full mode on a CPU: this chapter takes {expected} on a 2-core CPU with this backend.\n"
        f"For a run of a minute or two on smaller data, {how}.\n"
        "For the book-scale run, use a GPU (Colab: Runtime > Change runtime type)."
    )


def _choose_backend(notebook_choice: str) -> str:
    chosen = settings.value(settings.BACKEND) or notebook_choice
    if chosen not in BACKENDS:
        raise ValueError(f"Unknown Keras backend {chosen!r}: use one of {', '.join(BACKENDS)}.")
    if chosen == "torch" and importlib.util.find_spec("torch") is None:
        raise ModuleNotFoundError(TORCH_MISSING, name="torch")
    os.environ[settings.BACKEND] = chosen
    return chosen


def _seed_from_environment() -> int:
    text = settings.value(settings.SEED)
    if not text:
        return DEFAULT_SEED
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{settings.SEED}={text!r} is not a whole number.") from None


def _quiet_framework_logs() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ info and warnings
    logging.getLogger("absl").setLevel(logging.ERROR)
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message="`shuffle=True` was passed")  # fit() on a tf.data dataset


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 to /dev/null; Python errors still raise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def device_name(backend: str) -> str:
    """Return ``"CPU"`` or ``"GPU (<name>)"`` for the device the backend computes on."""
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return f"GPU ({details.get('device_name', gpus[0].name)})"
    elif backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "cpu":
            return f"{device.platform.upper()} ({device.device_kind})"
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            return f"GPU ({torch.cuda.get_device_name(0)})"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "GPU (Apple MPS)"
    return "CPU"
