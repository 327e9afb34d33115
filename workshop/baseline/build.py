"""The direct path: a profile from a loaded sample, and event counts for thresholds.

A loaded sample is reduced to count tables and derived like every other input;
this module adds what only rows can give (exact first and last time, the
out-of-hours share to the minute in the window's own zone, per-event volumes,
sessions, service accounts by name) and :func:`count_series`, the per-entity
counts that threshold proposals and back-tests read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from workshop.baseline.derive import default_entity, profile_from_tables
from workshop.baseline.figures import Distribution, ServiceAccount, Sessions
from workshop.baseline.mapping import ENTITY_ROLES
from workshop.baseline.options import ProfileOptions
from workshop.baseline.profile import Profile
from workshop.baseline.sample import LoadedSample
from workshop.baseline.tables import (
    NS_PER_DAY,
    NS_PER_HOUR,
    NS_PER_MINUTE,
    codes,
    count_tables_from_sample,
    day_text,
    group_sum,
    local_ns,
)
from workshop.core.errors import InputError
from workshop.vocab import TimeWindow, check_timezone

if TYPE_CHECKING:
    import pandas as pd


def build_profile(
    sample: LoadedSample,
    entity_role: str | None = None,
    tz: str = "UTC",
    business_hours: TimeWindow | None = None,
    service_accounts: Sequence[str] = (),
    options: ProfileOptions | None = None,
) -> Profile:
    """The profile of a loaded sample.

    ``entity_role`` picks whose events the per-entity figures count (default
    ``user`` when mapped and filled, else ``source_ip``). Days and hours are
    counted in ``tz``; ``business_hours`` (default Mon-Fri 08:00-18:00 in ``tz``)
    defines out-of-hours; ``service_accounts`` names accounts whose hours and
    sources are reported (by the ``user`` role).
    """
    check_timezone(tz)
    options = options or ProfileOptions()
    business_hours = business_hours or TimeWindow()
    df = sample.df
    if df.empty:
        raise InputError("the sample has no events")
    roles = [r for r in sample.roles if r != "timestamp"]
    if entity_role is None:
        non_empty = {r: bool(df[r].notna().any()) for r in roles if r in ENTITY_ROLES}
        entity_role = default_entity(roles, non_empty)
    elif entity_role not in roles:
        raise InputError(
            f"entity role '{entity_role}' is not mapped; mapped roles: {', '.join(roles) or 'none'}"
        )
    tables, lns = count_tables_from_sample(sample, entity_role, tz, options)
    # The figures that need the rows run beside the ones derived from the tables.
    with ThreadPoolExecutor(max_workers=1) as pool:
        rows = pool.submit(_row_figures, df, lns, tz, business_hours, service_accounts, options, entity_role)
        profile = profile_from_tables(tables, entity_role, tz, business_hours, options, precision="event")
        extra = rows.result()
    return complete_profile(profile, extra, sample, entity_role, service_accounts)


def complete_profile(
    profile: Profile, extra: Mapping[str, Any], sample: Any, entity_role: str, service_accounts: Sequence[str]
) -> Profile:
    """The figures that need single events (``extra``) and what was read (``sample``: its
    mapping, format, source, warnings) added to a profile derived from count tables.
    Shared by this direct path and the streaming engine."""
    profile.first = extra["first"]
    profile.last = extra["last"]
    profile.out_of_hours_share = extra["out_of_hours_share"]
    for vol, (with_value, per_event) in extra["volumes"].items():
        if vol in profile.volumes:
            profile.volumes[vol].events_with_value = with_value
            profile.volumes[vol].per_event = per_event
    profile.sessions = extra.get("sessions")
    if service_accounts:
        profile.service_accounts = extra["service_accounts"]
    profile.mapping = dict(sample.mapping)
    profile.format = sample.format
    profile.source = sample.source
    profile.warnings = list(sample.warnings)
    if profile.events_without_entity:
        profile.warnings.append(
            f"{profile.events_without_entity} event(s) have no {entity_role}: counted in totals, "
            "not in per-entity figures"
        )
    return profile


def _row_figures(
    df: pd.DataFrame,
    lns: np.ndarray,
    tz: str,
    business_hours: TimeWindow,
    service_accounts: Sequence[str],
    options: ProfileOptions,
    entity_role: str,
) -> dict[str, Any]:
    """Figures count tables cannot give: exact first/last, out-of-hours share to
    the minute (in the window's own zone), per-event volumes, sessions, service
    accounts by the user column."""
    zone = ZoneInfo(tz)
    ts = df["timestamp"]
    out: dict[str, Any] = {
        "first": ts.min().tz_convert(zone).isoformat(),
        "last": ts.max().tz_convert(zone).isoformat(),
        "volumes": {},
        "sessions": None,
        "service_accounts": {},
    }
    same_zone = not business_hours.timezone or business_hours.timezone == tz
    bh_ns = lns if same_zone else local_ns(ts, business_hours.timezone or tz)
    minute = (bh_ns // NS_PER_MINUTE) % 1440
    wd = (bh_ns // NS_PER_DAY + 3) % 7
    out["out_of_hours_share"] = float(1.0 - business_hours.contains_local(wd, minute).mean())
    for vol in ("records", "bytes"):
        if vol in df.columns:
            values = df[vol].to_numpy(dtype=float)
            present = values[~np.isnan(values)]
            out["volumes"][vol] = (int(present.size), Distribution.of(present))
    if "session" in df.columns and entity_role != "session":
        out["sessions"] = _sessions(df)
    if service_accounts:
        out["service_accounts"] = _service_accounts_direct(df, lns, service_accounts, options)
    return out


def _sessions(df: pd.DataFrame) -> Sessions | None:
    code, _labels = codes(df["session"])
    m = code >= 0
    if not m.any():
        return None
    ts = df["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)[m]
    c = code[m]
    counts = np.bincount(c)
    present = counts > 0
    lo = np.full(len(counts), np.iinfo(np.int64).max)
    hi = np.full(len(counts), np.iinfo(np.int64).min)
    np.minimum.at(lo, c, ts)
    np.maximum.at(hi, c, ts)
    return Sessions(
        count=int(present.sum()),
        events_per_session=Distribution.of(counts[present]),
        duration_seconds=Distribution.of((hi[present] - lo[present]) / 1e9),
    )


def _service_accounts_direct(
    df: pd.DataFrame, lns: np.ndarray, names: Sequence[str], options: ProfileOptions
) -> dict[str, ServiceAccount]:
    out = {name: ServiceAccount(name=name) for name in names}
    if "user" not in df.columns:
        return out
    code, labels = codes(df["user"])
    index = {str(v): i for i, v in enumerate(labels)}
    wanted = [index[n] for n in names if n in index]
    if not wanted:
        return out
    m = np.isin(code, wanted)
    c, l_ = code[m], lns[m]
    src_codes = src_labels = None
    if "source_ip" in df.columns:
        src_codes, src_labels = codes(df["source_ip"])
        src_codes = src_codes[m]
    for name in names:
        if name not in index:
            continue
        mm = c == index[name]
        if not mm.any():
            continue
        ln = l_[mm]
        day = ln // NS_PER_DAY
        sa = out[name]
        sa.events = int(mm.sum())
        sa.hour_of_day = [int(x) for x in np.bincount((ln // NS_PER_HOUR) % 24, minlength=24)]
        sa.weekday = [int(x) for x in np.bincount((day + 3) % 7, minlength=7)]
        sa.days = len(np.unique(day))
        sa.first = day_text(int(day.min()))
        sa.last = day_text(int(day.max()))
        if src_codes is not None and src_labels is not None:
            sc = np.unique(src_codes[mm])
            srcs = sorted(str(src_labels[s]) for s in sc if s >= 0)
            sa.sources = srcs[: options.value_cap]
            sa.sources_truncated = len(srcs) > options.value_cap
    return out


def count_series(
    sample: LoadedSample,
    entity_role: str | None = None,
    tz: str = "UTC",
    window: str = "day",
    where: Mapping[str, str | Sequence[str]] | None = None,
) -> pd.Series:
    """Events per entity per window (``day`` or ``hour``), for thresholds and back-tests.

    ``where`` keeps only rows whose role matches: a string is a case-insensitive
    regular expression, a list is a set of exact values (``{"action": "export"}``,
    ``{"outcome": ["failure", "denied"]}``). The index has levels ``entity`` and
    ``day`` (a ``YYYY-MM-DD`` string) or ``hour`` (a zoned timestamp); only
    windows with at least one event appear.
    """
    import pandas as pd

    check_timezone(tz)
    df = sample.df
    roles = [r for r in sample.roles if r != "timestamp"]
    if entity_role is None:
        entity_role = default_entity(roles, {r: bool(df[r].notna().any()) for r in roles})
    if entity_role not in df.columns:
        raise InputError(f"entity role '{entity_role}' is not mapped")
    if window not in ("day", "hour"):
        raise InputError("window must be 'day' or 'hour'")
    mask = np.ones(len(df), dtype=bool)
    for role, cond in (where or {}).items():
        if role not in df.columns:
            raise InputError(f"role '{role}' is not mapped")
        code, labels = codes(df[role])
        if isinstance(cond, str):
            rx = re.compile(cond, re.IGNORECASE)
            ok = np.array([bool(rx.search(str(v))) for v in labels], dtype=bool)
        else:
            wanted = {str(v) for v in cond}
            ok = np.array([str(v) in wanted for v in labels], dtype=bool)
        mask &= np.append(ok, False)[code]
    ent, labels = codes(df[entity_role])
    lns = local_ns(df["timestamp"], tz)
    mask &= ent >= 0
    unit = NS_PER_DAY if window == "day" else NS_PER_HOUR
    bucket = lns[mask] // unit
    b0 = int(bucket.min()) if bucket.size else 0
    (e, b), sums = group_sum(
        [ent[mask], bucket - b0], [len(labels), int(bucket.max() - b0 + 1) if bucket.size else 1], {"n": None}
    )
    order = np.lexsort((b, e))
    e, b, n = e[order], b[order], sums["n"][order]
    if window == "day":
        keys: Any = (b + b0).astype("datetime64[D]").astype(str)
    else:
        # Wall-clock hours back to zoned stamps; the repeated hour when clocks go
        # back is read as the first (summer-time) one, as in the profile.
        wall = pd.DatetimeIndex((b + b0).astype("datetime64[h]").astype("datetime64[ns]"))
        keys = wall.tz_localize(tz, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward")
    index = pd.MultiIndex.from_arrays([labels[e], keys], names=["entity", window])
    return pd.Series(n, index=index, name="events")
