"""Running a Python program that starts with ``chapters.setup('jax', 'quick')``, as a notebook on JAX
on a CPU does, for tests of what setup installs there."""

import os
import subprocess
import sys


def lines_printed_after_jax_setup(program: str) -> list[str]:
    """Run ``chapters.setup('jax', 'quick')`` then ``program`` in a Python process on JAX's CPU;
    return the lines it printed. Fails the test, with the process's stderr, if it fails."""
    completed = subprocess.run(
        [sys.executable, "-c", "import chapters; chapters.setup('jax', 'quick'); " + program],
        env={**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
        capture_output=True,
        text=True,
        check=False,  # its stderr goes into the assertion's message
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()
