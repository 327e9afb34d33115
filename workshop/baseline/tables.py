"""Count tables: the intermediate form every profile is computed from.

Rows are reduced to events (and failures, records, bytes) per entity per local
clock hour, and per value of each role per entity per local day. Every figure of
a profile is then derived from these tables alone, which is why a SIEM (which
returns the same tables from its own query, :mod:`~workshop.baseline.siem`), the
pandas path over a loaded sample (:func:`count_tables_from_sample`) and, later, a
streaming engine over files too large to load all feed one derivation and agree.
The grouping helpers here are the vectorised kernels those paths share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from workshop.baseline.options import ProfileOptions, classify_failures
from workshop.baseline.profile import ROLES_WITH_TABLES
from workshop.baseline.sample import LoadedSample

if TYPE_CHECKING:
    import pandas as pd

NS_PER_MINUTE = 60_000_000_000
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR


@dataclass
class RoleCounts:
    """Events per (value of one role, entity, local day); one row per combination.

    Codes index ``labels``; entity code -1 means the event had no entity; ``day``
    counts from the tables' first local day (``hour0 // 24``). Every figure of a
    role is per day, so days are enough here and keep the table small.
    """

    labels: np.ndarray
    code: np.ndarray
    ent: np.ndarray
    day: np.ndarray
    events: np.ndarray
    failures: np.ndarray | None = None

    @classmethod
    def grouped(
        cls,
        labels: np.ndarray,
        code: np.ndarray,
        ent: np.ndarray,
        day: np.ndarray,
        n_entities: int,
        n_days: int,
        weights: Mapping[str, np.ndarray | None],
    ) -> RoleCounts:
        """Group rows (or finer counts) by value, entity and day, sorted by value
        then entity (the order :meth:`workshop.baseline.derive.Deriver.breakdown` walks)."""
        inverse, (c, e, d) = group_index([code + 1, ent + 1, day], [len(labels) + 1, n_entities + 1, n_days])
        sums = sums_by(inverse, len(c), weights)
        key = (c * (n_entities + 1) + e) * n_days + d
        if len(key) > 1 and (np.diff(key) < 0).any():  # hash path: not in key order
            order = np.argsort(key)  # keys are distinct: no need for a stable sort
            c, e, d = c[order], e[order], d[order]
            sums = {k: v[order] for k, v in sums.items()}
        return cls(labels, c - 1, e - 1, d, sums["events"], sums.get("failures"))


@dataclass
class CountTables:
    """The intermediate form every profile is computed from.

    ``hour`` is the local clock hour counted from ``hour0`` (hours since
    1970-01-01 00:00 local time). ``hour_known`` is False when a source only gave
    days: the hour-of-day figures then come from ``clock`` (a weekday x hour table)
    if one was given.
    """

    hour0: int
    nhours: int
    ent_labels: np.ndarray
    ent: np.ndarray
    hour: np.ndarray
    events: np.ndarray
    failures: np.ndarray | None = None
    records: np.ndarray | None = None
    bytes: np.ndarray | None = None
    roles: dict[str, RoleCounts] = field(default_factory=dict)
    hour_known: bool = True
    clock: np.ndarray | None = None  # 7x24 counts when hours come from a separate table


def group_index(keys: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Number each distinct combination of integer ``keys`` (each in ``[0, size)``).

    Returns the group number of every row and the distinct key columns. Keys are
    combined into one int64 and counted with ``bincount`` when the key space is
    small enough to allocate (no hashing, no sorting), else factorised with
    pandas' hash table.
    """
    n = len(keys[0])
    space = 1
    for s in sizes:
        space *= max(int(s), 1)
    inverse: np.ndarray
    uniq: np.ndarray
    if space >= 2**62:
        import pandas as pd

        frame = pd.DataFrame({f"k{i}": k for i, k in enumerate(keys)})
        inverse = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy(np.int64)
        first = frame.drop_duplicates()
        return inverse, [first[c].to_numpy(np.int64) for c in frame.columns]
    key = np.asarray(keys[0], dtype=np.int64)
    for k, s in zip(keys[1:], sizes[1:], strict=True):
        key = key * int(s) + k
    # Measured on 1M rows: bincount wins up to a key space of about 6-8x the rows
    # (its cost grows with the space, the hash table's with the rows).
    if space <= max(6 * n, 1 << 22):
        present = np.bincount(key, minlength=space) > 0
        uniq = np.flatnonzero(present)
        lookup = np.cumsum(present, dtype=np.int64 if len(uniq) >= 2**31 else np.int32) - 1
        inverse = lookup[key]
    else:
        import pandas as pd

        inverse, found = pd.factorize(key, sort=False)
        uniq = np.asarray(found, dtype=np.int64)
    comps: list[np.ndarray] = []
    rest = uniq
    for s in reversed(sizes[1:]):
        comps.append(rest % int(s))
        rest = rest // int(s)
    comps.append(rest)
    comps.reverse()
    return inverse, comps


