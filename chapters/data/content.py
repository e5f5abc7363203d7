"""What a data file holds, independent of its bytes: for the datasets with no published hash.

``csv_content`` reads a CSV table's header, row count and a digest of its parsed values;
``word_vectors_content`` a word-vectors file's words, values per word and a digest of its float32
values; ``read_word_vectors`` yields its (word, vector) pairs. A file that cannot be read as that
kind of table raises ``ContentError``.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class ContentError(ValueError):
    """A file cannot be read as the kind of table its content check describes; the message says where."""


def csv_content(path: Path) -> CsvContent:
    """Return what the CSV file at ``path`` holds: header, number of data rows, values digest.

    Each field is stripped; one that parses as a number stands for ``repr(float(field))``, any
    other (``NA``, ``NW``) for its text. The digest is the sha256 of the rows so written, fields
    joined by the unit separator and rows ended by a newline; blank lines are skipped. A copy with
    other line endings, a byte-order mark or other number formatting has the same content.
    Raises ``csv.Error`` for a file the csv module cannot read (one holding NUL bytes).
    """
    digest, rows = hashlib.sha256(), 0
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as stream:
        reader = csv.reader(stream)
        columns = tuple(field.strip() for field in next(reader, []))
        for row in reader:
            fields = [field.strip() for field in row]
            if not any(fields):
                continue
            digest.update(("\x1f".join(_canonical_field(field) for field in fields) + "\n").encode())
            rows += 1
    return CsvContent(columns, rows, digest.hexdigest())


def _canonical_field(field: str) -> str:
    try:
        return repr(float(field))
    except ValueError:
        return field


def word_vectors_content(path: Path, dimensions: int | None = None) -> WordVectorsContent:
    """Return what the word-vectors file at ``path`` holds: words, values per word, values digest.

    The digest is the sha256 of, for each line in order, the word's UTF-8 bytes, a unit separator,
    its values as little-endian float32 and a newline (lines read by ``read_word_vectors``). A copy
    with other line endings or number formatting has the same content. Raises ``ContentError`` for
    a line that is not a word and ``dimensions`` numbers (the first line's count, if None).
    """
    digest, words = hashlib.sha256(), 0
    for word, vector in read_word_vectors(path, dimensions):
        dimensions = len(vector)
        digest.update(word.encode() + b"\x1f" + vector.astype("<f4").tobytes() + b"\n")
        words += 1
    return WordVectorsContent(words, dimensions or 0, digest.hexdigest())


def read_word_vectors(path: Path, dimensions: int | None = None) -> Iterator[tuple[str, np.ndarray]]:
    """Yield each line of the word-vectors file at ``path`` as (word, float32 vector), in order.

    A line is a word, a space, then the values separated by whitespace, each parsed as a float
    and rounded to float32; line endings, a byte-order mark and blank lines do not matter. Raises
    ``ContentError`` (naming the line) for a line that is not UTF-8, holds a value that is not a
    number, or holds other than ``dimensions`` values (the first line's count, if None).
    """
    with open(path, "rb") as stream:
        for number, line in enumerate(stream, start=1):
            text = line.removeprefix(b"\xef\xbb\xbf") if number == 1 else line
            if text.strip():
                word, vector = _word_vector(number, text.rstrip(), dimensions)
                dimensions = len(vector)
                yield word, vector


def _word_vector(number: int, line: bytes, dimensions: int | None) -> tuple[str, np.ndarray]:
    """Return line ``number`` (no line ending) as (word, float32 vector); raise ``ContentError``."""
    raw_word, _, values = line.partition(b" ")
    try:
        word = raw_word.decode()
    except UnicodeDecodeError:
        raise ContentError(
            f"not a word-vectors file: line {number:,} does not start with a UTF-8 word"
        ) from None
    fields = values.split()
    if dimensions is not None and len(fields) != dimensions:
        raise ContentError(
            f"not {dimensions}-value word vectors: line {number:,} (word {word!r}) holds "
            f"{len(fields)} values, not {dimensions}"
        )
    try:
        return word, np.array([float(field) for field in fields], dtype=np.float32)
    except ValueError:
        raise ContentError(
            f"not a word-vectors file: line {number:,} (word {word!r}) holds a value that is not a number"
        ) from None


@dataclass(frozen=True)
class CsvContent:
    """What a CSV file holds, independent of its bytes: header, data rows, and a values digest.

    ``values_sha256`` is the sha256 of the parsed data rows (see ``csv_content``), so a copy with
    other line endings or number formatting (``1021`` or ``1021.0``) has the same content.
    In the manifest: ``{"format": "csv", "columns": [...], "rows": ..., "values_sha256": ...}``.
    """

    columns: tuple[str, ...]
    rows: int
    values_sha256: str

    @property
    def lines_kept(self) -> None:
        """Return None: a download is kept whole, every line of it."""
        return None

    def found_in(self, path: Path) -> CsvContent:
        """Return what the CSV file at ``path`` holds; raise ``ContentError`` if it is not CSV."""
        try:
            return csv_content(path)
        except csv.Error as error:
            raise ContentError(f"not a readable CSV file ({error})") from None

    def describe(self) -> str:
        """Return the content in words, for error messages (long or binary headers shortened)."""
        columns = ", ".join(self.columns).encode("unicode_escape").decode()
        columns = columns if len(columns) <= 160 else columns[:160] + "..."
        return f"{self.rows:,} rows, columns {columns}, values sha256 {self.values_sha256}"


@dataclass(frozen=True)
class WordVectorsContent:
    """What a word-vectors text file (GloVe's format) holds, independent of its bytes.

    ``words`` lines, each a word and ``dimensions`` values; ``values_sha256`` is the sha256 of the
    words and their values as float32, in order (see ``word_vectors_content``), so a copy with
    other line endings or number formatting (``1`` or ``1.0``) has the same content. A download
    is cut to its first ``words`` lines before it is checked. In the manifest:
    ``{"format": "word_vectors", "words": ..., "dimensions": ..., "values_sha256": ...}``.
    """

    words: int
    dimensions: int
    values_sha256: str

    @property
    def lines_kept(self) -> int:
        """Return how many (non-blank) lines of a download to keep: the first ``words``."""
        return self.words

    def found_in(self, path: Path) -> WordVectorsContent:
        """Return what the file at ``path`` holds; raise ``ContentError`` for a malformed line."""
        return word_vectors_content(path, self.dimensions)

    def describe(self) -> str:
        """Return the content in words, for error messages."""
        return f"{self.words:,} words of {self.dimensions} values, values sha256 {self.values_sha256}"


CONTENT_FORMATS = {"csv": CsvContent, "word_vectors": WordVectorsContent}
