"""Helpers for tests that stand a local HTTP server (the ``file_server`` fixture) in for the official
source of a manifest dataset."""

import dataclasses
import zipfile

from chapters import data


def dataset_served_at(name: str, url: str, **file_changes) -> data.Dataset:
    """Return the manifest's dataset ``name`` with its one file's URL replaced by ``url``, and any
    other field of that file by ``file_changes`` (e.g. ``archive_member=None``)."""
    dataset = data.manifest()[name]
    (data_file,) = dataset.files
    return dataclasses.replace(dataset, files=(dataclasses.replace(data_file, url=url, **file_changes),))


def serve_zip(server, archive: str, members: dict[str, bytes]) -> str:
    """Write the zip ``archive`` holding ``members`` ({path in the zip: content}) where ``server``
    serves it; return its URL."""
    with zipfile.ZipFile(server.root / archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for member, content in members.items():
            zipped.writestr(member, content)
    return f"{server.url}/{archive}"
