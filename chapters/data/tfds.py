"""TensorFlow Datasets, with its cache seeded from the offline mirror's prepared builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chapters import settings, shared_cache
from chapters.data.catalog import manifest_document
from chapters.data.errors import CorruptFileError, user_facing
from chapters.data.mirror import copy_from_mirror, mirror_checksums, offline_mirror
from chapters.data.storage import fetching


@user_facing
def load_tfds(name: str, **load_arguments: Any) -> Any:
    """Return ``tensorflow_datasets.load(name, **load_arguments)``, seeding its cache from the mirror.

    With ``CHAPTERS_MIRROR`` set, the mirror's prepared build is checked against ``SHA256SUMS``
    and copied into ``TFDS_DATA_DIR`` (default ``~/tensorflow_datasets``) first.
    """
    import tensorflow_datasets as tfds

    data_dir = settings.tfds_data_dir()
    mirror = offline_mirror()
    version = manifest_document()["tfds"]["builds"].get(name)
    if mirror is not None and version is not None:
        _seed_tfds_build(mirror, name, version, data_dir / name)
    return tfds.load(name, data_dir=str(data_dir), **load_arguments)


TFDS_BUILD_INFO = "dataset_info.json"


def _seed_tfds_build(mirror: Path, name: str, version: str, folder: Path) -> None:
    """Copy the mirror's prepared TFDS build of ``name`` into ``folder/version``, verified, unless a
    complete build (one with its ``dataset_info.json``) is there; an incomplete one is replaced.
    """
    build = folder / version
    if (build / TFDS_BUILD_INFO).is_file():
        return
    build_prefix = f"{manifest_document()['tfds']['mirror_dir']}/{name}/{version}/"
    listed = {
        path: digest for path, digest in mirror_checksums(mirror).items() if path.startswith(build_prefix)
    }
    if f"{build_prefix}{TFDS_BUILD_INFO}" not in listed:
        raise CorruptFileError(
            f"The mirror's SHA256SUMS lists no {build_prefix}{TFDS_BUILD_INFO}, so its TFDS build of "
            f"{name!r} cannot be verified as complete and was not used. List every file of "
            f"{mirror / build_prefix} there, then run again."
        )
    what, lock_name = f"the TFDS build of {name!r}", f"tfds-{name}"
    size = sum((mirror / path).stat().st_size for path in listed if (mirror / path).is_file())
    with fetching(what, size, folder.parent, folder, lock_name):
        if (build / TFDS_BUILD_INFO).is_file():  # another process installed it while this one waited
            return
        with shared_cache.staging_folder(folder, lock_name) as staging:
            copied = staging / version
            for relative_path, expected in listed.items():
                copy_from_mirror(
                    what, mirror / relative_path, expected, copied / relative_path.removeprefix(build_prefix)
                )
            shared_cache.install(copied, build)
