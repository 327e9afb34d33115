"""Drills built from what the toolkit already knows about an application.

For each adopted use case: the rule's synthetic true-positive events
(:func:`workshop.rules.synthetic.true_positive`, the same events the local rule test
fires on) shown as SIEM result rows in the application's own field names, a few benign
rows drawn from the baseline (users, addresses and actions the sample saw), and six
questions whose keys come from the use-case document and the interview.

Benign look-alikes come from the interview's known noise: each batch job with an account
(a night-time import that updates hundreds of records, a monitoring login every five
minutes) and each change window (admin changes by the deployment account on Thursday
evening). There the right answer is "normal, because ...".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from workshop.baseline.profile import Profile
from workshop.core.errors import WorkshopError
from workshop.drills import text as kw
from workshop.drills.model import AlertRow, AnswerKind, Drill, DrillKind, DrillSet, Question, Topic
from workshop.drills.readiness import fingerprint
from workshop.interview.facts import BatchJob, Facts, Q
from workshop.interview.model import Application
from workshop.rules.model import RuleContext
from workshop.usecases.events import LogVocabulary
from workshop.usecases.model import UseCase
from workshop.vocab import ADOPTED, LogRole, TimeWindow

#: Matching rows shown at most; the rest are counted (a distinct-count rule needs hundreds).
MAX_ROWS = 12
BENIGN_ROWS = 3
NORMAL = "Normal: expected activity"
NOT_NORMAL = "Not normal: investigate"
#: Words of a response step that make it a containment step the SOC can take.
CONTAINMENT = ("disable", "suspend", "lock", "block", "revoke", "end its sessions", "end the session",
               "terminate", "reset", "isolate", "hold", "freeze", "remove")  # fmt: skip
#: Names the synthetic events use, replaced by ordinary-looking ones so a drill gives nothing away.
_PSEUDONYMS = ("m.turner", "a.kowalski", "j.osei", "r.hughes", "s.nakamura", "l.moreau", "d.byrne", "k.ali")
_TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_DAY_OF_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_EVERY_MINUTES = re.compile(r"every\s+(\d+)\s*min", re.IGNORECASE)


@dataclass
class DrillInputs:
    """Everything drills are made from for one application."""

    ctx: RuleContext  # the application and the answers of its latest interview
    use_cases: Sequence[UseCase]
    profile: Profile | None = None
    #: An answer as people read it (option labels, not ids); plain ``str`` of the value if not given.
    answer_text: Callable[[str], str] | None = None
    #: template id -> whether the latest local rule test fired on its true positive (playbook checklist).
    rule_fires: Mapping[str, bool] = field(default_factory=dict)

    @property
    def app(self) -> Application:
        return self.ctx.app

    @property
    def facts(self) -> Facts:
        return self.ctx.facts

    def answer(self, qid: str) -> str:
        if self.answer_text is not None:
            return self.answer_text(qid)
        v = self.ctx.values.get(qid)
        if v is None:
            return ""
        return ", ".join(map(str, v)) if isinstance(v, list) else str(v)

    @property
    def zone(self) -> str:
        hours = self.facts.business_hours(self.facts.log_timezone)
        return (hours.zone if hours else None) or self.facts.log_timezone or "UTC"

    @property
    def adopted(self) -> list[UseCase]:
        return [u for u in self.use_cases if u.status in ADOPTED and u.applies]


# --------------------------------------------------------------------------- rows


class _Rows:
    """Events as SIEM result rows: values as text, synthetic names replaced, columns in a stable order."""

    def __init__(self, vocab: LogVocabulary, zone: str) -> None:
        self.vocab = vocab
        self.zone = ZoneInfo(zone)
        self.names: dict[str, str] = {}

    def field(self, role: str) -> str:
        return self.vocab.field_for(role)

    def text(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        s = str(value)
        if s.startswith("synthetic"):
            s = self.names.setdefault(s, _PSEUDONYMS[len(self.names) % len(_PSEUDONYMS)])
        return s

    def row(self, event: Mapping[str, Any], matched: bool) -> AlertRow:
        return AlertRow(tuple((str(k), self.text(v)) for k, v in event.items()), matched)

    def columns(self, rows: Iterable[AlertRow]) -> tuple[str, ...]:
        first = [self.field(r) for r in (LogRole.TIMESTAMP, LogRole.USER, LogRole.SOURCE_IP, LogRole.ACTION,
                                         LogRole.OUTCOME)]  # fmt: skip
        seen = dict.fromkeys(name for r in rows for name, _ in r.values)
        return tuple([c for c in first if c in seen] + [c for c in seen if c not in first])


def _when(event: Mapping[str, Any], ts_field: str) -> dt.datetime | None:
    v = event.get(ts_field)
    return v if isinstance(v, dt.datetime) else None


def _local(when: dt.datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%A %d %B %Y, %H:%M") + f" ({zone})"


def _true_positive_events(uc: UseCase, ctx: RuleContext) -> list[dict[str, Any]]:
    """The rule's own true-positive events; if the rule cannot be built, one event per selection."""
    from workshop.rules.build import build_rule_set
    from workshop.rules.synthetic import BASE_TIME, true_positive
    from workshop.rules.synthplan import Skip

    try:
        return list(true_positive(uc, build_rule_set(uc, ctx), ctx).events)
    except (WorkshopError, Skip, KeyError, ValueError):
        vocab = uc.generated.vocabulary
        out = []
        for i, ev in enumerate(uc.effective().logic.selections):
            name = vocab.event(ev)
            e: dict[str, Any] = {vocab.field_for(LogRole.TIMESTAMP): BASE_TIME + dt.timedelta(minutes=10 * i),
                                 vocab.field_for(LogRole.ACTION): name.action,
                                 vocab.field_for(LogRole.USER): "synthetic.attacker"}  # fmt: skip
            if name.outcome:
                e[vocab.field_for(LogRole.OUTCOME)] = name.outcome
            out.append(e)
        return out


