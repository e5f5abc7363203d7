"""Run notebooks as Colab runs them, and check that the setup cell's install leaves Colab's packages alone.

    python -m chapters.tools.colab                     # every notebook, quick mode
    python -m chapters.tools.colab notebooks/01_tensors.ipynb notebooks/02_gradient_descent.ipynb
    python -m chapters.tools.colab --work /tmp/colab --reuse-venv notebooks/01_tensors.ipynb
    python -m chapters.tools.colab --installer uv notebooks/01_tensors.ipynb   # as CI runs it

Run from the repository root. In a work folder (``--work``, kept; else a temporary folder, removed):

1. A virtual environment on this Python with Colab's versions (``.ci/colab-versions.txt``),
   installed by its pip or, with ``--installer uv``, by uv (the same versions, in under half the
   time); its ``pip freeze`` is kept as ``pip-freeze-before.txt``, the installer's output as
   ``pip.log``.
2. A stand-in ``google.colab`` package in it, and Colab's way of starting a kernel. Colab runs its
   kernel as ``python -m colab_kernel_launcher``, a module beside ``google.colab`` that imports it
   before ipykernel starts: ``google.colab`` is in ``sys.modules`` before the first cell, in the
   kernel alone (not in pip's or any other process). The stand-in launcher does the same, and the
   kernel spec, named ``python3`` as Colab's is, starts it.
3. A clone of the repository's HEAD: committed work only is tested (the command says when the
   working tree has uncommitted changes).
4. Each notebook copied to the work folder with its install line, and nothing else, pointed at
   the clone (``git+file://``: pip builds and installs the package from git, not editable, as on
   Colab), then run there with nbclient on that kernel, in quick mode unless ``--mode`` says
   otherwise, with empty Keras and TFDS caches in the work folder and ``CHAPTERS_MIRROR`` as set.
   The executed notebooks are written over the copies.
5. ``pip freeze`` again, kept as ``pip-freeze-after.txt``: each package the install changed or
   removed is named, each it added listed.

Exits with status 1 if a notebook failed, a package was changed or removed, or the package was
never installed (the install line did not run).
"""

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from chapters import settings
from chapters.mode import MODES
from chapters.tools import records
from chapters.tools._shared import KERNEL_ARGUMENTS, execute_cells, install_requirement, repository_url
from chapters.tools.pip_freeze import compare_freezes, parse_freeze

VERSIONS_FILE = Path(".ci/colab-versions.txt")
PACKAGE = "keras-chapters"
STAND_IN = '''"""Stand-in for Colab's google.colab, written by chapters.tools.colab: the notebooks' setup cell
checks only that it is imported."""
'''
LAUNCHER = '''"""Start an IPython kernel as Colab's colab_kernel_launcher does, google.colab imported first.
Written by chapters.tools.colab."""
import google.colab  # noqa: F401
from ipykernel import kernelapp

kernelapp.launch_new_instance()
'''
# The runner's own environment that must not reach the kernel: its Python path (the repository's
# chapters would shadow the installed package), its virtual environment, and the choices a Colab
# notebook makes itself (the backend field; the inline plots).
LEFT_OUT_OF_KERNEL = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "KERAS_BACKEND", "MPLBACKEND")


def install_from(notebook: nbformat.NotebookNode, repository: str, url: str) -> None:
    """Point the notebook's Colab install line, which installs the package from ``repository``, at
    ``url`` instead; no other text changes. Raise ValueError unless one code cell holds that line."""
    old, new = f'"{install_requirement(repository)}"', f'"{install_requirement(url)}"'
    cells = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
    if len(cells) != 1 or cells[0].source.count(old) != 1:
        raise ValueError(f"expected the install line {old} once in one code cell, found it in {len(cells)}")
    cells[0].source = cells[0].source.replace(old, new)