def sums_by(
    inverse: np.ndarray, groups: int, weights: Mapping[str, np.ndarray | None]
) -> dict[str, np.ndarray]:
    """Sum each weight per group (``None`` counts rows); integer weights stay integers."""
    sums: dict[str, np.ndarray] = {}
    for name, w in weights.items():
        if w is None:
            sums[name] = np.bincount(inverse, minlength=groups).astype(np.int64)
        else:
            s_ = np.bincount(inverse, weights=w, minlength=groups)
            sums[name] = np.rint(s_).astype(np.int64) if w.dtype.kind in "iub" else s_
    return sums


def group_sum(
    keys: Sequence[np.ndarray], sizes: Sequence[int], weights: Mapping[str, np.ndarray | None]
) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Sum ``weights`` over each distinct combination of integer ``keys``.

    Returns the distinct key columns and the sums (counts as int64, other sums
    as float64). See :func:`group_index` for how groups are found.
    """
    inverse, comps = group_index(keys, sizes)
    return comps, sums_by(inverse, len(comps[0]), weights)


def local_ns(ts: pd.Series, tz: str) -> np.ndarray:
    """Wall-clock nanoseconds since 1970-01-01 in ``tz`` (UTC stamps in)."""
    ts = ts.astype("datetime64[ns, UTC]") if ts.dt.tz is not None else ts.dt.tz_localize("UTC")
    if tz == "UTC":
        utc: np.ndarray = ts.to_numpy(dtype="datetime64[ns]")  # stored as UTC nanoseconds already
        return utc.view(np.int64)
    local: np.ndarray = ts.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return local.view(np.int64)


def codes(values: pd.Series | pd.Categorical) -> tuple[np.ndarray, np.ndarray]:
    """Category codes (-1 for missing) and the labels they index, as strings."""
    import pandas as pd

    cat = values.array if isinstance(values, pd.Series) else values
    if not isinstance(cat, pd.Categorical):
        cat = pd.Categorical(cat)
    return np.asarray(cat.codes, dtype=np.int64), np.asarray(cat.categories.astype(str), dtype=object)


def count_tables_from_sample(
    sample: LoadedSample,
    entity_role: str,
    tz: str,
    options: ProfileOptions,
    roles: Iterable[str] = ROLES_WITH_TABLES,
) -> tuple[CountTables, np.ndarray]:
    """Reduce a sample's rows to count tables; also return local nanoseconds."""
    df = sample.df
    lns = local_ns(df["timestamp"], tz)
    lh = lns // NS_PER_HOUR
    hour0 = int(lh.min())
    rel = lh - hour0
    nhours = int(rel.max()) + 1
    ent, ent_labels = codes(df[entity_role])
    fail = None
    if "outcome" in df.columns:
        ocode, olabels = codes(df["outcome"])
        is_fail = classify_failures(olabels, options.failure_values, options.http_failure_min)
        fail = np.append(is_fail, False)[ocode].astype(np.int64)  # code -1 -> False
    weights: dict[str, np.ndarray | None] = {"events": None}
    if fail is not None:
        weights["failures"] = fail
    for vol in ("records", "bytes"):
        if vol in df.columns:
            weights[vol] = np.nan_to_num(df[vol].to_numpy(dtype=float), nan=0.0)
    day0 = hour0 // 24
    day = lns // NS_PER_DAY - day0
    ndays = (hour0 + nhours - 1) // 24 - day0 + 1
    role_weights: dict[str, np.ndarray | None] = {"events": None}
    if fail is not None:
        role_weights["failures"] = fail

    def role_table(role: str) -> RoleCounts:
        code, labels = codes(df[role])
        return RoleCounts.grouped(labels, code, ent, day, len(ent_labels), ndays, role_weights)

    # The tables are independent and numpy's and pandas' inner loops release the
    # GIL, so a second thread keeps the other core busy.
    wanted = [r for r in roles if r != entity_role and r in df.columns]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {role: pool.submit(role_table, role) for role in wanted}
        inverse, (e, h) = group_index([ent + 1, rel], [len(ent_labels) + 1, nhours])
        sums = sums_by(inverse, len(e), weights)
        role_tables = {role: f.result() for role, f in futures.items()}
    tables = CountTables(
        hour0=hour0,
        nhours=nhours,
        ent_labels=ent_labels,
        ent=e - 1,
        hour=h,
        events=sums["events"],
        failures=sums.get("failures"),
        records=sums.get("records"),
        bytes=sums.get("bytes"),
        roles=role_tables,
    )
    return tables, lns


def day_text(day: int) -> str:
    """``YYYY-MM-DD`` of a day counted from 1970-01-01."""
    return str(np.datetime64(int(day), "D"))