def _known(profile: Profile | None, role: str) -> list[str]:
    if profile is None or role not in profile.first_seen:
        return []
    return [v for v in profile.first_seen[role].names() if v]


def _benign_times(alert: dt.datetime, hours: TimeWindow | None, n: int) -> list[dt.datetime]:
    """Moments before the alert when people normally work (inside business hours, if known)."""
    out: list[dt.datetime] = []
    t = alert - dt.timedelta(minutes=17)
    for _ in range(7 * 24 * 6):
        if hours is None or hours.contains(t):
            out.append(t)
            if len(out) == n:
                break
            t -= dt.timedelta(minutes=23)
        else:
            t -= dt.timedelta(minutes=10)
    return sorted(out)


def _benign_events(inputs: DrillInputs, vocab: LogVocabulary, alert: dt.datetime,
                   avoid: set[str]) -> list[dict[str, Any]]:  # fmt: skip
    """A few rows of ordinary activity from the baseline: known users, addresses and actions."""
    users = [u for u in _known(inputs.profile, "user") if u not in avoid]
    actions = _known(inputs.profile, "action")
    sources = _known(inputs.profile, "source_ip")
    if not users or not actions:
        return []
    hours = inputs.facts.business_hours(inputs.facts.log_timezone)
    out = []
    for i, t in enumerate(_benign_times(alert, hours, BENIGN_ROWS)):
        e: dict[str, Any] = {vocab.field_for(LogRole.TIMESTAMP): t, vocab.field_for(LogRole.USER): users[i % len(users)],
                             vocab.field_for(LogRole.ACTION): actions[i % min(3, len(actions))]}  # fmt: skip
        if sources:
            e[vocab.field_for(LogRole.SOURCE_IP)] = sources[i % len(sources)]
        out.append(e)
    return out


# --------------------------------------------------------------------------- the questions


def _first_sentences(text: str, n: int = 2) -> str:
    parts = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return " ".join(parts[:n])