def _logged(command: list[str | Path], log: Path) -> None:
    """Run ``command``, appending it and its output to ``log``; exit with the output's end if it fails."""
    result = subprocess.run(command, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    shown = " ".join(str(part) for part in command)
    with log.open("a") as stream:
        stream.write(f"$ {shown}\n{result.stdout}")
    if result.returncode:
        tail = "\n".join(result.stdout.splitlines()[-20:])
        raise SystemExit(f"{shown} failed (its output is in {log}):\n{tail}")


def _pip(python: Path, log: Path, *arguments: str) -> None:
    """Run ``python -m pip`` with ``arguments`` (see ``_logged``)."""
    _logged([python, "-m", "pip", *arguments], log)


def install_versions(python: Path, log: Path, installer: str) -> None:
    """Install the versions of ``VERSIONS_FILE`` into the environment of ``python`` with its own pip
    or with uv (``installer``); exit naming the problem if uv is asked for and not on the path."""
    arguments = ["install", "--quiet", "-r", str(VERSIONS_FILE.resolve())]
    if installer == "pip":
        _pip(python, log, *arguments)
        return
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("--installer uv: uv is not on the path (pip install uv), or use --installer pip")
    # Compiled as pip compiles them: with PYTHONDONTWRITEBYTECODE set, the kernel would otherwise
    # compile every module it imports, every time (TensorFlow and Keras: 14-23 s against 5.5 s).
    _logged([uv, "pip", *arguments, "--compile-bytecode", "--python", python], log)


def prepare_environment(venv: Path, log: Path, reuse: bool, installer: str) -> Path:
    """Make ``venv`` a virtual environment on this Python with the versions of ``VERSIONS_FILE``,
    installed by ``installer`` (see ``install_versions``), and the stand-in ``google.colab``; return
    its Python. With ``reuse``, an environment already there is kept, put back to those versions
    (packages a run added stay), and the package uninstalled."""
    python = venv / "bin" / "python"
    if not (reuse and python.is_file()):
        subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
    install_versions(python, log, installer)
    if reuse:
        _pip(python, log, "uninstall", "--yes", PACKAGE)
    purelib = _output(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip()
    (Path(purelib) / "google" / "colab").mkdir(parents=True, exist_ok=True)
    (Path(purelib) / "google" / "colab" / "__init__.py").write_text(STAND_IN)
    (Path(purelib) / "colab_kernel_launcher.py").write_text(LAUNCHER)
    return python


def write_kernel_spec(python: Path, folder: Path) -> Path:
    """Write a kernel spec named ``python3`` that starts ``python -m colab_kernel_launcher``;
    return the folder of kernel specs that holds it."""
    spec = folder / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(python), "-m", "colab_kernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3 (Colab stand-in)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1))
    return folder


def clone_head(destination: Path) -> str:
    """Clone the repository at the current folder into ``destination`` (replacing it); return the
    commit cloned, its short hash and date, noting uncommitted changes, which the clone lacks."""
    shutil.rmtree(destination, ignore_errors=True)
    subprocess.run(["git", "clone", "--quiet", ".", str(destination)], check=True)
    commit = _output("git", "-C", str(destination), "log", "-1", "--format=%h (committed %cs)").strip()
    changed = (records.git_commit(Path(".")) or "").endswith("+changes")  # what a run record would say
    return commit + (" (uncommitted changes here are NOT tested)" if changed else "")


def kernel_environment(python: Path, work: Path, mode: str) -> dict[str, str]:
    """Return the kernel's environment: this one without ``LEFT_OUT_OF_KERNEL``, with the folder of
    ``python`` (the virtual environment's programs) first on the path, the run mode, and empty Keras and TFDS caches."""
    environment = {name: value for name, value in os.environ.items() if name not in LEFT_OUT_OF_KERNEL}
    caches = {settings.KERAS_HOME: work / "keras", settings.TFDS_DATA_DIR: work / "tensorflow_datasets"}
    for folder in caches.values():
        shutil.rmtree(folder, ignore_errors=True)
    return {
        **environment,
        **{name: str(folder) for name, folder in caches.items()},
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        settings.MODE: mode,
    }


def run_notebook(path: Path, kernels: Path, environment: dict[str, str]) -> tuple[float, dict | None]:
    """Execute the notebook at ``path`` from its folder on the ``python3`` kernel of ``kernels``,
    printing a line per cell, and write it back executed; return its wall time in seconds and its
    failure (see ``chapters.tools.run.execute_cells``), None if every cell ran."""
    notebook = nbformat.read(path, as_version=4)
    manager = KernelManager(
        kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)])
    )
    client = NotebookClient(
        notebook,
        km=manager,
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=KERNEL_ARGUMENTS,
    )
    started = time.perf_counter()
    with client.setup_kernel(env=environment):
        _, failure = execute_cells(client, notebook)
    seconds = time.perf_counter() - started
    nbformat.write(notebook, path)
    return seconds, failure


