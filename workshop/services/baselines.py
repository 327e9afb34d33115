"""Baselines for an application: attach a log sample, check the owners' claims, propose thresholds.

The sample is read and profiled completely before anything is written, so a file that
fails leaves nothing in the workspace. What is stored is the profile (aggregates); the
raw rows are kept only when the user asks (``keep_sample``), as a copy inside the
workspace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop.baseline import Discrepancy, Profile, check_claims
from workshop.baseline.claims import profile_options_from_answers
from workshop.baseline.engine import Progress, profile_file_streaming
from workshop.baseline.options import ReadOptions
from workshop.baseline.sample import StreamedSample
from workshop.core.errors import InputError
from workshop.core.fileio import atomic_copy, path_inside, safe_name
from workshop.interview.facts import Facts, Q
from workshop.interview.model import AnswerSet
from workshop.store import Store
from workshop.store.baseline_store import BaselineRecord, LogMapping


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
    path: str | Path, answers: Mapping[str, Any], *, fmt: str = "auto", mapping: Mapping[str, str | None] | None = None,
    entity: str | None = None, tz: str | None = None, size_limit: int | None = None,
    read: ReadOptions | None = None, progress: Progress | None = None, display_name: str | None = None,
) -> tuple[StreamedSample, Profile]:  # fmt: skip
    """Profile a sample the way the interview makes comparable (zone, hours, service accounts).

    The file is streamed (:mod:`workshop.baseline.engine`): its size is bounded by the
    disk and the sample limits, not by memory. ``progress`` hears (bytes read, bytes in all).
    """
    read = read or ReadOptions(fmt=fmt, mapping=mapping, entity=entity, tz=tz, size_limit=size_limit)
    opts = profile_options_from_answers(answers)
    mapping_ = None if read.mapping is None else {k: (v or None) for k, v in read.mapping.items()}
    return profile_file_streaming(
        path, read, mapping=mapping_, default_tz=read.default_tz or declared_timezone(answers),
        timestamp_format=read.timestamp_format or None, entity=read.entity or None, tz=read.tz or opts["tz"],
        regex=read.regex or None, business_hours=opts["business_hours"],
        service_accounts=opts["service_accounts"], progress=progress, display_name=display_name,
    )  # fmt: skip


def attach_file(
    store: Store, slug: str, path: str | Path, *, log_source: str = "audit", fmt: str = "auto",
    mapping: Mapping[str, str | None] | None = None, entity: str | None = None, tz: str | None = None, who: str = "",
    keep_sample: bool = False, sample_in_place: bool = False, size_limit: int | None = None,
    file_name: str | None = None, read: ReadOptions | None = None, progress: Progress | None = None,
    confirmed: Iterable[str] | None = None,
) -> Attached:  # fmt: skip
    """Profile ``path`` and store the profile as the application's next baseline version.

    ``confirmed`` names the roles whose column a person confirmed (default: the roles
    they mapped themselves, see :func:`confirmed_roles`); the rest are stored as the
    tool's proposal, so that a wrong proposal nobody looked at never reads as confirmed.
    """
    store.get_application(slug)
    path = Path(path)
    answers = answers_of(store, slug)
    read = read or ReadOptions(fmt=fmt, mapping=mapping, entity=entity, tz=tz, size_limit=size_limit)
    sample, profile = profile_file(
        path, answers, read=read, progress=progress, display_name=file_name or path.name
    )
    data = profile.to_dict()
    kept: str | None = None
    if keep_sample:
        if sample_in_place:
            kept = str(path)
        else:
            if store.workspace is None:
                raise InputError("this store has no workspace folder to keep the sample in")
            version = len(store.list_baselines(slug, log_source)) + 1
            suffix = "".join(
                "." + safe_name(x.lstrip("."), "file extension")[:16] for x in path.suffixes[-2:]
            )
            dest = path_inside(store.workspace / "samples", slug,
                               f"{safe_name(log_source, 'log source')}-v{version}{suffix or '.log'}")  # fmt: skip
            atomic_copy(path, dest)  # a kill leaves no sample or the whole one, never a truncated file
            kept = str(dest)
    used = {k: v for k, v in sample.mapping.items() if v}
    checked = [r for r in (confirmed_roles(read) if confirmed is None else confirmed) if r in used]
    record = store.attach_baseline(
        slug, log_source, data, file_name=file_name or path.name, events=int(data.get("events") or 0),
        first=str(data.get("first") or ""), last=str(data.get("last") or ""), who=who, sample_path=kept,
        confirmed=checked,
    )  # fmt: skip
    store.save_log_mapping(slug, log_source, sample.format, used, read.entity or "", read.tz or "", checked)
    return Attached(record, check_claims(profile, answers), list(sample.warnings))


def confirmed_roles(read: ReadOptions) -> list[str]:
    """The roles a person mapped themselves: those they named a column for (with an exact mapping, every role).

    A role they removed is not in the mapping at all; a role left to the proposal is the tool's.
    """
    return [role for role, column in (read.mapping or {}).items() if column]


def confirmed_on_form(
    picked: Mapping[str, str],
    shown: Mapping[str, str],
    confirmed_before: Iterable[str] = (),
    checked_all: bool = False,
) -> list[str]:
    """The roles a person confirmed on a form that showed ``shown`` (the proposal, or the mapping used before).

    A role counts as confirmed when they ticked that every role is checked, changed its
    column, or left a column that was confirmed before; a proposal left as it was is still
    the tool's.
    """
    before = set(confirmed_before)
    return [
        role for role, column in picked.items()
        if checked_all or column != shown.get(role) or role in before
    ]  # fmt: skip


def claims_for(store: Store, slug: str, baseline: BaselineRecord) -> list[Discrepancy]:
    """Every claim from the latest interview against the baseline: contradicted, consistent or unverifiable."""
    return check_claims(Profile.from_dict(baseline.profile), answers_of(store, slug))


def list_baselines(store: Store, slug: str) -> list[BaselineRecord]:
    """The application's baselines, newest first."""
    return store.list_baselines(slug)