def _application_question(inputs: DrillInputs, qid: str) -> Question:
    app = inputs.app
    purpose = _first_sentences(inputs.facts.purpose or app.description or "")
    data = inputs.answer(Q.DATA_TYPES)
    classification = inputs.answer(Q.DATA_CLASSIFICATION)
    answer = " ".join(b for b in (
        purpose or f"{app.name} (no purpose recorded in the interview).",
        f"Criticality: {app.criticality}.",
        f"It holds {data}." if data else "",
        f"Classification: {classification}." if classification else "",
    ) if b)  # fmt: skip
    groups: list[tuple[str, ...]] = [(str(app.criticality),)]
    for item in [x.strip() for x in data.split(",") if x.strip()][:2]:
        groups.append(tuple(kw.significant(item, 2)) or (item.lower(),))
    if len(groups) < 3:
        groups += [(w,) for w in kw.significant(purpose, 3 - len(groups), exclude=kw.names_in(app.name))]
    return Question(
        id=qid, topic=Topic.APPLICATION, prompt=f"What is {app.name}, and why does it matter?", answer=answer,
        explanation="From the interview's purpose, data and the application's criticality.",
        keywords=tuple(g for g in groups if g), needed=min(2, len(groups)),
    )  # fmt: skip


def _figure(profile: Profile | None, name: str) -> Any:
    if profile is None or not name:
        return None
    try:
        return profile.figure(name)
    except KeyError:
        return None


def _num(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.0f}" if x.is_integer() or abs(x) >= 10 else f"{x:.2f}"
    return str(x)


def normal_figures(uc: UseCase, inputs: DrillInputs) -> list[str]:
    """What normal looks like for this use case: its parameters (with where each came from) and the
    baseline's figures for the same behaviour."""
    out = []
    for name, p in uc.parameters.items():
        if p.value in (None, "", []):
            continue
        label = p.description if p.description and len(p.description) <= 60 else name
        line = f"{label}: {p.shown()}{(' ' + p.unit) if p.unit else ''}"
        if p.detail:
            line += f" (set from {p.detail})"
        fig = _figure(inputs.profile, p.baseline)
        if fig is not None and not isinstance(fig, (dict, list)):
            line += f"; the baseline's {p.baseline} is {_num(fig)}"
        out.append(line + ".")
    prof = inputs.profile
    if prof is not None:
        d = prof.per_entity_day
        out.append(f"In the baseline a {prof.entity_role} makes {_num(d.p50)} events on a normal day "
                   f"(99th percentile {_num(d.p99)}, most {_num(d.max)}).")  # fmt: skip
        if prof.logins is not None:
            ld = prof.logins.per_day
            out.append(f"Logins per day: usually {_num(ld.p50)}, at most {_num(ld.max)}.")
        out.append(f"{prof.out_of_hours_share:.1%} of events fall outside business hours "
                   f"({prof.business_hours.describe()}).")  # fmt: skip
    hours = inputs.answer(Q.BUSINESS_HOURS)
    if hours:
        out.append(f"Business hours (the owners): {hours}.")
    return out


def _normal_question(qid: str, uc: UseCase, inputs: DrillInputs) -> Question:
    eff = uc.effective()
    figures = normal_figures(uc, inputs)
    return Question(
        id=qid, topic=Topic.NORMAL, prompt="Is this normal for this application?", kind=AnswerKind.CHOICE,
        choices=(NORMAL, NOT_NORMAL), correct=NOT_NORMAL,
        answer=f"Not normal: this is what the use case is for. {eff.objective or eff.strategy_abstract}",
        explanation=" ".join(figures) or "No baseline figures recorded for this use case.",
    )  # fmt: skip


def _text_question(qid: str, topic: str, prompt: str, answer: str, explanation: str,
                   groups: Sequence[Sequence[str]], needed: int | None = None) -> Question:  # fmt: skip
    keywords = tuple(dict.fromkeys(tuple(g) for g in groups if g))
    return Question(id=qid, topic=topic, prompt=prompt, answer=answer, explanation=explanation,
                    keywords=keywords, needed=max(1, min(needed or 2, len(keywords))))  # fmt: skip


def containment_step(uc: UseCase) -> str:
    """The response step that contains the threat (disable, block, revoke ...), or ""."""
    for step in uc.effective().response:
        if _containment_words(step):
            return step
    return ""


def _containment_words(step: str) -> list[str]:
    low = step.lower()
    words = kw.words(low)
    return [w for w in CONTAINMENT if kw.matches(w, words, low)]


