"""Time stamps of every kind a sample holds, to UTC: one home for the layouts we read.

Reading a time is the part of loading that most often goes wrong silently (a day
taken for a month, a local time taken for UTC), and both the readers and the
mapping proposal need it: the readers to convert a whole column, the proposal to
judge whether a column holds dates at all. Keeping it apart from the readers also
keeps ``mapping`` free of any reader (the two used to import each other). Issue
17's new layouts (fractional seconds with a comma, epoch milliseconds, year-less
syslog dates) are added here.
"""

from __future__ import annotations

import array
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import pandas as pd

TS_NS_UTC = pa.timestamp("ns", tz="UTC")
TS_NS = pa.timestamp("ns")

#: The time layout of web server access logs (``10/Oct/2000:13:55:36 -0700``).
ACCESS_LOG_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"

# Formats tried, in order, when time stamps are neither ISO 8601 nor typed.
# Day-first comes before month-first: both parse "04/03/2024", and the loader
# warns when the sample cannot tell them apart.
TIMESTAMP_FORMATS: tuple[str, ...] = (
    ACCESS_LOG_TIME_FORMAT,
    "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%a, %d %b %Y %H:%M:%S %z",
    "%d %b %Y %H:%M:%S",
    "%b %d %Y %H:%M:%S",
    "%d-%b-%Y %H:%M:%S",
    "%Y%m%dT%H%M%S",
    "%Y%m%d%H%M%S",
)
_OFFSET_RE = r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"


def text_array(values: Sequence[str]) -> pa.StringArray:
    """Python strings as an Arrow array, built from its buffers: ``pa.array`` imports
    pandas (to check for pandas objects), half a second the profile's command need not spend."""
    data = bytearray()
    offsets = array.array("i", [0])
    for v in values:
        data += v.encode("utf-8", "surrogatepass")
        offsets.append(len(data))
    if len(data) >= 2**31:
        return pa.array(list(values), pa.string())  # beyond 32-bit offsets
    return pa.StringArray.from_buffers(
        len(values), pa.py_buffer(offsets.tobytes()), pa.py_buffer(bytes(data))
    )


def parse_timestamp_strings_quick(values: Sequence[str]) -> float:
    """Share of ``values`` that parse as time stamps (for mapping proposals)."""
    if not values:
        return 0.0
    arr = pc.utf8_trim_whitespace(text_array(values))
    # Every supported layout has digits separated like a date or a time.
    datelike = pc.match_substring_regex(arr, r"\d{1,4}[-/.: ]\d{1,2}|\d{8}T?\d{6}")
    if (pc.mean(pc.cast(datelike, pa.int8())).as_py() or 0.0) < 0.5:
        return 0.0
    # Bare numbers are not dates here (a "count" column would otherwise qualify);
    # ISO 8601 needs a dash or a T between date parts. Without any, pandas (slow to
    # import) need not parse them.
    ok = np.array([("-" in v or "T" in v) for v in values])
    if ok.any():
        import pandas as pd

        iso = pd.to_datetime(
            pd.Series(arr.to_pandas(), dtype=object), format="ISO8601", errors="coerce", utc=True
        )
        ok &= iso.notna().to_numpy()
    if ok.mean() >= 0.8:
        return float(ok.mean())
    for fmt in TIMESTAMP_FORMATS:
        parsed = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
        share = pc.mean(pc.cast(pc.is_valid(parsed), pa.int8())).as_py() or 0.0
        if share > ok.mean():
            return float(share)
    return float(ok.mean())


def _assume_zone(naive: pa.Array | pa.ChunkedArray, zone: str) -> pa.Array | pa.ChunkedArray:
    """Naive local times in ``zone`` to UTC. Ambiguous times (the repeated hour
    when clocks go back) take the first occurrence; times skipped when clocks go
    forward move to the first valid instant."""
    if zone == "UTC":
        return pc.cast(naive, TS_NS).cast(TS_NS_UTC)
    return pc.assume_timezone(
        pc.cast(naive, TS_NS), timezone=zone, ambiguous="earliest", nonexistent="latest"
    ).cast(TS_NS_UTC)