def get_baseline(
    store: Store, slug: str, log_source: str | None = None, version: int | None = None
) -> BaselineRecord:
    return store.get_baseline(slug, log_source, version)


def saved_mapping(store: Store, slug: str, log_source: str) -> LogMapping | None:
    """The column mapping someone confirmed for this log before, if any."""
    return store.get_log_mapping(slug, log_source)


#: Environment variable with the one folder whose files the app may read by path (off when unset).
SERVER_FILES_ENV = "WORKSHOP_SERVER_FILES_DIR"


def server_files_dir() -> Path | None:
    """The folder the operator opened for "a file on this server", or None (the default: off).

    An environment variable rather than a workspace setting, so that nobody using the app
    can widen it: only whoever starts the server can.
    """
    import os

    value = os.environ.get(SERVER_FILES_ENV, "").strip()
    if not value:
        return None
    folder = Path(value).expanduser().resolve()
    return folder if folder.is_dir() else None


def server_file(name: str) -> Path:
    """A file inside :func:`server_files_dir` named by a person, or InputError.

    Refuses anything outside the folder, also through ``..`` or symbolic links, without
    saying whether such a file exists.
    """
    from workshop.core.fileio import path_inside

    folder = server_files_dir()
    if folder is None:
        raise InputError(
            f"reading files from the server is off; the operator can enable it with {SERVER_FILES_ENV}"
        )
    text = str(name).strip()
    if not text or any(ord(ch) < 32 for ch in text):
        raise InputError("name a file inside the server folder")
    try:
        path = path_inside(folder, text)  # absolute names resolve to themselves and are checked likewise
    except InputError:
        raise InputError(f"only files inside {folder} can be read") from None
    if not path.is_file():
        raise InputError(f"only files inside {folder} can be read")
    return path