def _contacts_for(when: dt.datetime, inputs: DrillInputs) -> tuple[str, list[tuple[str, ...]], str]:
    """Who to call at the alert's hour: the answer, keyword groups, and why."""
    facts = inputs.facts
    hours = facts.business_hours(facts.log_timezone)
    contacts = facts.contacts
    in_hours = hours is not None and hours.contains(when)
    ooh = facts.out_of_hours_contact
    if in_hours or not ooh:
        chosen = contacts[:1]
        why = ("The alert came in business hours: the first contact of the use case, the service owner."
               if in_hours else "No out-of-hours contact was recorded: the service owner, and record that gap.")  # fmt: skip
        answer = "; ".join(c.line() for c in chosen) or "No contact was recorded in the interview."
    else:
        low = ooh.lower()
        chosen = [
            c for c in contacts if (c.name and c.name.lower() in low) or (c.role and c.role.lower() in low)
        ]
        why = f"The alert came outside business hours ({hours.describe() if hours else 'not recorded'}): the out-of-hours route."
        answer = ooh
    groups = [
        tuple(dict.fromkeys(kw.names_in(c.name) + ([c.role.lower()] if c.role else []))) for c in chosen
    ]
    if not groups:
        groups = [(w,) for w in kw.significant(answer, 2)]
    return answer, [g for g in groups if g], why


def _closing(uc: UseCase) -> tuple[str, list[tuple[str, ...]]]:
    eff = uc.effective()
    fp = eff.false_positives[0] if eff.false_positives else ""
    last = eff.response[-1] if eff.response else ""
    parts = []
    if fp:
        parts.append(f"Close as a false positive when it is confirmed that: {fp}")
    if last:
        parts.append(f"Otherwise close only once this is done: {last}")
    groups: list[tuple[str, ...]] = [(w,) for w in kw.significant(fp, 3)]
    groups += [(w,) for w in kw.significant(last, 2)]
    return " ".join(parts) or "Close when the activity is explained and recorded.", groups


def _true_positive_questions(
    uc: UseCase, inputs: DrillInputs, alert: dt.datetime, prefix: str
) -> tuple[Question, ...]:
    eff = uc.effective()
    triage = (
        eff.response[0]
        if eff.response
        else "Confirm with the service owner whether the activity is expected."
    )
    contain = containment_step(uc)
    may_disable = inputs.facts.can_disable_accounts
    if contain:
        c_expl = "The use case's response step that contains the threat."
        if may_disable is True:
            c_expl += " The owners agreed that the SOC may disable accounts directly."
        elif may_disable is False:
            c_expl += " The owners said the SOC may NOT disable accounts itself: ask them to."
    else:
        contain = "None of the response steps contains the threat: call the service owner before acting."
        c_expl = "No containment step is written for this use case."
    contain_words = _containment_words(contain)[:1] or kw.significant(contain, 1)
    who, who_groups, who_why = _contacts_for(alert, inputs)
    close, close_groups = _closing(uc)
    return (
        _application_question(inputs, f"{prefix}app"),
        _normal_question(f"{prefix}normal", uc, inputs),
        _text_question(f"{prefix}triage", Topic.TRIAGE, "What is your first triage step?", triage,
                       "The first response step of the use case.", [(w,) for w in kw.significant(triage, 5)]),
        _text_question(f"{prefix}contact", Topic.CONTACT, f"Who do you call at this hour ({_local(alert, inputs.zone)})?",
                       who, who_why, who_groups, needed=1),
        _text_question(f"{prefix}contain", Topic.CONTAINMENT, "Which containment step may you take yourself?",
                       contain, c_expl, [tuple(contain_words)], needed=1),
        _text_question(f"{prefix}close", Topic.CLOSE, "When do you close it?", close,
                       "From the use case's false positives and its last response step.", close_groups),
    )  # fmt: skip


# --------------------------------------------------------------------------- drills


