"""Deriving a profile's figures from count tables: the one computation every input path shares.

Whether the tables came from a loaded sample, from a SIEM's query results or (to
come) from a streaming engine over a large file, the figures are computed here,
so the paths cannot drift apart. Only figures that need single events (exact
first and last time, per-event volumes, sessions) are left to the direct path
(:mod:`~workshop.baseline.build`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from workshop.baseline.figures import (
    Breakdown,
    DailyActivity,
    Distribution,
    Failures,
    HourlyRates,
    KnownValues,
    SeenValue,
    ServiceAccount,
    ValueFigures,
    Volume,
)
from workshop.baseline.options import ProfileOptions, classify_failures
from workshop.baseline.profile import ROLES_WITH_TABLES, Profile
from workshop.baseline.tables import CountTables, RoleCounts, day_text, group_sum
from workshop.core.errors import InputError
from workshop.vocab import TimeWindow


class Deriver:
    """Computes profile figures from count tables (shared by every input path)."""

    def __init__(self, t: CountTables, options: ProfileOptions) -> None:
        self.t = t
        self.o = options
        self.day0 = t.hour0 // 24
        self.ndays = (t.hour0 + t.nhours - 1) // 24 - self.day0 + 1

    def day_of(self, hour: np.ndarray) -> np.ndarray:
        return (self.t.hour0 + hour) // 24 - self.day0

    def hod_of(self, hour: np.ndarray) -> np.ndarray:
        return (self.t.hour0 + hour) % 24

    def weekday_of_day(self, day: np.ndarray) -> np.ndarray:
        return (self.day0 + day + 3) % 7  # 1970-01-01 was a Thursday

    # -- activity

    def entity_days(
        self, values: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        t = self.t
        m = t.ent >= 0
        w: dict[str, np.ndarray | None] = {"events": t.events[m]}
        for name in ("failures", "records", "bytes"):
            arr = getattr(t, name)
            if arr is not None:
                w[name] = arr[m]
        (e, d), sums = group_sum([t.ent[m], self.day_of(t.hour[m])], [len(t.ent_labels), self.ndays], w)
        return e, d, sums

    def clock_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(ndays x 24 events, 7 x 24 events)."""
        t = self.t
        day = self.day_of(t.hour)
        per = np.bincount(day * 24 + self.hod_of(t.hour), weights=t.events, minlength=self.ndays * 24)
        per = np.rint(per).astype(np.int64).reshape(self.ndays, 24)
        wd = self.weekday_of_day(np.arange(self.ndays))
        week = np.zeros((7, 24), dtype=np.int64)
        np.add.at(week, wd, per)
        return per, week

    def hourly_rates(self, per_day_hour: np.ndarray, week: np.ndarray) -> HourlyRates:
        wd = self.weekday_of_day(np.arange(self.ndays))
        weeks = np.bincount(wd, minlength=7)
        mx = np.zeros((7, 24), dtype=np.int64)
        if self.t.hour_known:
            for w in range(7):
                rows = per_day_hour[wd == w]
                if len(rows):
                    mx[w] = rows.max(axis=0)
        mean = week / np.maximum(weeks, 1)[:, None]
        return HourlyRates(
            counts=week.tolist(), mean=mean.tolist(), max=mx.tolist(), weeks=[int(x) for x in weeks]
        )

    # -- roles

    def breakdown(self, role: str) -> tuple[Breakdown, KnownValues]:
        """Top values of a role with their figures, and the capped known values.

        The role table has one row per (value, entity, day), sorted by value then
        entity, so per-value figures are segment reductions: no regrouping.
        """
        rc = self.t.roles[role]
        valid = rc.code >= 0
        code, ent, day, events = rc.code[valid], rc.ent[valid], rc.day[valid], rc.events[valid]
        nlab = len(rc.labels)
        ev = np.rint(np.bincount(code, weights=events, minlength=nlab)).astype(np.int64)
        fails = None
        if rc.failures is not None:
            fails = np.rint(np.bincount(code, weights=rc.failures[valid], minlength=nlab)).astype(np.int64)
        # Per value: distinct entities (a new (value, entity) pair starts a run),
        # first and last day (min/max over each value's segment).
        new_code = np.ones(len(code), dtype=bool)
        new_code[1:] = code[1:] != code[:-1]
        new_pair = new_code.copy()
        new_pair[1:] |= ent[1:] != ent[:-1]
        ents = np.bincount(code[new_pair & (ent >= 0)], minlength=nlab)
        starts = np.flatnonzero(new_code)
        first = np.full(nlab, np.iinfo(np.int64).max)
        last = np.full(nlab, -1)
        if len(starts):
            first[code[starts]] = np.minimum.reduceat(day, starts)
            last[code[starts]] = np.maximum.reduceat(day, starts)
        present = np.flatnonzero(ev > 0)
        label_rank = np.empty(nlab, dtype=np.int64)
        label_rank[np.argsort(rc.labels.astype(str), kind="stable")] = np.arange(nlab)
        order = present[np.lexsort((label_rank[present], -ev[present]))]
        top = order[: self.o.top_n]
        # Events per entity per day: each row with an entity is one observation.
        ends = np.append(starts[1:], len(code))
        segment = {int(code[a]): (a, b) for a, b in zip(starts, ends, strict=True)}
        has_entity = ent >= 0
        groups = {}
        for c in top:
            a, b = segment[int(c)]
            groups[int(c)] = events[a:b][has_entity[a:b]]
        values: dict[str, ValueFigures] = {}
        for c in top:
            c = int(c)
            values[str(rc.labels[c])] = ValueFigures(
                events=int(ev[c]),
                entities=int(ents[c]),
                per_entity_day=Distribution.of(groups[c], histogram=True),
                first=self.date(first[c]),
                last=self.date(last[c]),
                failures=int(fails[c]) if fails is not None else None,
            )
        rest = order[self.o.top_n :]
        bd = Breakdown(
            role=role,
            distinct=len(present),
            values=values,
            other_values=len(rest),
            other_events=int(ev[rest].sum()),
        )
        capped = order[: self.o.value_cap]
        known = KnownValues(
            role=role,
            count=len(present),
            values=[
                SeenValue(str(rc.labels[c]), int(ev[c]), self.date(first[c]), self.date(last[c]))
                for c in capped
            ],
            truncated=len(order) > len(capped),
        )
        return bd, known

    def distinct(self, rc: RoleCounts) -> tuple[Distribution, Distribution]:
        """Distinct values per entity per active day (e.g. source addresses per
        user), and distinct entities per value per day (e.g. users per address):
        the figures behind Sigma's ``value_count`` correlations."""
        m = (rc.code >= 0) & (rc.ent >= 0)
        # Rows are distinct (value, entity, day): counting rows counts distinct values.
        (_e, _d), per_entity = group_sum(
            [rc.ent[m], rc.day[m]], [len(self.t.ent_labels), self.ndays], {"n": None}
        )
        (_c, _d2), per_value = group_sum([rc.code[m], rc.day[m]], [len(rc.labels), self.ndays], {"n": None})
        return Distribution.of(per_entity["n"], histogram=True), Distribution.of(
            per_value["n"], histogram=True
        )

    def date(self, day: int) -> str:
        return day_text(self.day0 + int(day))

    def entity_known(self, e: np.ndarray, d: np.ndarray, n: np.ndarray, role: str) -> KnownValues:
        nlab = len(self.t.ent_labels)
        ev = np.bincount(e, weights=n, minlength=nlab)
        first = np.full(nlab, np.iinfo(np.int64).max)
        last = np.full(nlab, -1)
        np.minimum.at(first, e, d)
        np.maximum.at(last, e, d)
        present = np.flatnonzero(ev > 0)
        rank = np.empty(nlab, dtype=np.int64)
        rank[np.argsort(self.t.ent_labels.astype(str), kind="stable")] = np.arange(nlab)
        order = present[np.lexsort((rank[present], -ev[present]))]
        capped = order[: self.o.value_cap]
        return KnownValues(
            role=role,
            count=len(present),
            values=[
                SeenValue(str(self.t.ent_labels[c]), int(ev[c]), self.date(first[c]), self.date(last[c]))
                for c in capped
            ],
            truncated=len(order) > len(capped),
        )

    def daily_activity(self, pattern: str) -> DailyActivity | None:
        rc = self.t.roles.get("action")
        if rc is None:
            return None
        regex = re.compile(pattern, re.IGNORECASE)
        matching = np.array([bool(regex.search(str(v))) for v in rc.labels], dtype=bool)
        matching = np.append(matching, False)
        m = matching[rc.code]
        events = rc.events[m]
        failed = rc.failures[m] if rc.failures is not None else None
        good = events - failed if failed is not None else events
        per_day = np.bincount(rc.day[m], weights=good, minlength=self.ndays)
        names = sorted({str(rc.labels[c]) for c in np.unique(rc.code[m])})
        return DailyActivity(
            pattern=pattern,
            actions=names,
            events=int(events.sum()),
            failed=int(failed.sum()) if failed is not None else None,
            per_day=Distribution.of(per_day, histogram=True),
        )


