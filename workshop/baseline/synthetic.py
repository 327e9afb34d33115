"""A realistic audit log for a demo payroll application, with planted anomalies.

Demos and tests need a sample whose truth is known: normal office work by
clerks and admins in London, two service accounts on schedules, and a handful of
attacks placed on purpose (a weekend bulk export, a password-spraying burst from
one address, an admin login at 03:00, a service account used from a clerk's
workstation). :attr:`SyntheticSample.anomalies` lists them as data (what, who,
when, from where) so later checks can assert that the thresholds derived from the
sample catch them. The same seed always gives the same rows.

Times are generated as local times in Europe/London and written as ISO 8601 with
their offset, so the sample exercises daylight saving (the default four weeks
from 4 March 2024 end on the night the clocks go forward).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workshop.core.errors import InputError
from workshop.interview.facts import Q
from workshop.vocab import WORKING_DAYS, TimeWindow

if TYPE_CHECKING:
    import pandas as pd

TIMEZONE = "Europe/London"
SERVICE_ACCOUNTS: tuple[dict[str, Any], ...] = (
    {
        "name": "svc_payroll_batch",
        "purpose": "nightly payroll calculation",
        "source_hosts": "10.20.0.15",
        "interactive_allowed": False,
    },
    {
        "name": "svc_hr_sync",
        "purpose": "hourly sync from the HR system",
        "source_hosts": "10.20.0.16",
        "interactive_allowed": False,
    },
)
ADMINS: tuple[str, ...] = ("admin.jones", "admin.patel", "admin.smith", "admin.wong")
COLUMNS: tuple[str, ...] = (
    "timestamp",
    "user",
    "action",
    "outcome",
    "source_ip",
    "country",
    "records",
    "session_id",
)
BRUTE_FORCE_IP = "203.0.113.45"


@dataclass(frozen=True)
class PlantedAnomaly:
    """One deliberate anomaly: what happened, who did it, when and from where."""

    kind: str
    who: str
    start: str
    end: str
    events: int
    source_ip: str
    description: str
    detection: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "who": self.who,
            "start": self.start,
            "end": self.end,
            "events": self.events,
            "source_ip": self.source_ip,
            "description": self.description,
            "detection": self.detection,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlantedAnomaly:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass
class SyntheticSample:
    """The generated log (``df``), the anomalies planted in it, and the context an
    interview would give (zone, business hours, service accounts, owners' answers)."""

    df: pd.DataFrame
    anomalies: list[PlantedAnomaly]
    seed: int
    timezone: str = TIMEZONE
    business_hours: TimeWindow = field(default_factory=lambda: TimeWindow(timezone=TIMEZONE))
    service_accounts: list[dict[str, Any]] = field(
        default_factory=lambda: [dict(s) for s in SERVICE_ACCOUNTS]
    )

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the log as UTF-8 CSV with a header line; returns the path."""
        from workshop.core.fileio import atomic_write_text

        p = Path(path)
        atomic_write_text(p, self.df.to_csv(index=False, lineterminator="\n"))
        return p

    def answers(self) -> dict[str, Any]:
        """What the payroll owners said in the interview (by question id).

        Most answers match the log; "no weekend use" and the service account's
        single host are contradicted by planted anomalies, as in real life.
        """
        return demo_answers()


def demo_answers() -> dict[str, Any]:
    """The payroll owners' answers by question id (plain strings, as stored answers are)."""
    answers: dict[Q, Any] = {
        Q.BUSINESS_HOURS: {
            "days": list(WORKING_DAYS),
            "start": "08:00",
            "end": "18:00",
            "timezone": TIMEZONE,
        },
        Q.WEEKEND_USE: "none",
        Q.DAILY_LOGINS: 45,
        Q.RECORDS_PER_USER_DAY: 250,
        Q.EXPORTS_PER_DAY: 5,
        Q.USERS_TOTAL: 44,
        Q.COUNTRIES: ["GB", "IE"],
        Q.NETWORKS: ["10.0.0.0/8"],
        Q.SERVICE_ACCOUNTS: [dict(s) for s in SERVICE_ACCOUNTS],
    }
    return {qid.value: value for qid, value in answers.items()}


class _Builder:
    """Collects events as parallel lists of arrays; one concatenation at the end."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        times: np.ndarray,
        user: str,
        actions: np.ndarray | list[str],
        outcome: np.ndarray | list[str] | str,
        ip: str,
        country: str,
        records: np.ndarray | list[float],
        session: str,
    ) -> None:
        n = len(times)
        if n == 0:
            return
        self.parts.append(
            {
                "local": np.asarray(times, dtype="datetime64[s]"),
                "user": np.full(n, user, dtype=object),
                "action": np.asarray(actions, dtype=object),
                "outcome": np.full(n, outcome, dtype=object)
                if isinstance(outcome, str)
                else np.asarray(outcome, dtype=object),
                "source_ip": np.full(n, ip, dtype=object),
                "country": np.full(n, country, dtype=object),
                "records": np.asarray(records, dtype=float),
                "session_id": np.full(n, session, dtype=object),
            }
        )

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        cols = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        return pd.DataFrame(cols)


def _seconds(rng: np.random.Generator, start: float, end: float, n: int) -> np.ndarray:
    return np.sort(rng.uniform(start, end, n)).astype(np.int64)


def generate_sample(
    seed: int = 7,
    start: str = "2024-03-04",
    weeks: int = 4,
    clerks: int = 40,
) -> SyntheticSample:
    """Generate the payroll audit log.

    ``start`` must be a Monday. Planted anomalies fall in weeks 2 to 4, so
    ``weeks`` is at least 4.
    """
    import pandas as pd

    day0 = pd.Timestamp(start)
    if day0.day_of_week != 0:
        raise InputError(f"start {start} is not a Monday")
    if weeks < 4 or clerks < 20:
        raise InputError("the demo needs at least 4 weeks and 20 clerks")
    rng = np.random.default_rng(seed)
    b = _Builder()
    sess = iter(range(1, 10**9))

    def session() -> str:
        return f"s{next(sess):06d}"

    days = [day0 + pd.Timedelta(days=i) for i in range(weeks * 7)]
    clerk_names = [f"clerk{i:02d}" for i in range(1, clerks + 1)]
    clerk_ip = {name: f"10.1.{i // 200}.{i % 200 + 10}" for i, name in enumerate(clerk_names)}
    dublin = set(clerk_names[-3:])  # three clerks in the Dublin office, over the VPN
    for day in days:
        if day.day_of_week >= 5:
            continue
        base = np.datetime64(day.date(), "s")
        for name in clerk_names:
            if rng.random() < 0.08:  # leave, sickness
                continue
            vpn = name in dublin or rng.random() < 0.1
            ip = f"10.8.0.{rng.integers(2, 250)}" if vpn else clerk_ip[name]
            country = "IE" if name in dublin else "GB"
            arrive = float(np.clip(rng.normal(8.75, 0.3), 7.8, 10.0)) * 3600
            leave = float(np.clip(rng.normal(17.25, 0.45), 15.5, 19.0)) * 3600
            s = session()
            if rng.random() < 0.04:
                b.add(
                    base + np.array([int(arrive) - 40]), name, ["login"], "failure", ip, country, [np.nan], s
                )
            b.add(base + np.array([int(arrive)]), name, ["login"], "success", ip, country, [np.nan], s)
            n_views = int(rng.poisson(45))
            n_search = int(rng.poisson(8))
            n_update = int(rng.poisson(5))
            work = _seconds(rng, arrive + 60, leave - 60, n_views + n_search + n_update)
            actions = np.array(
                ["view_record"] * n_views + ["search"] * n_search + ["update_record"] * n_update, dtype=object
            )
            rng.shuffle(actions)
            records = np.where(
                actions == "view_record",
                1 + rng.poisson(3, len(actions)),
                np.where(actions == "search", rng.poisson(20, len(actions)), 1),
            ).astype(float)
            outcome = np.where(rng.random(len(actions)) < 0.01, "denied", "success").astype(object)
            b.add(base + work, name, actions, outcome, ip, country, records, s)
            if rng.random() < 0.15:
                t = _seconds(rng, arrive + 3600, leave - 600, 1)
                b.add(base + t, name, ["export"], "success", ip, country, [float(rng.integers(50, 300))], s)
            b.add(base + np.array([int(leave)]), name, ["logout"], "success", ip, country, [np.nan], s)
        for admin in ADMINS:
            if rng.random() < 0.1:
                continue
            ip = f"10.1.9.{10 + ADMINS.index(admin)}"
            arrive = float(np.clip(rng.normal(9.0, 0.25), 8.0, 10.0)) * 3600
            leave = float(np.clip(rng.normal(17.5, 0.4), 16.0, 19.0)) * 3600
            s = session()
            b.add(base + np.array([int(arrive)]), admin, ["login"], "success", ip, "GB", [np.nan], s)
            n_views = int(rng.poisson(15))
            n_admin = int(rng.poisson(2))
            work = _seconds(rng, arrive + 60, leave - 60, n_views + n_admin)
            kinds = rng.choice(["user_created", "permission_change", "config_change"], n_admin)
            actions = np.array(["view_record"] * n_views + list(kinds), dtype=object)
            rng.shuffle(actions)
            records = np.where(actions == "view_record", 1 + rng.poisson(2, len(actions)), 1).astype(float)
            b.add(base + work, admin, actions, "success", ip, "GB", records, s)
            b.add(base + np.array([int(leave)]), admin, ["logout"], "success", ip, "GB", [np.nan], s)
    # Service accounts: a nightly batch every day at 02:00, an hourly sync on weekdays.
    for day in days:
        base = np.datetime64(day.date(), "s")
        t0 = 2 * 3600 + int(rng.integers(0, 120))
        s = session()
        b.add(
            base + np.array([t0]), "svc_payroll_batch", ["login"], "success", "10.20.0.15", "GB", [np.nan], s
        )
        b.add(
            base + np.array([t0 + 30, t0 + 900]),
            "svc_payroll_batch",
            ["batch_run", "report_generate"],
            "success",
            "10.20.0.15",
            "GB",
            [float(rng.integers(2000, 4000)), 40.0],
            s,
        )
        if day.day_of_week < 5:
            hours = np.arange(7, 20) * 3600 + rng.integers(0, 300, 13)
            b.add(
                base + hours,
                "svc_hr_sync",
                ["api_sync"] * 13,
                "success",
                "10.20.0.16",
                "GB",
                rng.integers(5, 40, 13).astype(float),
                session(),
            )
    anomalies: list[PlantedAnomaly] = []

    def plant(kind: str, who: str, times: np.ndarray, ip: str, description: str, detection: str) -> None:
        anomalies.append(
            PlantedAnomaly(
                kind=kind,
                who=who,
                start=_iso(times.min()),
                end=_iso(times.max()),
                events=len(times),
                source_ip=ip,
                description=description,
                detection=detection,
            )
        )

    # 1. Weekend bulk export: a clerk exports 15 x 5,000 records on the second Saturday.
    sat = np.datetime64((day0 + pd.Timedelta(days=12)).date(), "s")
    t = sat + (14 * 3600 + 5 * 60 + np.arange(17) * 120)
    acts = ["login", *["export"] * 15, "logout"]
    recs = [np.nan, *[5000.0] * 15, np.nan]
    b.add(t, "clerk07", acts, "success", "10.8.0.77", "GB", recs, session())
    plant(
        "weekend_bulk_export",
        "clerk07",
        t,
        "10.8.0.77",
        "clerk07 logs in on a Saturday afternoon over the VPN and exports 15 x 5,000 records",
        "exports or records per user per day above threshold; activity outside business hours",
    )
    # 2. Password spraying: 80 failed logins against 20 accounts from one address in 4 minutes.
    tue = np.datetime64((day0 + pd.Timedelta(days=15)).date(), "s")
    t = tue + (22 * 3600 + 10 * 60 + np.sort(rng.integers(0, 240, 80)))
    targets = np.array(clerk_names[:20] * 4, dtype=object)
    for i in range(80):
        b.add(t[i : i + 1], str(targets[i]), ["login"], "failure", BRUTE_FORCE_IP, "NL", [np.nan], "")
    plant(
        "brute_force",
        BRUTE_FORCE_IP,
        t,
        BRUTE_FORCE_IP,
        "80 failed logins against 20 clerk accounts from one external address within 4 minutes",
        "failed logins per source IP per day (or hour) above threshold; source outside the known networks",
    )
    # 3. Night login: an admin at 03:04 on a Thursday, with a permission change.
    thu = np.datetime64((day0 + pd.Timedelta(days=17)).date(), "s")
    t = thu + (3 * 3600 + 4 * 60 + np.arange(8) * 90)
    acts = ["login", *["view_record"] * 6, "permission_change"]
    b.add(t, "admin.jones", acts, "success", "10.8.0.23", "GB", [np.nan, 1, 1, 1, 1, 1, 1, 1], session())
    plant(
        "night_login",
        "admin.jones",
        t,
        "10.8.0.23",
        "admin.jones logs in at 03:04 on a Thursday over the VPN and changes a permission",
        "login at a rare hour for the user; admin change outside business hours",
    )
    # 4. Service account from a new host: the batch account used from a clerk's workstation.
    wed = np.datetime64((day0 + pd.Timedelta(days=23)).date(), "s")
    t = wed + (11 * 3600 + 15 * 60 + np.arange(4) * 60)
    acts = ["login", "export", "export", "export"]
    ws = clerk_ip[clerk_names[0]]
    b.add(t, "svc_payroll_batch", acts, "success", ws, "GB", [np.nan, 3000.0, 3000.0, 3000.0], session())
    plant(
        "service_account_new_host",
        "svc_payroll_batch",
        t,
        ws,
        f"the nightly batch account logs in at 11:15 from a clerk's workstation ({ws}) and exports data",
        "service account source not in its known hosts (first seen); service account active at an unusual hour",
    )
    df = b.frame()
    local = pd.to_datetime(df.pop("local"))
    zoned = local.dt.tz_localize(TIMEZONE, ambiguous=False, nonexistent="shift_forward")
    order = np.argsort(zoned.to_numpy(dtype="datetime64[ns]"), kind="stable")
    df = df.iloc[order].reset_index(drop=True)
    zoned = zoned.iloc[order].reset_index(drop=True)
    text = zoned.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
    df.insert(0, "timestamp", text)
    df["records"] = df["records"].astype("Int64")
    df["session_id"] = df["session_id"].replace("", None)
    return SyntheticSample(df=df[list(COLUMNS)], anomalies=anomalies, seed=seed)


def _iso(local: np.datetime64) -> str:
    import pandas as pd

    ts = pd.Timestamp(local).tz_localize(TIMEZONE, ambiguous=False, nonexistent="shift_forward")
    return str(ts.isoformat())
