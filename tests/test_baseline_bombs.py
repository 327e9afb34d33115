"""Issue 14 item 5: decompression, width and depth bombs among log samples.

Every hostile file is written small here and must be refused with a LoadError that
names the file and the limit, before it is read in full: the tests replace the
full readers with ones that fail, so a refusal that came only after the read fails
the test (no timing).
"""

from __future__ import annotations

import dataclasses
import gzip
import tempfile
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest

from workshop.baseline import inspect_sample, load_sample
from workshop.baseline.limits import ENV, MIN_ROWS, SampleLimits, default_limits
from workshop.baseline.siem import read_siem_table
from workshop.core import jsonsource
from workshop.core.errors import InputError, LoadError
from workshop.core.fileio import UPLOAD_PREFIX
from workshop.interview.model import Application
from workshop.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = "payroll"
LIMITS = SampleLimits(max_rows=MIN_ROWS)
ROW = "2024-03-04T09:00:00Z,alice,login,success\n"
CSV = "time,user,action,outcome\n" + ROW * 3


def _forbid(monkeypatch: pytest.MonkeyPatch, *targets: tuple[object, str]) -> None:
    """Make each full reader fail the test if it is called."""
    for owner, name in targets:

        def refuse(*_a: object, _name: str = name, **_k: object) -> None:
            raise AssertionError(f"{_name} was called: the file was read before it was refused")

        monkeypatch.setattr(owner, name, refuse)


def _uploads() -> set[str]:
    """Upload copies in the temporary folder (a test calling this uses ``own_tempdir``)."""
    return {p.name for p in Path(tempfile.gettempdir()).glob(UPLOAD_PREFIX + "*")}


# -- the limits ------------------------------------------------------------------------------
def test_default_limits_follow_the_machine_and_fit_a_2_gb_log() -> None:
    limits = default_limits()
    assert limits.max_rows >= MIN_ROWS > 8_450_000  # issue 17's 2 GB access log has 8.45 million lines
    assert limits.max_columns == 1000 and limits.max_line_bytes == 1024 * 1024
    assert limits.max_data_bytes >= 2 * 1024**3


def test_the_operator_sets_the_limits_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV["max_rows"], "1_000")
    monkeypatch.setenv(ENV["max_columns"], "20")
    limits = default_limits()
    assert (limits.max_rows, limits.max_columns) == (1000, 20)
    monkeypatch.setenv(ENV["max_rows"], "many")
    with pytest.raises(InputError, match="WORKSHOP_SAMPLE_MAX_ROWS must be a whole number"):
        default_limits()
    with pytest.raises(InputError, match="positive"):
        SampleLimits(max_rows=0)


