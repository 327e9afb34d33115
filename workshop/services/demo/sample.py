"""The demo's audit log sample: four weeks of synthetic Payroll Portal activity.

Generated with a fixed seed by :mod:`workshop.baseline.synthetic` (with planted
anomalies: a weekend bulk export, a brute force, a night-time admin login, a service
account on a new host) and renamed into the vocabulary the demo interview declares
(``Q.LOG_FIELDS`` and ``Q.LOG_EVENT_NAMES``), so that rules, rule tests and
baselines all read the same log.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workshop.baseline import generate_sample
from workshop.baseline.synthetic import SyntheticSample
from workshop.vocab import LogRole

SEED = 7
LOG_SOURCE = "payroll-audit"
#: synthetic action -> the Payroll Portal's own action names (see the demo interview). These are
#: values of the log's action field (an event's name), not question ids, though they look alike.
ACTIONS = {
    "login": "auth.login",
    "logout": "auth.logout",
    "view_record": "employee.view",
    "search": "employee.search",
    "update_record": "employee.update",
    "export": "report.export",
    "report_generate": "report.generate",
    "permission_change": "admin.role.assign",
    "user_created": "admin.user.create",
    "config_change": "admin.config.update",
    "api_sync": "api.sync",
    "batch_run": "batch.run",
}
#: synthetic column -> the demo log's field names (Q.LOG_FIELDS)
COLUMNS = {LogRole.SOURCE_IP: "src_ip", LogRole.RECORDS: "record_count"}
#: synthetic service accounts -> the names the owners gave (Q.SERVICE_ACCOUNTS)
ACCOUNTS = {"svc_hr_sync": "svc-payroll-hrimport", "svc_payroll_batch": "svc-payroll-bacs"}
#: synthetic office (10.1.x.y) and VPN (10.8.x.y) ranges -> the networks the owners declared
#: (Q.NETWORKS: office 10.20.0.0/16, VPN 10.40.0.0/16); the batch hosts are already in 10.20.
NETWORKS = {"10.1.": ("10.20.", 100), "10.8.": ("10.40.", 0)}


def _renumber(ip: str) -> str:
    for old, (new, shift) in NETWORKS.items():
        if ip.startswith(old):
            third, fourth = ip[len(old) :].split(".", 1)
            return f"{new}{int(third) + shift}.{fourth}"
    return ip


def demo_sample() -> tuple[pd.DataFrame, SyntheticSample]:
    sample = generate_sample(seed=SEED)
    df = sample.df.copy()
    denied = df["outcome"].astype(str) == "denied"
    df["action"] = df["action"].astype(str).map(lambda a: ACTIONS.get(a, a))
    df.loc[denied, "action"] = "authz.denied"
    df.loc[denied, "outcome"] = "failure"
    df["user"] = df["user"].astype(str).map(lambda u: ACCOUNTS.get(u, u))
    df["source_ip"] = df["source_ip"].astype(str).map(_renumber)
    return df.rename(columns=COLUMNS), sample


def write_demo_sample(path: Path) -> SyntheticSample:
    from workshop.core.fileio import atomic_write_text

    df, sample = demo_sample()
    atomic_write_text(path, df.to_csv(index=False))
    return sample