def default_entity(sample_roles: Iterable[str], non_empty: Mapping[str, bool]) -> str:
    roles = set(sample_roles)
    if "user" in roles and non_empty.get("user", True):
        return "user"
    if "source_ip" in roles:
        return "source_ip"
    if "user" in roles:
        return "user"
    raise InputError("no entity to count per: map a user or source_ip column, or pick one with --entity ROLE")


def profile_from_tables(
    tables: CountTables,
    entity_role: str,
    tz: str,
    business_hours: TimeWindow,
    options: ProfileOptions,
    *,
    service_accounts: Sequence[str] = (),
    precision: str = "hour",
) -> Profile:
    """Every figure that count tables can give. The direct path adds the rest."""
    t = tables
    dv = Deriver(t, options)
    events = int(t.events.sum())
    e, d, sums = dv.entity_days()
    entities = int(np.count_nonzero(np.bincount(e, minlength=len(t.ent_labels))))
    per_entity_day = Distribution.of(sums["events"], histogram=True)
    per_entity_hour = Distribution.of(t.events[t.ent >= 0], histogram=True) if t.hour_known else None
    per_day_hour, week = dv.clock_matrix()
    per_day = per_day_hour.sum(axis=1)
    if t.hour_known:
        weekday = week.sum(axis=1)
    else:
        # Days only: weekdays still come from the days; hours only from a clock table.
        weekday = np.bincount(dv.weekday_of_day(np.arange(dv.ndays)), weights=per_day, minlength=7)
        weekday = np.rint(weekday).astype(np.int64)
        week = t.clock if t.clock is not None else np.zeros((7, 24), dtype=np.int64)
    hour_of_day = week.sum(axis=0)
    weekend = float(weekday[5:].sum() / weekday.sum()) if weekday.sum() else 0.0
    total_clock = max(int(week.sum()), 1)
    inside = float((week * business_hours.hour_weights()).sum() / total_clock) if week.sum() else 0.0
    active_days = np.flatnonzero(per_day)
    first_day = dv.date(active_days[0]) if len(active_days) else None
    last_day = dv.date(active_days[-1]) if len(active_days) else None
    zone = ZoneInfo(tz)
    first: str | None
    last: str | None
    if t.hour_known and events:
        hours = t.hour[t.events > 0]
        first = _hour_iso(t.hour0 + int(hours.min()), zone)
        last = _hour_iso(t.hour0 + int(hours.max()), zone)
    else:
        first, last = first_day, last_day
    profile = Profile(
        events=events,
        entities=entities,
        entity_role=entity_role,
        timezone=tz,
        first=first,
        last=last,
        days_covered=len(active_days),
        span_days=int(dv.ndays) if events else 0,
        per_entity_day=per_entity_day,
        per_entity_hour=per_entity_hour,
        per_day=Distribution.of(per_day),
        hour_of_day=[int(x) for x in hour_of_day],
        weekday=[int(x) for x in weekday],
        hourly_by_weekday=dv.hourly_rates(per_day_hour, week),
        weekend_share=weekend,
        out_of_hours_share=1.0 - inside if week.sum() else 0.0,
        business_hours=business_hours,
        events_without_entity=int(t.events[t.ent < 0].sum()),
        precision=precision,
        options=options,
    )
    profile.first_seen[entity_role] = dv.entity_known(e, d, sums["events"], entity_role)
    for role in (r for r in ROLES_WITH_TABLES if r in t.roles):
        profile.distinct_per_entity_day[role], profile.entities_per_value_day[role] = dv.distinct(
            t.roles[role]
        )
        bd, known = dv.breakdown(role)
        if role != "user":
            profile.breakdowns[role] = bd
        if role in ("action", "source_ip", "user", "country"):
            profile.first_seen[role] = known
    if t.failures is not None:
        fails_total = int(t.failures.sum())
        ent_events = np.bincount(e, weights=sums["events"], minlength=len(t.ent_labels))
        ent_fails = np.bincount(e, weights=sums["failures"], minlength=len(t.ent_labels))
        active = ent_events > 0
        per_source_day = failing_entities = None
        src = t.roles.get("source_ip")
        if entity_role == "source_ip":
            per_source_day = Distribution.of(sums["failures"], histogram=True)
        elif src is not None and src.failures is not None:
            ok = src.code >= 0
            # Rows are distinct (source, entity, day): a row with failures is one failing entity.
            failing = ((src.failures > 0) & (src.ent >= 0)).astype(np.int64)
            (_sc, _sd), s_ = group_sum(
                [src.code[ok], src.day[ok]],
                [len(src.labels), dv.ndays],
                {"f": src.failures[ok], "failing": failing[ok]},
            )
            per_source_day = Distribution.of(s_["f"], histogram=True)
            failing_entities = Distribution.of(s_["failing"], histogram=True)
        outcome = t.roles.get("outcome")
        fail_values: list[str] = []
        if outcome is not None:
            present = np.unique(outcome.code[outcome.code >= 0])
            flags = classify_failures(
                outcome.labels[present], options.failure_values, options.http_failure_min
            )
            fail_values = sorted(str(v) for v in outcome.labels[present][flags])
        profile.failures = Failures(
            values=fail_values,
            events=fails_total,
            ratio=fails_total / events if events else 0.0,
            per_entity_ratio=Distribution.of(ent_fails[active] / ent_events[active]),
            per_entity_day=Distribution.of(sums["failures"], histogram=True),
            per_source_day=per_source_day,
            failing_entities_per_source_day=failing_entities,
        )
    for vol in ("records", "bytes"):
        if getattr(t, vol) is not None:
            profile.volumes[vol] = Volume(
                role=vol,
                total=float(getattr(t, vol).sum()),
                events_with_value=0,
                per_entity_day=Distribution.of(sums[vol], histogram=True),
            )
    profile.logins = dv.daily_activity(options.login_pattern)
    profile.exports = dv.daily_activity(options.export_pattern)
    if service_accounts and entity_role == "user":
        profile.service_accounts = _service_accounts_from_tables(dv, service_accounts, options)
    return profile


