"""The manifest of every dataset the course reads: ``datasets.json``, beside this module.

Each ``Dataset`` gives its files (``DataFile``: cache name, official URL, sha256, size), where they
live in the Keras cache and in an offline mirror, and, for a file with no published hash, the
content it must hold (``CsvContent``, ``WordVectorsContent``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from chapters.data.content import CONTENT_FORMATS, CsvContent, WordVectorsContent
from chapters.data.errors import DataError


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset: its name in the cache, official URL, sha256 and size in bytes.

    ``archive_member`` is set when the official URL serves a zip archive holding the file under
    that name rather than the file itself.
    """

    name: str
    url: str
    sha256: str
    size: int
    archive_member: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A dataset of the manifest: where its files live in the cache and in the mirror.

    ``split`` (image folders only) gives the images per class in each subset, e.g.
    ``{"train": 1000, "validation": 500, "test": 500}``; ``classes`` maps each class folder to
    the folder holding it in the archive. ``content`` (files with no published hash) is what the
    file must hold when its bytes are not the ones its ``sha256`` names.
    """

    name: str
    description: str
    license: str
    returns: str
    cache_subdir: str
    mirror_dir: str
    files: tuple[DataFile, ...]
    extract: bool = False
    split: dict[str, int] | None = None
    classes: dict[str, str] | None = None
    content: CsvContent | WordVectorsContent | None = None


@cache
def manifest_document() -> dict:
    """Return the manifest, ``datasets.json`` beside this module, as parsed JSON."""
    return json.loads(resources.files(__package__).joinpath("datasets.json").read_text())


@cache
def manifest() -> dict[str, Dataset]:
    """Return the manifest's datasets by name."""
    datasets = manifest_document()["datasets"]
    return {
        name: Dataset(
            name=name,
            files=tuple(DataFile(**file) for file in entry["files"]),
            content=_content_entry(name, entry.get("content")),
            **{key: value for key, value in entry.items() if key not in ("files", "content")},
        )
        for name, entry in datasets.items()
    }


def _content_entry(dataset: str, entry: dict | None) -> CsvContent | WordVectorsContent | None:
    """Return the manifest's ``content`` entry of ``dataset`` as the class its ``format`` names."""
    if entry is None:
        return None
    fields = {key: value for key, value in entry.items() if key != "format"}
    content_class = CONTENT_FORMATS.get(str(entry.get("format")))
    if content_class is None:
        raise DataError(
            f"The manifest's dataset {dataset!r} has a content check of unknown format "
            f"{entry.get('format')!r}; give it one of {', '.join(CONTENT_FORMATS)} in chapters/data/datasets.json."
        )
    return content_class(
        **{key: tuple(value) if isinstance(value, list) else value for key, value in fields.items()}
    )


def dataset_named(name: str) -> Dataset:
    datasets = manifest()
    if name not in datasets:
        raise KeyError(f"No dataset {name!r} in the manifest; it lists {', '.join(datasets)}.")
    return datasets[name]