def _epoch_to_utc(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """Epoch numbers to UTC, the unit told by magnitude (s, ms, µs or ns); whole numbers stay exact."""
    import pandas as pd

    whole = pa.types.is_integer(values.type)
    num = pd.Series(pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False))
    magnitude = num.abs().median()
    if pd.isna(magnitude) or magnitude < 1e11:
        factor = 1_000_000_000
    elif magnitude < 1e14:
        factor = 1_000_000
    elif magnitude < 1e17:
        factor = 1_000
    else:
        factor = 1
    if whole:
        ints = pd.Series(pc.cast(values, pa.int64()).to_pandas(), dtype="Int64")
        limit = np.iinfo(np.int64).max // factor
        ns = ints.where(ints.abs() <= limit) * factor
        out = pd.to_datetime(ns, unit="ns", utc=True, errors="coerce")
    else:
        out = pd.to_datetime((num * factor).round(), unit="ns", utc=True, errors="coerce")
    return out.astype("datetime64[ns, UTC]")


def _to_series(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    import pandas as pd

    s = arr.to_pandas() if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr]).to_pandas()
    return pd.Series(s).astype("datetime64[ns, UTC]").reset_index(drop=True)


def parse_timestamps(
    values: pa.Array | pa.ChunkedArray,
    default_tz: str = "UTC",
    fmt: str | None = None,
) -> tuple[pd.Series, list[str]]:
    """Time stamps of any supported kind to ``datetime64[ns, UTC]``; unparseable -> NaT.

    Supported: typed timestamps (zoned or naive), dates, epoch numbers (seconds,
    milliseconds, microseconds or nanoseconds, told apart by magnitude), ISO 8601
    strings with or without offsets (mixed is fine), and the common layouts in
    :data:`TIMESTAMP_FORMATS`. Naive values are local times in ``default_tz``.
    Returns the series and warnings about assumptions made.
    """
    warnings: list[str] = []
    t = values.type
    if pa.types.is_dictionary(t):
        values = pc.cast(values, t.value_type)
        t = values.type
    if pa.types.is_timestamp(t):
        if t.tz:
            return _to_series(pc.cast(values, TS_NS_UTC)), warnings
        return _to_series(_assume_zone(values, default_tz)), warnings
    if pa.types.is_date(t):
        warnings.append("time stamps are dates without a time: hours of day are not meaningful")
        return _to_series(
            _assume_zone(pc.cast(pc.cast(values, pa.timestamp("s")), TS_NS), default_tz)
        ), warnings
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return _epoch_to_utc(values), warnings
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        values = pc.cast(values, pa.string())
    if fmt and ("%f" in fmt or "%s" in fmt):
        return _parse_with_pandas(values, fmt, default_tz), warnings
    if fmt:
        parsed = pc.strptime(values, format=fmt, unit="ns", error_is_null=True)
        if parsed.type.tz:
            return _to_series(pc.cast(parsed, TS_NS_UTC)), warnings
        return _to_series(_assume_zone(parsed, default_tz)), warnings
    values = normalise_time_text(values)
    if _all_match(values, r"^\s*-?\d{9,19}(?:\.\d+)?\s*$"):
        # Epoch seconds, milliseconds, microseconds or nanoseconds written as text.
        text = pc.utf8_trim_whitespace(values)
        whole = _all_match(text, r"^-?\d+$")
        return _epoch_to_utc(pc.cast(text, pa.int64() if whole else pa.float64())), warnings
    if _all_match(values, r"^\s*\d{4}-\d{2}-\d{2}\s*$|^\s*\d{1,2}[./]\d{1,2}[./]\d{2,4}\s*$"):
        warnings.append(
            "time stamps are dates without a time: every event falls at midnight and hours of day are not "
            "meaningful (map the time column too: --map timestamp='DATE + TIME')"
        )
    # Fast paths: every value ISO 8601 with an offset, or every value without one.
    try:
        return _to_series(pc.cast(values, TS_NS_UTC)), warnings
    except pa.ArrowInvalid:
        pass
    try:
        return _to_series(_assume_zone(pc.cast(values, TS_NS), default_tz)), warnings
    except pa.ArrowInvalid:
        pass
    return _parse_slow(values, default_tz, warnings)


