"""A dataset with no published hash (UCI's Beijing table) is checked by its content when its bytes
differ from the mirror's: downloads served over HTTP from 127.0.0.1, zipped or not, with other line
endings, are accepted; a download whose values differ is refused and leaves nothing behind.

The downloads are the small mirror's Beijing-shaped table (tests/small_mirror.py), checked against
the content it holds; the real table is checked against the manifest on the shared mirror."""

from pathlib import Path

import pandas as pd
import pytest
import served
from small_mirror import BEIJING_ROWS, holding_content_of

from chapters import data

CSV_NAME = "PRSA_data_2010.1.1-2014.12.31.csv"


@pytest.fixture
def mirror_csv(small_mirror) -> bytes:
    """The small mirror's Beijing CSV, as bytes (CRLF line endings, the real file's last row)."""
    return (small_mirror / "timeseries" / "beijing_pm25" / CSV_NAME).read_bytes()


def beijing_served_at(url: str, **file_changes) -> data.Dataset:
    """The manifest's Beijing dataset, its official URL replaced by ``url``."""
    return served.dataset_served_at("beijing_pm25", url, **file_changes)


@pytest.fixture
def small_beijing_at(small_mirror):
    """Return a function like ``beijing_served_at`` whose dataset expects the content of the small
    mirror's table instead of the real one's."""
    table = small_mirror / "timeseries" / "beijing_pm25" / CSV_NAME
    return lambda url, **file_changes: holding_content_of(beijing_served_at(url, **file_changes), table)


def serve_zip(server, csv_bytes: bytes, member: str = f"PRSA/{CSV_NAME}") -> str:
    return served.serve_zip(server, "beijing.zip", {member: csv_bytes})


def cache_folder(keras_cache: Path) -> Path:
    return keras_cache / "datasets" / "beijing_pm25"


def test_the_mirror_copy_matches_the_manifest_content(shared_mirror, tmp_path):
    """The shared mirror's real table holds the content the manifest expects."""
    copy = tmp_path / CSV_NAME
    copy.write_bytes((shared_mirror / "timeseries" / "beijing_pm25" / CSV_NAME).read_bytes())
    assert data.csv_content(copy) == data.manifest()["beijing_pm25"].content


def test_content_ignores_line_endings_bom_blank_lines_and_number_format(tmp_path):
    original = tmp_path / "a.csv"
    original.write_bytes(b"No,TEMP,cbwd\r\n1,-11,NW\r\n2,NA,cv\r\n")
    variant = tmp_path / "b.csv"
    variant.write_bytes(b"\xef\xbb\xbfNo, TEMP ,cbwd\n1.0,-11.00,NW\n2,NA,cv\n\n")
    assert data.csv_content(variant) == data.csv_content(original)
    assert data.csv_content(original).rows == 2


@pytest.mark.parametrize(
    "changed",
    [
        b"No,TEMP,cbwd\r\n1,-12,NW\r\n2,NA,cv\r\n",
        b"No,TEMP,cbwd\r\n1,-11,NW\r\n",
        b"No,TEMP,wd\r\n1,-11,NW\r\n2,NA,cv\r\n",
    ],
)
def test_content_changes_with_a_value_a_row_or_a_column_name(tmp_path, changed):
    original = tmp_path / "a.csv"
    original.write_bytes(b"No,TEMP,cbwd\r\n1,-11,NW\r\n2,NA,cv\r\n")
    variant = tmp_path / "b.csv"
    variant.write_bytes(changed)
    assert data.csv_content(variant) != data.csv_content(original)


def test_a_zipped_download_with_other_line_endings_is_accepted_and_cached(
    keras_cache, file_server, mirror_csv, small_beijing_at
):
    lf_csv = mirror_csv.replace(b"\r\n", b"\n")
    assert lf_csv != mirror_csv and len(lf_csv) == len(mirror_csv) - (BEIJING_ROWS + 1)
    dataset = small_beijing_at(serve_zip(file_server, lf_csv))

    folder = data.fetch(dataset)

    assert (folder / CSV_NAME).read_bytes() == lf_csv
    assert sorted(path.name for path in folder.iterdir()) == [CSV_NAME], (
        "the zip and temporary files are gone"
    )
    assert data.fetch(dataset) == folder
    assert file_server.requested_paths == ["/beijing.zip"], "a cached copy with the right content is kept"


def test_an_unzipped_download_is_checked_the_same_way(keras_cache, file_server, mirror_csv, small_beijing_at):
    (file_server.root / CSV_NAME).write_bytes(mirror_csv.replace(b"\r\n", b"\n"))
    dataset = small_beijing_at(f"{file_server.url}/{CSV_NAME}", archive_member=None)
    assert (data.fetch(dataset) / CSV_NAME).is_file()
    assert sorted(path.name for path in cache_folder(keras_cache).iterdir()) == [CSV_NAME]


def test_a_download_with_one_value_changed_is_refused_and_leaves_nothing(
    keras_cache, file_server, mirror_csv, small_beijing_at
):
    tampered = mirror_csv.replace(
        b"\r\n43824,2014,12,31,23,12,-21,-3,", b"\r\n43824,2014,12,31,23,12,-21,-4,"
    )
    assert tampered != mirror_csv
    dataset = small_beijing_at(serve_zip(file_server, tampered))
    with pytest.raises(data.CorruptFileError) as raised:
        data.fetch(dataset)
    message = str(raised.value)
    assert "does not hold the data this course was checked against" in message
    assert f"expected: {BEIJING_ROWS:,} rows" in message and f"found:    {BEIJING_ROWS:,} rows" in message
    assert "deleted and not used" in message
    assert list(cache_folder(keras_cache).iterdir()) == []