def _true_positive_drill(uc: UseCase, inputs: DrillInputs) -> Drill:
    vocab = uc.generated.vocabulary
    rows_of = _Rows(vocab, inputs.zone)
    ts = vocab.field_for(LogRole.TIMESTAMP)
    events = _true_positive_events(uc, inputs.ctx)
    events.sort(key=lambda e: _when(e, ts) or dt.datetime.min.replace(tzinfo=dt.UTC))
    alert = next(
        (w for w in (_when(e, ts) for e in reversed(events)) if w), dt.datetime(2024, 3, 6, 12, tzinfo=dt.UTC)
    )
    hidden = max(0, len(events) - MAX_ROWS)
    shown = events[: MAX_ROWS - 3] + events[-3:] if hidden else events
    actors = {str(e.get(vocab.field_for(LogRole.USER))) for e in events}
    benign = _benign_events(inputs, vocab, alert, actors)
    all_events = sorted([(e, True) for e in shown] + [(e, False) for e in benign],
                        key=lambda x: _when(x[0], ts) or alert)  # fmt: skip
    rows = tuple(rows_of.row(e, m) for e, m in all_events)
    prefix = f"{inputs.app.slug}:{uc.template_id}"
    return Drill(
        id=prefix, application=inputs.app.slug, application_name=inputs.app.name, use_case=uc.template_id,
        use_case_title=uc.title, kind=DrillKind.TRUE_POSITIVE, title=uc.title,
        situation=(f"The SIEM raised \"{uc.title}\" ({uc.priority}) on {inputs.app.name} at "
                   f"{_local(alert, inputs.zone)}. The search behind the alert returned these rows"
                   + (f" ({hidden} more matching events not shown)" if hidden else "") + "."),
        alert_time=alert.astimezone(ZoneInfo(inputs.zone)).isoformat(), columns=rows_of.columns(rows), rows=rows,
        questions=_true_positive_questions(uc, inputs, alert, prefix + ":"), hidden_rows=hidden,
        fingerprint=fingerprint(uc),
    )  # fmt: skip


# -- benign look-alikes -----------------------------------------------------------------

#: Words of a batch job's name -> the events it writes, most likely first.
_JOB_EVENTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("login", "logon", "monitor", "check"), ("authn_success", "session_start")),
    (("import", "sync", "update", "load"), ("bulk_update", "user_updated", "record_view")),
    (("export", "journal", "file", "transfer", "report", "extract"), ("data_export",)),
    (("payment", "bacs", "pay"), ("payment_created", "data_export")),
)


def _job_events(job: BatchJob) -> tuple[str, ...]:
    name = job.name.lower()
    for words, events in _JOB_EVENTS:
        if any(w in name for w in words):
            return events
    return ("any_event",)


def _use_case_for(events: Sequence[str], adopted: Sequence[UseCase], taken: set[str],
                  allowlist: str) -> UseCase | None:  # fmt: skip
    """The adopted use case whose alert the activity resembles: one selecting the same events,
    preferring one that excludes the allowlist the activity is on, and one not used yet."""

    def rank(u: UseCase) -> tuple[int, int, int]:
        logic = u.effective().logic
        sel = logic.selections
        hit = next((i for i, e in enumerate(events) if e in sel), len(events))
        return (hit, 0 if allowlist in logic.exclude else 1, 1 if u.template_id in taken else 0)

    ranked = sorted(adopted, key=rank)
    if not ranked or rank(ranked[0])[0] == len(events):
        return None
    return ranked[0]


def _schedule_time(schedule: str, day: dt.date, zone: str) -> tuple[list[dt.datetime], str]:
    """When a job's rows happen (a day at its HH:MM; every N minutes: a few runs) and the schedule's words."""
    tz = ZoneInfo(zone)
    nth = _DAY_OF_MONTH.search(schedule)
    if nth and 1 <= int(nth.group(1)) <= 28:
        day = day.replace(day=int(nth.group(1)))
    m = _TIME.search(schedule)
    hour, minute = (int(m.group(1)), int(m.group(2))) if m else (2, 0)
    start = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
    every = _EVERY_MINUTES.search(schedule)
    if every:
        step = int(every.group(1))
        start = dt.datetime(day.year, day.month, day.day, 3, 0, tzinfo=tz)  # at night: when it looks odd
        return [start + dt.timedelta(minutes=step * i) for i in range(4)], schedule
    return [start + dt.timedelta(seconds=37 * i + 5) for i in range(4)], schedule


