"""The errors of the data layer, and how they read where a student meets them.

``DataError`` and its kinds (``DatasetNotFoundError``, ``CorruptFileError``, ``StorageError``) say
why a dataset could not be provided and what to do. A function a notebook calls is marked
``@user_facing``: an error it raises reaches the caller without the package's own frames, message
first (``CHAPTERS_TRACEBACK=full`` keeps every frame). The classes are named from
``chapters.data``, where the notebooks meet them.
"""

from __future__ import annotations

import functools
import linecache
from collections.abc import Callable
from pathlib import Path
from traceback import walk_tb
from types import TracebackType
from typing import TYPE_CHECKING, Any

from chapters import settings

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell


# The package's own folder: a traceback's frames inside it are left out of a data error's.
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def full_traceback_wanted() -> bool:
    """Return whether ``CHAPTERS_TRACEBACK`` asks for data errors' full tracebacks (``full``)."""
    return settings.value(settings.TRACEBACK).lower() == "full"


class DataError(Exception):
    """A dataset could not be provided; the message says why and what to do.

    It reads short where a student meets it. The functions a notebook calls (marked
    ``@user_facing``) raise it without the package's own frames, in a plain ``python`` traceback
    as in a notebook; in IPython and Jupyter it renders its message first, then the line of the
    caller's code that led to it. ``CHAPTERS_TRACEBACK=full`` keeps every frame.
    """

    def _render_traceback_(self) -> list[str]:
        """Return the lines IPython shows for this error: IPython calls this method, when an
        exception has one, instead of formatting the traceback itself."""
        from IPython import get_ipython  # only IPython calls this method

        shell = get_ipython()
        if full_traceback_wanted() and shell is not None:
            return shell.InteractiveTB.structured_traceback(type(self), self, self.__traceback__)
        lines = [f"{type(self).__name__}: {self}", ""]
        call = _call_outside_the_package(self.__traceback__, shell)
        if call is not None:
            lines += [f"Raised by the chapters package, called from {call[0]}:", f"    {call[1]}", ""]
        lines.append(
            f"(The package's own frames are left out: set {settings.TRACEBACK}=full, in a notebook "
            f"with %env {settings.TRACEBACK}=full, and run the cell again to see them.)"
        )
        return lines


class DatasetNotFoundError(DataError):
    """A dataset file is in neither the cache, the mirror, nor reachable at its URL."""


class CorruptFileError(DataError):
    """A dataset file's sha256 is not the one it must have; the file was not used."""


class StorageError(DataError):
    """A dataset could not be written to (or read from) disk: full, read-only or not permitted."""


def _call_outside_the_package(
    traceback: TracebackType | None, shell: InteractiveShell | None
) -> tuple[str, str] | None:
    """Return (where, source line) of the last frame in ``traceback`` outside this package, the
    caller's code: where is "Cell In[3], line 2" for a notebook cell (the name IPython's ``shell``
    gives it, when there is one), else "FILE, line N"; None when every frame is the package's."""
    outside = [
        (frame.f_code.co_filename, line)
        for frame, line in walk_tb(traceback)
        if not Path(frame.f_code.co_filename).resolve().is_relative_to(PACKAGE_DIR)
    ]
    if not outside:
        return None
    filename, line = outside[-1]
    label = shell.compile.format_code_name(filename) if shell is not None else None
    where = f"{' '.join(label)}, line {line}" if label is not None else f"{filename}, line {line}"
    return where, linecache.getline(filename, line).strip()


def user_facing(function: Callable) -> Callable:
    """Mark ``function`` as one the notebooks call: a ``DataError`` it raises reaches the caller
    with a traceback that starts at this call, the package's frames below it left out (unless
    ``CHAPTERS_TRACEBACK=full``). Returns the wrapped function. Nested marked functions are fine:
    the outermost call is where the traceback starts."""

    @functools.wraps(function)
    def called_by_a_notebook(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DataError as error:
            if full_traceback_wanted():
                raise
            # The same error re-raised, not chained (no `from`): its own cause, if any, stays.
            raise error.with_traceback(None)  # noqa: B904 - package frames left out; CHAPTERS_TRACEBACK=full shows them

    return called_by_a_notebook


# Named from where the notebooks meet them, in messages and tracebacks: chapters.data.CorruptFileError.
for _error in (DataError, DatasetNotFoundError, CorruptFileError, StorageError):
    _error.__module__ = "chapters.data"