def test_a_truncated_download_is_refused_then_a_retry_works(
    keras_cache, file_server, mirror_csv, small_beijing_at
):
    url = serve_zip(file_server, mirror_csv)
    complete = (file_server.root / "beijing.zip").read_bytes()
    (file_server.root / "beijing.zip").write_bytes(complete[: len(complete) // 2])
    dataset = small_beijing_at(url)
    with pytest.raises(data.CorruptFileError, match="not a readable zip file"):
        data.fetch(dataset)
    assert list(cache_folder(keras_cache).iterdir()) == []

    (file_server.root / "beijing.zip").write_bytes(complete)
    assert (data.fetch(dataset) / CSV_NAME).read_bytes() == mirror_csv


def test_a_download_the_csv_module_cannot_read_is_refused(keras_cache, file_server):
    dataset = beijing_served_at(serve_zip(file_server, b"header\n" + b"x" * 200_000))  # one huge field
    with pytest.raises(data.CorruptFileError, match="found:    not a readable CSV file"):
        data.fetch(dataset)
    assert list(cache_folder(keras_cache).iterdir()) == []


def test_a_download_that_is_not_csv_at_all_is_refused(keras_cache, file_server):
    dataset = beijing_served_at(serve_zip(file_server, b"\x00\x01binary\x00" * 100))
    with pytest.raises(data.CorruptFileError, match=r"found:    0 rows, columns \\x00\\x01binary") as raised:
        data.fetch(dataset)
    assert len(str(raised.value)) < 1000, "the binary header is shown escaped and shortened"
    assert list(cache_folder(keras_cache).iterdir()) == []


def test_an_archive_without_the_file_names_what_it_holds(
    keras_cache, file_server, mirror_csv, small_beijing_at
):
    dataset = small_beijing_at(serve_zip(file_server, mirror_csv, member="other.csv"))
    with pytest.raises(data.CorruptFileError, match=f"holds no file {CSV_NAME}; it holds other.csv"):
        data.fetch(dataset)
    assert list(cache_folder(keras_cache).iterdir()) == []


def test_a_cached_copy_with_wrong_content_is_replaced(
    keras_cache, file_server, mirror_csv, small_beijing_at, capsys
):
    dataset = small_beijing_at(serve_zip(file_server, mirror_csv))
    cached = data.fetch(dataset) / CSV_NAME
    cached.write_bytes(mirror_csv[:-200])
    assert data.fetch(dataset) / CSV_NAME == cached
    assert cached.read_bytes() == mirror_csv
    assert "is corrupt" in capsys.readouterr().out


def test_the_mirror_is_checked_by_bytes_not_content(
    keras_cache, tmp_path, monkeypatch, mirror_csv, small_beijing_at
):
    """The mirror's copy holds the expected content, with other line endings than SHA256SUMS lists."""
    folder = tmp_path / "mirror" / "timeseries" / "beijing_pm25"
    folder.mkdir(parents=True)
    (folder / CSV_NAME).write_bytes(mirror_csv.replace(b"\r\n", b"\n"))
    sha256 = data.manifest()["beijing_pm25"].files[0].sha256
    (tmp_path / "mirror" / "SHA256SUMS").write_text(f"{sha256}  timeseries/beijing_pm25/{CSV_NAME}\n")
    monkeypatch.setenv("CHAPTERS_MIRROR", str(tmp_path / "mirror"))
    dataset = small_beijing_at("http://127.0.0.1:9/beijing.zip")
    assert data.csv_content(folder / CSV_NAME) == dataset.content
    with pytest.raises(data.CorruptFileError, match="mirror's copy of dataset 'beijing_pm25' is corrupt"):
        data.fetch(dataset)


def test_offline_without_a_mirror_says_which_file_to_take_from_the_zip(keras_cache):
    dataset = beijing_served_at("http://127.0.0.1:9/beijing.zip")
    with pytest.raises(data.DatasetNotFoundError, match=f"copy the file {CSV_NAME} from that zip archive to"):
        data.fetch(dataset)


def test_the_loader_returns_the_hourly_table(keras_cache, shared_mirror, monkeypatch):
    """The real table's shape, hours, missing values and wind directions, from the shared mirror."""
    monkeypatch.setenv("CHAPTERS_MIRROR", str(shared_mirror))
    table = data.load_beijing_pm25()
    assert table.shape == (43824, 8)
    assert list(table.columns) == ["pm2.5", "DEWP", "TEMP", "PRES", "cbwd", "Iws", "Is", "Ir"]
    assert str(table.index[0]) == "2010-01-01 00:00:00" and str(table.index[-1]) == "2014-12-31 23:00:00"
    assert set(table.index[1:] - table.index[:-1]) == {pd.Timedelta(hours=1)}, "every hour, once, in order"
    assert (
        int(table["pm2.5"].isna().sum()) == 2067 and int(table.drop(columns="pm2.5").isna().sum().sum()) == 0
    )
    assert sorted(table["cbwd"].unique()) == ["NE", "NW", "SE", "cv"]
