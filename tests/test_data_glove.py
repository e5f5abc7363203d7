"""The GloVe subset (the first 20,000 lines of Stanford's glove.6B.50d.txt) is checked by its content
when its bytes differ from the mirror's: a download of the official zip, served over HTTP from
127.0.0.1, is cut to its first 20,000 lines, checked by its words and float32 values, and cached
without the zip; a download whose words or values differ is refused and leaves nothing behind.

The downloads are made from the small mirror's GloVe-shaped file of 300 words (tests/small_mirror.py),
cut to that many lines and checked against the content it holds; the real subset is checked against
the manifest, and read by the loader, on the shared mirror."""

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
import served
from small_mirror import GLOVE_INTEGER_VALUES, GLOVE_WORDS, holding_content_of

from chapters import data
from chapters.data import catalog

TXT_NAME = "glove.6B.50d.top20000.txt"
MEMBER = "glove.6B.50d.txt"
INTEGER_VALUE = re.compile(rb"(?<= )(-?\d+)(?=[ \n])")  # a value such as ` 1` or ` -1`, never the word


@pytest.fixture
def mirror_glove(small_mirror) -> bytes:
    """The small mirror's GloVe-shaped file, as bytes (LF line endings, values written ``%.5g``)."""
    return (small_mirror / "glove" / TXT_NAME).read_bytes()


@pytest.fixture
def official_member(mirror_glove) -> bytes:
    """A stand-in for the official ``glove.6B.50d.txt``: the mirror's lines with LF line endings and
    integer values written ``1.0``, then 50 more words (the official file has 400,000)."""
    lf_lines = mirror_glove.replace(b"\r\n", b"\n")
    rewritten, integers = INTEGER_VALUE.subn(rb"\1.0", lf_lines)
    assert integers == len(GLOVE_INTEGER_VALUES), "the small mirror writes these integer-valued entries"
    extra = b"".join(f"extra{i} ".encode() + b" ".join([b"0.5"] * 50) + b"\n" for i in range(50))
    return rewritten + extra


@pytest.fixture
def small_glove(small_mirror) -> data.Dataset:
    """The manifest's GloVe dataset expecting the content of the small mirror's file, and so keeping
    the first ``GLOVE_WORDS`` lines of a download."""
    return holding_content_of(data.manifest()["glove_6b_50d"], small_mirror / "glove" / TXT_NAME)


def first_lines(content: bytes, count: int) -> bytes:
    return b"".join(content.splitlines(keepends=True)[:count])


def serve_glove(server, member_bytes: bytes, dataset: data.Dataset) -> data.Dataset:
    """``dataset`` (the manifest's GloVe dataset, or ``small_glove``) served as a zip holding
    ``member_bytes`` and a 100-d file."""
    other_size = b"".join(f"word{i} ".encode() + b" ".join([b"0.25"] * 100) + b"\n" for i in range(3))
    url = served.serve_zip(server, "glove.6B.zip", {MEMBER: member_bytes, "glove.6B.100d.txt": other_size})
    (data_file,) = dataset.files
    return dataclasses.replace(dataset, files=(dataclasses.replace(data_file, url=url),))


def cache_folder(keras_cache: Path) -> Path:
    return keras_cache / "datasets" / "glove"


# The content: words and float32 values, in order; not line endings or number formatting.


def test_the_mirror_copy_matches_the_manifest_content(shared_mirror):
    """The shared mirror's real subset holds the content the manifest expects."""
    content = data.manifest()["glove_6b_50d"].content
    assert data.word_vectors_content(shared_mirror / "glove" / TXT_NAME) == content
    assert (content.words, content.dimensions) == (20000, 50)


def test_content_ignores_line_endings_bom_blank_lines_and_number_format(tmp_path):
    original = tmp_path / "a.txt"
    original.write_bytes(b"the 0.418 1 -0.5\n, 0.013441 -1 2\n")
    variant = tmp_path / "b.txt"
    variant.write_bytes(b"\xef\xbb\xbfthe 0.41800 1.0 -5e-1\r\n\r\n, 0.013441  -1.0 2.000 \r\n")
    assert data.word_vectors_content(variant) == data.word_vectors_content(original)
    content = data.word_vectors_content(original)
    assert (content.words, content.dimensions) == (2, 3)


@pytest.mark.parametrize(
    "changed",
    [
        b"the 0.418 1 -0.6\n, 0.013441 -1 2\n",  # a value
        b"tha 0.418 1 -0.5\n, 0.013441 -1 2\n",  # a word
        b", 0.013441 -1 2\nthe 0.418 1 -0.5\n",  # the order
        b"the 0.418 1 -0.5\n",  # a line
    ],
)
def test_content_changes_with_a_value_a_word_the_order_or_a_line(tmp_path, changed):
    original = tmp_path / "a.txt"
    original.write_bytes(b"the 0.418 1 -0.5\n, 0.013441 -1 2\n")
    variant = tmp_path / "b.txt"
    variant.write_bytes(changed)
    assert data.word_vectors_content(variant) != data.word_vectors_content(original)


@pytest.mark.parametrize(
    ("dimensions", "message"),
    [
        (3, r"not 3-value word vectors: line 3 \(word ','\) holds 2 values, not 3"),
        (None, r"not 3-value word vectors: line 3 \(word ','\) holds 2 values, not 3"),
        (4, r"not 4-value word vectors: line 1 \(word 'the'\) holds 3 values, not 4"),
    ],
)
def test_a_line_with_a_wrong_number_of_values_is_named(tmp_path, dimensions, message):
    path = tmp_path / "a.txt"
    path.write_bytes(b"the 0.418 1 -0.5\n\n, 0.013441 -1\n")
    with pytest.raises(data.ContentError, match=message):
        data.word_vectors_content(path, dimensions)


