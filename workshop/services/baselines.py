"""Baselines for an application: attach a log sample, check the owners' claims, propose thresholds.

The sample is read and profiled completely before anything is written, so a file that
fails leaves nothing in the workspace. What is stored is the profile (aggregates); the
raw rows are kept only when the user asks (``keep_sample``), as a copy inside the
workspace.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop.baseline import Discrepancy, LoadedSample, Profile, build_profile, check_claims, load_sample
from workshop.baseline.claims import profile_options_from_answers
from workshop.baseline.files import DEFAULT_SIZE_LIMIT
from workshop.core.errors import InputError
from workshop.interview.facts import Facts, Q
from workshop.interview.model import AnswerSet
from workshop.store import Store
from workshop.store.baseline_store import BaselineRecord


def answers_of(store: Store, slug: str) -> dict[str, Any]:
    interview = store.latest_interview(slug)
    return AnswerSet(store.answers(interview.id)).values if interview else {}


def declared_timezone(answers: Mapping[str, Any]) -> str:
    """The zone of naive log timestamps: the log's declared zone, else the business hours' zone."""
    facts = Facts.of(answers)
    tz = facts.get(Q.LOG_TIMEZONE)
    if isinstance(tz, str) and tz.strip():
        return tz.strip()
    window = facts.get(Q.BUSINESS_HOURS)
    if isinstance(window, Mapping) and window.get("timezone"):
        return str(window["timezone"])
    return "UTC"


@dataclass
class Attached:
    baseline: BaselineRecord
    claims: list[Discrepancy] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def profile_file(
    path: str | Path, answers: Mapping[str, Any], *, fmt: str = "auto", mapping: Mapping[str, str] | None = None,
    entity: str | None = None, tz: str | None = None, size_limit: int | None = DEFAULT_SIZE_LIMIT,
) -> tuple[LoadedSample, Profile]:  # fmt: skip
    """Load and profile a sample the way the interview makes comparable (zone, hours, service accounts)."""
    sample = load_sample(path, fmt, mapping, declared_timezone(answers), size_limit)
    opts = profile_options_from_answers(answers)
    profile = build_profile(
        sample, entity, tz or opts["tz"], opts["business_hours"], opts["service_accounts"]
    )
    return sample, profile


def attach_file(
    store: Store, slug: str, path: str | Path, *, log_source: str = "audit", fmt: str = "auto",
    mapping: Mapping[str, str] | None = None, entity: str | None = None, tz: str | None = None, who: str = "",
    keep_sample: bool = False, sample_in_place: bool = False, size_limit: int | None = DEFAULT_SIZE_LIMIT,
    file_name: str | None = None,
) -> Attached:  # fmt: skip
    """Profile ``path`` and store the profile as the application's next baseline version."""
    store.get_application(slug)
    path = Path(path)
    answers = answers_of(store, slug)
    sample, profile = profile_file(path, answers, fmt=fmt, mapping=mapping, entity=entity, tz=tz,
                                   size_limit=size_limit)  # fmt: skip
    data = profile.to_dict()
    kept: str | None = None
    if keep_sample:
        if sample_in_place:
            kept = str(path)
        else:
            if store.workspace is None:
                raise InputError("this store has no workspace folder to keep the sample in")
            version = len(store.list_baselines(slug, log_source)) + 1
            dest = (
                store.workspace
                / "samples"
                / slug
                / f"{log_source}-v{version}{''.join(path.suffixes) or '.log'}"
            )
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            kept = str(dest)
    record = store.attach_baseline(
        slug, log_source, data, file_name=file_name or path.name, events=int(data.get("events") or 0),
        first=str(data.get("first") or ""), last=str(data.get("last") or ""), who=who, sample_path=kept,
    )  # fmt: skip
    store.save_log_mapping(slug, log_source, sample.format, {k: v for k, v in sample.mapping.items() if v},
                           entity or "", tz or "")  # fmt: skip
    return Attached(record, check_claims(profile, answers), list(sample.warnings))


def claims_for(store: Store, slug: str, baseline: BaselineRecord) -> list[Discrepancy]:
    """Every claim from the latest interview against the baseline: contradicted, consistent or unverifiable."""
    return check_claims(Profile.from_dict(baseline.profile), answers_of(store, slug))