def _hour_iso(abs_hour: int, zone: ZoneInfo) -> str:
    """The local wall-clock hour as an ISO string with its offset.

    A repeated hour (clocks going back) is the first, summer-time one. pandas
    (slow to import) is asked only for an hour in a gap when clocks go forward, which
    it moves forward (``nonexistent="shift_forward"``) in its own way.
    """
    naive = datetime(1970, 1, 1) + timedelta(hours=abs_hour)
    local = naive.replace(tzinfo=zone)  # fold 0: the earlier of a repeated time
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return local.isoformat()
    import pandas as pd

    return str(pd.Timestamp(naive).tz_localize(zone, ambiguous=True, nonexistent="shift_forward").isoformat())


def _service_accounts_from_tables(
    dv: Deriver, names: Sequence[str], options: ProfileOptions
) -> dict[str, ServiceAccount]:
    t = dv.t
    index = {str(v): i for i, v in enumerate(t.ent_labels)}
    src = t.roles.get("source_ip")
    out: dict[str, ServiceAccount] = {}
    for name in names:
        sa = ServiceAccount(name=name)
        code = index.get(name)
        if code is not None:
            m = t.ent == code
            hours = t.hour[m]
            n = t.events[m]
            if n.sum():
                sa.events = int(n.sum())
                sa.hour_of_day = [int(x) for x in np.bincount(dv.hod_of(hours), weights=n, minlength=24)]
                days = dv.day_of(hours)
                sa.weekday = [int(x) for x in np.bincount(dv.weekday_of_day(days), weights=n, minlength=7)]
                sa.days = len(np.unique(days))
                sa.first = dv.date(days.min())
                sa.last = dv.date(days.max())
                if src is not None:
                    codes = np.unique(src.code[(src.ent == code) & (src.code >= 0)])
                    names_ = sorted(str(src.labels[c]) for c in codes)
                    sa.sources = names_[: options.value_cap]
                    sa.sources_truncated = len(names_) > options.value_cap
        out[name] = sa
    return out