def run_copies(notebooks: list[Path], work: Path, python: Path, mode: str) -> list[str]:
    """Copy each notebook into ``work`` with its install line pointed at a clone of HEAD, and run it
    on the kernel of ``python``, printing its cells and its outcome; return the names of those that failed."""
    clone = work / "repository"
    print(f"=== the package, from a clone of {clone_head(clone)}", flush=True)
    kernels = write_kernel_spec(python, work / "kernels")
    environment = kernel_environment(python, work, mode)
    copies = work / "notebooks"
    shutil.rmtree(copies, ignore_errors=True)
    copies.mkdir()
    failed = []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        install_from(notebook, repository_url(Path(".")), clone.resolve().as_uri())
        copy = copies / path.name
        nbformat.write(notebook, copy)
        print(f"=== {path.name} ({mode} mode), in {copies}", flush=True)
        seconds, failure = run_notebook(copy, kernels, environment)
        if failure:
            failed.append(path.name)
            print(
                f"    FAILED in {seconds:.1f} s at cell {failure['cell']}: {failure['error']}: {failure['message']}"
            )
        else:
            print(f"    passed in {seconds:.1f} s", flush=True)
    return failed


def check(notebooks: list[Path], work: Path, mode: str, reuse_venv: bool, installer: str) -> int:
    """Run ``notebooks`` as Colab would in ``work`` (see the module's docstring), Colab's versions
    installed by ``installer``, printing each step and its time; return 1 if a notebook failed or
    Colab's packages were not left alone, else 0."""
    started = time.perf_counter()
    print(
        f"=== Colab's versions ({VERSIONS_FILE}) on Python {platform.python_version()}, by {installer}",
        flush=True,
    )
    python = prepare_environment(work / "venv", work / "pip.log", reuse_venv, installer)
    before = _freeze(python)
    (work / "pip-freeze-before.txt").write_text(before)
    pinned = parse_freeze(before)
    versions = ", ".join(
        f"{name} {pinned[name].removeprefix('==')}" for name in records.PACKAGES if name in pinned
    )
    print(f"    installed in {time.perf_counter() - started:.0f} s: {versions}", flush=True)

    failed = run_copies(notebooks, work, python, mode)

    after = _freeze(python)
    (work / "pip-freeze-after.txt").write_text(after)
    changes = compare_freezes(before, after)
    print("=== what installing the package changed (pip freeze before and after)")
    for line in changes.lines() or ["nothing"]:
        print(f"    {line}")
    problems = [f"notebook {name} failed" for name in failed]
    if not changes.left_alone:
        problems.append("the install changed or removed Colab's packages (above)")
    if PACKAGE not in changes.added:
        problems.append(f"{PACKAGE} was never installed: the setup cell's install line did not run")
    print(f"=== took {time.perf_counter() - started:.0f} s in all")
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


def _freeze(python: Path) -> str:
    return _output(python, "-m", "pip", "freeze")


def _output(*command: str | Path) -> str:
    """Return what ``command`` prints; raise CalledProcessError if it fails."""
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@contextlib.contextmanager
def work_folder(chosen: Path | None) -> Iterator[Path]:
    """Yield ``chosen`` (made if missing, kept afterwards), or a temporary folder removed afterwards."""
    if chosen:
        chosen.mkdir(parents=True, exist_ok=True)
        yield chosen.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="chapters-colab-") as folder:
        yield Path(folder)


def parse_arguments(arguments: list[str]) -> argparse.Namespace:
    """Return the command line's choices (see the module's docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m chapters.tools.colab", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/*.ipynb)"
    )
    parser.add_argument("--mode", choices=MODES, default="quick", help="run mode (default: quick)")
    parser.add_argument(
        "--work", type=Path, help="work folder, kept afterwards (default: a temporary folder, removed)"
    )
    parser.add_argument(
        "--reuse-venv",
        action="store_true",
        help="keep the virtual environment a previous run left in --work (reinstalls only what differs)",
    )
    parser.add_argument(
        "--installer",
        choices=("pip", "uv"),
        default="pip",
        help="what installs Colab's versions (default: pip; uv installs the same versions faster)",
    )
    options = parser.parse_args(arguments)
    if options.reuse_venv and not options.work:
        parser.error("--reuse-venv needs --work, the folder that holds the environment")
    return options


def main(arguments: list[str]) -> int:
    """Run the notebooks the command line names (all by default); return the exit status."""
    options = parse_arguments(arguments)
    notebooks = options.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    with work_folder(options.work) as work:
        return check(notebooks, work, options.mode, options.reuse_venv, options.installer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