def _lookalike(inputs: DrillInputs, uc: UseCase, n: int, rows_of: _Rows, events: Sequence[Mapping[str, Any]], *,
               title: str, situation: str, when: dt.datetime, answer: str, why: str,
               groups: Sequence[Sequence[str]], unusual: str) -> Drill:  # fmt: skip
    """A benign look-alike drill: the rows, and questions whose right answer is "normal, because ..."."""
    prefix = f"{inputs.app.slug}:{uc.template_id}:lookalike-{n}"
    rows = tuple(rows_of.row(e, True) for e in events)
    questions = (
        _application_question(inputs, f"{prefix}:app"),
        Question(id=f"{prefix}:normal", topic=Topic.NORMAL, prompt="Is this normal for this application?",
                 kind=AnswerKind.CHOICE, choices=(NORMAL, NOT_NORMAL), correct=NORMAL,
                 answer=f"Normal, because {answer}", explanation=why),
        _text_question(f"{prefix}:why", Topic.WHY_NORMAL, "Why is it normal (or not)? Name what explains it.",
                       f"Normal, because {answer}", why, groups, needed=1),
        _text_question(f"{prefix}:close", Topic.CLOSE, "When would the same rows not be normal, and when do you close it?",
                       f"Close it as expected activity, noting what explains it. It would not be normal {unusual}.",
                       "A known job or window is normal only as recorded: same account, same host, same time.",
                       [("close", "closing", "expected", "benign"), ("host", "account", "time", "hour", "schedule", "window")]),
    )  # fmt: skip
    return Drill(
        id=prefix, application=inputs.app.slug, application_name=inputs.app.name, use_case=uc.template_id,
        use_case_title=uc.title, kind=DrillKind.LOOKALIKE, title=title, situation=situation,
        alert_time=when.isoformat(), columns=rows_of.columns(rows), rows=rows, questions=questions,
        fingerprint=fingerprint(uc),
    )  # fmt: skip


def _batch_lookalike(job: BatchJob, uc: UseCase, events: Sequence[str], inputs: DrillInputs, n: int) -> Drill:
    vocab = uc.generated.vocabulary
    rows_of = _Rows(vocab, inputs.zone)
    event = next((e for e in events if e in uc.effective().logic.selections), events[0])
    name = vocab.event(event)
    times, schedule = _schedule_time(job.schedule, dt.date(2024, 3, 7), inputs.zone)
    evs = []
    for i, t in enumerate(times):
        e: dict[str, Any] = {vocab.field_for(LogRole.TIMESTAMP): t, vocab.field_for(LogRole.USER): job.account,
                             vocab.field_for(LogRole.ACTION): name.action}  # fmt: skip
        if job.host:
            e[vocab.field_for(LogRole.SOURCE_IP)] = job.host
        if name.outcome:
            e[vocab.field_for(LogRole.OUTCOME)] = name.outcome
        if event in ("bulk_update", "data_export"):
            e[vocab.field_for(LogRole.RECORDS)] = 180 + 7 * i
        evs.append(e)
    where = f" from {job.host}" if job.host else ""
    return _lookalike(
        inputs, uc, n, rows_of, evs, title=f"{job.account} at {times[0].strftime('%H:%M')}",
        situation=(f"A colleague escalates these rows from {inputs.app.name}: {job.account} doing "
                   f"\"{name.action}\" at {_local(times[0], inputs.zone)}. It looks like \"{uc.title}\". Is it an incident?"),
        when=times[0],
        answer=f"this is the {job.name} batch job ({schedule or 'schedule not recorded'}), run as {job.account}{where}.",
        why=(f"The interview lists the batch job {job.name}: {schedule}, account {job.account}{where}. "
             "Known service accounts and batch hosts are on the rule's allowlist."),
        groups=[tuple(dict.fromkeys([job.account.lower(), *kw.significant(job.name, 3)]))],
        unusual=f"from another host than {job.host or 'its own'}, as another account, or at another time than its schedule",
    )  # fmt: skip