def test_a_value_that_is_not_a_number_is_named(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"the 0.418 1 -0.5\nof 0.1 x 0.2\n")
    with pytest.raises(data.ContentError, match=r"line 2 \(word 'of'\) holds a value that is not a number"):
        data.word_vectors_content(path)


# The loader.


def test_the_loader_returns_20000_words_of_50_float32_values_most_frequent_first(
    keras_cache, shared_mirror, monkeypatch
):
    """The real subset's words and values, from the shared mirror."""
    monkeypatch.setenv("CHAPTERS_MIRROR", str(shared_mirror))
    glove = data.load_glove()
    assert len(glove) == 20000
    assert list(glove)[:5] == ["the", ",", ".", "of", "to"] and list(glove)[-1] == "pitting"
    assert {(vector.shape, vector.dtype) for vector in glove.values()} == {((50,), np.dtype("float32"))}
    assert glove["the"][0] == np.float32(0.418) and glove["the"][-1] == np.float32(-0.78581)
    assert (cache_folder(keras_cache) / TXT_NAME).read_bytes() == (
        shared_mirror / "glove" / TXT_NAME
    ).read_bytes()


# Downloads: cut to the subset's lines (20,000; 300 for the small mirror's), checked by content,
# cached without the zip.


def test_a_zipped_download_is_cut_to_its_lines_checked_and_cached_alone(
    keras_cache, file_server, official_member, mirror_glove, small_mirror, small_glove, monkeypatch, tmp_path
):
    assert official_member.count(b"\n") == GLOVE_WORDS + 50
    assert first_lines(official_member, GLOVE_WORDS) != mirror_glove
    dataset = serve_glove(file_server, official_member, small_glove)
    manifest = {**data.manifest(), "glove_6b_50d": dataset}  # what the loader reads: this dataset
    monkeypatch.setattr(catalog, "manifest", lambda: manifest)  # where the loaders look a dataset up

    folder = data.fetch(dataset)

    assert (folder / TXT_NAME).read_bytes() == first_lines(official_member, GLOVE_WORDS)
    assert sorted(path.name for path in folder.iterdir()) == [TXT_NAME], (
        "the zip and temporary files are gone"
    )
    downloaded = data.load_glove()  # the cached copy's content checks, so nothing is fetched again
    assert file_server.requested_paths == ["/glove.6B.zip"]

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "another-home"))
    monkeypatch.setenv("CHAPTERS_MIRROR", str(small_mirror))
    mirrored = data.load_glove()
    assert len(mirrored) == GLOVE_WORDS and list(downloaded) == list(mirrored)
    assert all(np.array_equal(downloaded[word], vector) for word, vector in mirrored.items())


def test_a_download_with_one_value_changed_is_refused_and_leaves_nothing(
    keras_cache, file_server, official_member, small_glove
):
    tampered = official_member.replace(b"the 0.418 ", b"the 0.419 ", 1)
    assert tampered != official_member
    with pytest.raises(data.CorruptFileError) as raised:
        data.fetch(serve_glove(file_server, tampered, small_glove))
    message = str(raised.value)
    expected = small_glove.content.values_sha256
    assert "does not hold the data this course was checked against" in message
    assert f"expected: {GLOVE_WORDS:,} words of 50 values, values sha256 {expected}" in message
    assert f"found:    {GLOVE_WORDS:,} words of 50 values, values sha256 " in message
    assert message.count(expected) == 1, "the digest found is another"
    assert list(cache_folder(keras_cache).iterdir()) == []


def test_a_download_with_fewer_lines_is_refused(keras_cache, file_server, official_member, small_glove):
    with pytest.raises(data.CorruptFileError, match=f"found:    {GLOVE_WORDS - 1:,} words of 50 values"):
        data.fetch(serve_glove(file_server, first_lines(official_member, GLOVE_WORDS - 1), small_glove))
    assert list(cache_folder(keras_cache).iterdir()) == []


def test_a_download_with_a_value_missing_is_refused_naming_the_line(
    keras_cache, file_server, official_member, small_glove
):
    short_line = official_member.replace(b"\n. 0.15164 ", b"\n. ", 1)
    with pytest.raises(
        data.CorruptFileError, match=r"found:    not 50-value word vectors: line 3 \(word '\.'\)"
    ):
        data.fetch(serve_glove(file_server, short_line, small_glove))
    assert list(cache_folder(keras_cache).iterdir()) == []


def test_a_cached_copy_with_wrong_content_is_fetched_again(
    keras_cache, file_server, official_member, small_glove, capsys
):
    dataset = serve_glove(file_server, official_member, small_glove)
    cached = data.fetch(dataset) / TXT_NAME
    cached.write_bytes(first_lines(official_member, GLOVE_WORDS - 100))

    assert data.fetch(dataset) / TXT_NAME == cached
    assert cached.read_bytes() == first_lines(official_member, GLOVE_WORDS)
    assert "is corrupt" in capsys.readouterr().out
    assert file_server.requested_paths == ["/glove.6B.zip", "/glove.6B.zip"]


def test_offline_without_a_mirror_says_which_lines_to_take_from_the_zip(keras_cache):
    dataset = served.dataset_served_at("glove_6b_50d", "http://127.0.0.1:9/glove.6B.zip")
    with pytest.raises(data.DatasetNotFoundError) as raised:
        data.fetch(dataset)
    message = str(raised.value)
    assert f"copy the first 20,000 lines of the file {MEMBER} from that zip archive to" in message
    assert str(cache_folder(keras_cache) / TXT_NAME) in message