#: Layouts rewritten to ISO 8601 before parsing: fractional seconds after a comma
#: (log4j ``2015-07-29 17:41:44,747``) and the compact ``20171223-22:15:29:606``.
_REWRITES: tuple[tuple[str, str], ...] = (
    (r"^(\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}),(\d{1,9})", r"\1.\2"),
    (r"^\s*(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})[:.,](\d{1,9})\s*$", r"\1-\2-\3T\4:\5:\6.\7"),
    (r"^\s*(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})\s*$", r"\1-\2-\3T\4:\5:\6"),
)


def _all_match(values: pa.Array | pa.ChunkedArray, pattern: str) -> bool:
    """Whether every non-empty value matches (and there is one)."""
    present = pc.drop_null(values)
    if len(present) == 0:
        return False
    return bool(pc.all(pc.match_substring_regex(present, pattern)).as_py())


def normalise_time_text(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Rewrite the layouts of :data:`_REWRITES` to ISO 8601 (other values unchanged)."""
    for pattern, replacement in _REWRITES:
        if pc.any(pc.match_substring_regex(values, pattern)).as_py():
            values = pc.replace_substring_regex(values, pattern, replacement)
    return values


def _parse_with_pandas(values: pa.Array | pa.ChunkedArray, fmt: str, default_tz: str) -> pd.Series:
    """A layout Arrow's strptime cannot read (``%f`` fractional seconds, ``%s`` epoch seconds)."""
    import pandas as pd

    text = pd.Series(pa.chunked_array([values] if isinstance(values, pa.Array) else values.chunks).to_pandas(),
                     dtype=object)  # fmt: skip
    if fmt.strip() == "%s":
        return _epoch_to_utc(pc.cast(pa.array(text, pa.string()), pa.float64()))
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        return pd.Series(parsed.dt.tz_convert("UTC")).astype("datetime64[ns, UTC]").reset_index(drop=True)
    arr = pa.array(parsed.astype("datetime64[ns]"), TS_NS, from_pandas=True)
    return _to_series(_assume_zone(arr, default_tz))


def _parse_slow(
    values: pa.Array | pa.ChunkedArray, default_tz: str, warnings: list[str]
) -> tuple[pd.Series, list[str]]:
    """Mixed or non-ISO time stamps: ISO with and without offsets, then known layouts."""
    import pandas as pd

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.utf8_trim_whitespace(values)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    s = pd.Series(text.to_pandas(), dtype=object)
    result = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    present = s.notna()
    has_offset = present & s.str.contains(_OFFSET_RE, regex=True, na=False)
    if has_offset.any():
        aware = pd.to_datetime(s[has_offset], format="ISO8601", utc=True, errors="coerce")
        result[has_offset] = aware.astype("datetime64[ns, UTC]")
    naive_mask = present & ~has_offset
    if naive_mask.any():
        naive = pd.to_datetime(s[naive_mask], format="ISO8601", errors="coerce")
        ok = naive.notna()
        if ok.any():
            arr = pa.array(naive[ok].astype("datetime64[ns]"))
            result[ok[ok].index] = _to_series(_assume_zone(arr, default_tz)).to_numpy()
    remaining = present & result.isna()
    if remaining.any():
        rest = pa.array(s[remaining], pa.string())
        sample = rest.slice(0, 500)
        best: str | None = None
        best_share = 0.0
        tied: list[str] = []
        for fmt in TIMESTAMP_FORMATS:
            share = (
                pc.mean(
                    pc.cast(
                        pc.is_valid(pc.strptime(sample, format=fmt, unit="ns", error_is_null=True)), pa.int8()
                    )
                ).as_py()
                or 0.0
            )
            if share > best_share:
                best, best_share, tied = fmt, share, []
            elif share == best_share and share > 0:
                tied.append(fmt)
        if best is not None:
            parsed = pc.strptime(rest, format=best, unit="ns", error_is_null=True)
            if parsed.type.tz:
                conv = _to_series(pc.cast(parsed, TS_NS_UTC))
            else:
                conv = _to_series(_assume_zone(parsed, default_tz))
            result[remaining[remaining].index] = conv.to_numpy()
            warnings.append(f"time stamps read with the layout {best}")
            if any(_day_month_swap(best, f) for f in tied):
                warnings.append(
                    "day and month cannot be told apart in these dates; read as day first "
                    "(give the layout with --timestamp-format if that is wrong)"
                )
    return result, warnings


def _day_month_swap(a: str, b: str) -> bool:
    return a.replace("%d", "@").replace("%m", "%d").replace("@", "%m") == b