def _window_lookalike(window: TimeWindow, uc: UseCase, inputs: DrillInputs, n: int) -> Drill:
    vocab = uc.generated.vocabulary
    rows_of = _Rows(vocab, inputs.zone)
    zone = window.zone
    tz = ZoneInfo(zone)
    day = dt.date(2024, 3, 4)
    while True:  # the first day of the window on or after a Monday
        if window.contains(dt.datetime(day.year, day.month, day.day, window.start_minute // 60,
                                       window.start_minute % 60, tzinfo=tz) + dt.timedelta(minutes=20)):  # fmt: skip
            break
        day += dt.timedelta(days=1)
        if day > dt.date(2024, 3, 11):
            break
    start = dt.datetime(day.year, day.month, day.day, window.start_minute // 60, window.start_minute % 60,
                        tzinfo=tz) + dt.timedelta(minutes=20)  # fmt: skip
    deploy = inputs.facts.deploy_accounts
    actor = deploy[0] if deploy else (_known(inputs.profile, "user") or ["app.admin"])[0]
    selections = uc.effective().logic.selections or ("admin_action",)
    evs = []
    for i in range(4):
        name = vocab.event(selections[i % len(selections)])
        e: dict[str, Any] = {vocab.field_for(LogRole.TIMESTAMP): start + dt.timedelta(minutes=6 * i),
                             vocab.field_for(LogRole.USER): actor, vocab.field_for(LogRole.ACTION): name.action}  # fmt: skip
        if name.outcome:
            e[vocab.field_for(LogRole.OUTCOME)] = name.outcome
        evs.append(e)
    who = f"the deployment account {actor}" if deploy else actor
    return _lookalike(
        inputs, uc, n, rows_of, evs, title=f"Changes at {start.strftime('%A %H:%M')}",
        situation=(f"{inputs.app.name} shows configuration and admin changes by {actor} at "
                   f"{_local(start, zone)}. It looks like \"{uc.title}\". Is it an incident?"),
        when=start,
        answer=f"it falls in the change window ({window.text()}) and was made by {who}; check the change ticket.",
        why=(f"The interview records the change window {window.text()}"
             + (f" and the deployment accounts {', '.join(deploy)}" if deploy else "") + "."),
        groups=[("change window", "change", "window", "maintenance", "release", "deploy")],
        unusual="outside the window, by a person's own account, or without a change ticket",
    )  # fmt: skip


def lookalikes(inputs: DrillInputs) -> list[Drill]:
    """Benign activity that looks alarming: the batch jobs with an account, and the change windows."""
    adopted = inputs.adopted
    taken: set[str] = set()
    out: list[Drill] = []
    for job in inputs.facts.batch_jobs:
        if not job.account:
            continue
        events = _job_events(job)
        uc = _use_case_for(events, adopted, taken, "service_accounts")
        if uc is None:
            continue
        taken.add(uc.template_id)
        out.append(_batch_lookalike(job, uc, events, inputs, len(out) + 1))
    for window in inputs.facts.change_windows:
        uc = _use_case_for(
            ("config_change", "admin_action", "privilege_grant"), adopted, taken, "change_windows"
        )
        if uc is None:
            continue
        taken.add(uc.template_id)
        out.append(_window_lookalike(window, uc, inputs, len(out) + 1))
    return out


def drills_for(inputs: DrillInputs, use_cases: Iterable[str] | None = None) -> list[Drill]:
    """The drills of one application: a true-positive drill per adopted use case, then the
    look-alikes (``use_cases``: only drills on these template ids)."""
    wanted = set(use_cases) if use_cases is not None else None
    out = [_true_positive_drill(uc, inputs) for uc in inputs.adopted]
    out += lookalikes(inputs)
    return [d for d in out if wanted is None or d.use_case in wanted]


def drill_set(
    inputs: Iterable[DrillInputs], use_cases: Iterable[str] | None = None, generated_at: str = ""
) -> DrillSet:
    chosen = list(use_cases) if use_cases is not None else None
    drills: list[Drill] = []
    for i in inputs:
        drills += drills_for(i, chosen)
    return DrillSet(tuple(drills), generated_at)