# -- Parquet: the metadata is checked before any data is read --------------------------------
def _dictionary_parquet(path: Path, groups: int, rows_per_group: int = 5_000_000) -> Path:
    """A real Parquet file of ``groups * rows_per_group`` rows of one dictionary-encoded value."""
    codes = pa.array([0] * 1000, pa.int32())
    block = pa.DictionaryArray.from_arrays(codes, pa.array(["2024-03-04T09:00:00Z"]))
    column = pa.chunked_array([block] * (rows_per_group // 1000))
    table = pa.table({"time": column, "user": column})
    with pq.ParquetWriter(path, table.schema) as writer:
        for _ in range(groups):
            writer.write_table(table, row_group_size=rows_per_group)
    return path


def test_a_parquet_row_bomb_is_refused_from_its_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = _dictionary_parquet(tmp_path / "bomb.parquet", groups=3)  # 15 million rows
    assert bomb.stat().st_size < 2_000_000
    assert pq.ParquetFile(bomb).metadata.num_rows == 15_000_000
    _forbid(monkeypatch, (pq, "read_table"), (pq.ParquetFile, "iter_batches"), (pq.ParquetFile, "read"))
    for call in (inspect_sample, load_sample):
        with pytest.raises(LoadError) as err:
            call(bomb, limits=LIMITS)
        text = str(err.value)
        assert "declares 15,000,000 rows, over the limit of 10,000,000 rows" in text
        assert err.value.location.file == str(bomb)
    # The same limit from the operator's setting, through the default limits.
    monkeypatch.setenv(ENV["max_rows"], "10000000")
    with pytest.raises(LoadError, match="over the limit of 10,000,000 rows"):
        inspect_sample(bomb)


def test_parquet_width_and_uncompressed_size_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wide = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{i}": [1] for i in range(1001)}), wide)
    big = tmp_path / "big.parquet"
    pq.write_table(
        pa.table({"time": ["2024-03-04T09:00:00Z"] * 1000, "user": [f"{i:0100d}" for i in range(1000)]}),
        big,
        use_dictionary=False,
    )
    _forbid(monkeypatch, (pq, "read_table"), (pq.ParquetFile, "iter_batches"))
    with pytest.raises(LoadError, match="1,001 columns, over the limit of 1,000 columns"):
        inspect_sample(wide, limits=LIMITS)
    with pytest.raises(LoadError, match="bytes of uncompressed data, over the limit of 1,000 bytes"):
        inspect_sample(big, limits=dataclasses.replace(LIMITS, max_data_bytes=1000))
    with pytest.raises(LoadError, match="bytes of uncompressed data, over the limit of 10,000 bytes"):
        load_sample(big, limits=dataclasses.replace(LIMITS, max_data_bytes=10_000))  # the mapped columns


def test_parquet_reads_only_the_mapped_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.parquet"
    pq.write_table(
        pa.table({"time": ["2024-03-04T09:00:00Z"] * 10, "user": ["a", "b"] * 5, "noise": ["x" * 300] * 10}),
        path,
        row_group_size=1,
        use_dictionary=False,
    )
    asked: list[list[str]] = []
    real = pq.read_table

    def spy(source: object, columns: list[str] | None = None, **kw: object) -> pa.Table:
        asked.append(list(columns or []))
        return real(source, columns=columns, **kw)

    monkeypatch.setattr(pq, "read_table", spy)
    sample = load_sample(
        path, mapping={"timestamp": "time", "user": "user"}, exact_mapping=True, limits=LIMITS
    )
    assert len(sample.df) == 10 and asked == [["time", "user"]]
    # The uncompressed-size limit counts the columns read, not the noise beside them.
    meta = pq.ParquetFile(path).metadata
    whole = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    small = dataclasses.replace(LIMITS, max_data_bytes=whole // 2)
    load_sample(path, mapping={"timestamp": "time", "user": "user"}, exact_mapping=True, limits=small)


# -- CSV and other delimited text: the header is counted before any parser --------------------
def _wide_csv(path: Path, columns: int = 100_000, sep: str = ",") -> Path:
    header = sep.join(f"c{i}" for i in range(columns))
    row = sep.join("1" for _ in range(columns))
    path.write_text(f"{header}\n{row}\n")
    return path


def _forbid_csv_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    import pandas as pd

    _forbid(monkeypatch, (pcsv, "read_csv"), (pcsv, "open_csv"), (csv.Sniffer, "sniff"), (pd, "read_csv"))


@pytest.mark.parametrize("sep", [",", "\t", ";", "|"])
def test_a_csv_with_100000_columns_is_refused_before_any_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sep: str
) -> None:
    wide = _wide_csv(tmp_path / "wide.csv", sep=sep)
    assert wide.stat().st_size < 1_400_000  # the issue's 1.3 MB file
    _forbid_csv_readers(monkeypatch)
    for call in (inspect_sample, load_sample):
        with pytest.raises(LoadError) as err:
            call(wide)
        assert "100,000 columns, over the limit of 1,000 columns" in str(err.value)
        assert (err.value.location.file, err.value.location.line) == (str(wide), 1)


def test_a_siem_export_with_100000_columns_is_refused_before_pandas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wide = _wide_csv(tmp_path / "activity.csv")
    _forbid_csv_readers(monkeypatch)
    with pytest.raises(LoadError, match="over the limit of 1,000 columns"):
        read_siem_table(wide)


def test_a_quoted_header_is_counted_by_its_fields(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('time,"user, name",action\n2024-03-04T09:00:00Z,"alice, a",login\n')
    assert inspect_sample(path, limits=dataclasses.replace(LIMITS, max_columns=3)).columns == [
        "time",
        "user, name",
        "action",
    ]


def test_long_lines_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    limits = dataclasses.replace(LIMITS, max_line_bytes=1000)
    long_row = tmp_path / "long.csv"
    long_row.write_text("time,user\n2024-03-04T09:00:00Z,alice\n2024-03-04T09:00:00Z," + "x" * 2000 + "\n")
    one_line = tmp_path / "one.csv"
    one_line.write_bytes(b"a," * 1_000_000)  # 2 MB without a line break
    _forbid_csv_readers(monkeypatch)
    with pytest.raises(LoadError, match="line 3 is longer than 1,000 bytes") as err:
        inspect_sample(long_row, limits=limits)
    assert err.value.location.line == 3
    with pytest.raises(LoadError, match="line 1 is longer than") as err:
        inspect_sample(one_line)
    assert err.value.location.line == 1


def test_rows_are_bounded_by_estimate_before_and_count_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.csv"
    big.write_text("time,user,action,outcome\n" + ROW * 40_000)  # 1.6 MB: more than the head
    small = tmp_path / "small.csv"
    small.write_text("time,user,action,outcome\n" + ROW * 500)  # all in the head
    limits = dataclasses.replace(LIMITS, max_rows=100)
    with monkeypatch.context() as patched:
        _forbid_csv_readers(patched)
        with pytest.raises(
            LoadError, match=r"about 4\d,\d{3} rows \(judged from its first lines\), over the limit of 100"
        ):
            load_sample(big, limits=limits)
    with pytest.raises(LoadError, match="holds 500 rows, over the limit of 100 rows"):
        load_sample(small, limits=limits)
    assert len(load_sample(small, limits=dataclasses.replace(LIMITS, max_rows=500)).df) == 500


# -- JSON lines: nesting measured before any parser -------------------------------------------
GOOD = '{"@timestamp": "2024-03-04T09:00:00Z", "user": {"name": "alice"}, "event": {"action": "login"}}\n'


def _deep(levels: int) -> str:
    return '{"@timestamp": "2024-03-04T09:00:00Z", "a": ' + "[" * levels + "]" * levels + "}\n"


def test_a_deep_json_line_in_the_head_names_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(GOOD * 2 + _deep(100_000))
    _forbid(monkeypatch, (pj, "read_json"))
    for call in (inspect_sample, load_sample):
        with pytest.raises(LoadError) as err:
            call(path)
        assert "nested more than 64 levels deep" in str(err.value)
        assert (err.value.location.file, err.value.location.line) == (str(path), 3)


def test_the_issues_200000_deep_object_is_refused_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text('{"a":' * 200_000 + "1" + "}" * 200_000 + "\n")
    with pytest.raises(LoadError, match="line 1 is longer than 1,048,576 bytes"):
        inspect_sample(path)
    shallow = dataclasses.replace(LIMITS, max_line_bytes=2 * 1024 * 1024)
    with pytest.raises(LoadError, match="nested more than 64 levels deep") as err:
        inspect_sample(path, limits=shallow)
    assert err.value.location.line == 1


def test_a_deep_line_after_the_head_is_refused_before_arrow_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "late.jsonl"
    good_lines = 1_200_000 // len(GOOD) + 1  # past the 1 MB head
    path.write_text(
        GOOD * good_lines + _deep(20_000) + GOOD
    )  # Arrow's reader crashes the process at this depth
    assert inspect_sample(path).format == "jsonl"
    _forbid(monkeypatch, (pj, "read_json"))
    with pytest.raises(LoadError, match="nested more than 64 levels deep") as err:
        load_sample(path)
    assert err.value.location.line == good_lines + 1


def test_the_depth_scan_reads_strings_as_json_does() -> None:
    # Brackets inside strings do not count, and closing ones there cannot hide real nesting.
    inside = '{"m": "' + "[" * 200 + '"}'
    assert jsonsource.loads(inside, max_depth=5) == {"m": "[" * 200}
    hiding = '{"m": "' + "]" * 200 + '\\"]]", "n": ' + "[" * 100 + "]" * 100 + "}"
    with pytest.raises(LoadError, match="nested more than 64"):
        jsonsource.loads(hiding, "f.json", line=7, max_depth=64)
    escaped = '{"m": "\\\\", "n": ' + "[" * 70 + "]" * 70 + "}"  # the quote after \\ ends the string
    with pytest.raises(LoadError) as err:
        jsonsource.loads(escaped, "f.json", line=7, max_depth=64)
    assert err.value.location.line == 7
    nested = jsonsource.loads("[" * 64 + "]" * 64, max_depth=64)
    for _ in range(63):
        nested = nested[0]
    assert nested == []
    with pytest.raises(LoadError, match="nested too deeply"):
        jsonsource.loads(
            "[" * 200_000 + "]" * 200_000, "bundle.json"
        )  # no max_depth: the recursion is caught


def test_check_lines_names_the_line_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonsource, "CHUNK_BYTES", 1000)
    path = tmp_path / "x.jsonl"
    path.write_text(GOOD * 50 + "\n" + _deep(70) + GOOD)
    with pytest.raises(LoadError) as err:
        jsonsource.check_lines(path, 64, 10_000)
    assert err.value.location.line == 52
    jsonsource.check_lines(path, 80, 10_000)
    with pytest.raises(LoadError, match="longer than 100 bytes") as err:
        jsonsource.check_lines(path, 80, 100)
    assert err.value.location.line == 52


# -- gzip and ZIP: inflation streamed and counted -------------------------------------------
@pytest.mark.usefixtures("own_tempdir")
def test_a_gzip_bomb_stops_at_the_ratio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(CSV.encode() + b"0" * 50_000_000, 9))
    assert bomb.stat().st_size < 100_000
    inflated = 0
    real = gzip.GzipFile.read

    def counting(self: gzip.GzipFile, size: int = -1) -> bytes:
        nonlocal inflated
        data = real(self, size)
        inflated += len(data)
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", counting)
    before = _uploads()
    with pytest.raises(LoadError, match="more than 250 times its compressed size") as err:
        inspect_sample(bomb)
    assert err.value.location.file == str(bomb)
    assert inflated <= 3 * 1024 * 1024  # stopped after a few chunks, not 50 MB
    assert _uploads() == before  # nothing left behind


def test_gzip_content_counts_against_the_size_limit(tmp_path: Path) -> None:
    import os

    packed = tmp_path / "s.csv.gz"
    packed.write_bytes(gzip.compress(CSV.encode() + os.urandom(300_000).hex().encode()))
    with pytest.raises(LoadError, match=r"over the size limit of .* once decompressed"):
        inspect_sample(packed, size_limit=400_000)


def test_zip_bombs_and_archives_of_many_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("log.csv", CSV + "0" * 30_000_000)
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        zf.writestr("a.csv", CSV)
        zf.writestr("b.csv", CSV)
    _forbid(monkeypatch, (zipfile.ZipFile, "open"))  # refused from the directory alone
    with pytest.raises(LoadError, match="decompression bomb") as err:
        load_sample(bomb)
    assert err.value.location.file == str(bomb)
    with pytest.raises(LoadError, match="holds 2 files; give one log file"):
        inspect_sample(many)


@pytest.mark.usefixtures("own_tempdir")
def test_a_compressed_sample_reads_as_its_content(tmp_path: Path) -> None:
    one = tmp_path / "one.zip"
    with zipfile.ZipFile(one, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("log.csv", CSV)
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(CSV.encode())[:-12])
    before = _uploads()
    assert len(load_sample(one).df) == 3 and inspect_sample(one).columns == [
        "time",
        "user",
        "action",
        "outcome",
    ]
    with pytest.raises(LoadError, match="not a readable gzip file") as err:
        load_sample(broken)
    assert err.value.location.file == str(broken)
    bad_row = tmp_path / "bad.csv.gz"
    bad_row.write_bytes(gzip.compress((CSV + "2024-03-04T09:00:00Z,extra,x,y,z\n").encode()))
    with pytest.raises(LoadError) as err:
        load_sample(bad_row)
    assert err.value.location.file == str(bad_row)  # the user's file, never the temporary one
    assert _uploads() == before


# -- the Baselines page: a refused upload shows the error, never a traceback -------------------
@pytest.fixture
def app_ws(workspace: Path) -> Path:
    with Store.open(workspace) as s:
        s.create_application(Application(slug=APP, name="Payroll"))
    return workspace


@pytest.mark.usefixtures("own_tempdir")
def test_the_page_shows_a_refused_upload(
    app_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    before = _uploads()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["app"] = APP
    at.run()
    at.switch_page("workshop/ui/pages/baselines.py").run()
    assert not at.exception
    wide = _wide_csv(tmp_path / "wide.csv").read_bytes()
    _forbid_csv_readers(monkeypatch)
    at.file_uploader(key="bl_upload").upload("wide.csv", wide, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    assert "100,000 columns, over the limit of 1,000 columns" in shown
    assert "Traceback" not in shown and not [s for s in at.selectbox if s.key == "bl_map:user"]
    deep = (GOOD * 2 + _deep(100_000)).encode()
    at.file_uploader(key="bl_upload").upload("deep.jsonl", deep, "application/json").run()
    assert not at.exception
    assert "nested more than 64 levels deep" in " ".join(e.value for e in at.error)
    bomb = gzip.compress(CSV.encode() + b"0" * 20_000_000, 9)
    at.file_uploader(key="bl_upload").upload("bomb.csv.gz", bomb, "application/gzip").run()
    assert not at.exception
    assert "decompression bomb" in " ".join(e.value for e in at.error)
    assert _uploads() == before  # neither the upload nor its inflated content stays
