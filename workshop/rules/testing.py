"""Run every rule locally: does it fire on its own attack, how often on the real log?

Each use case's Sigma rules run in an in-memory SQLite database through pySigma's
SQLite backend (whose correlation support uses sliding windows), against

* synthetic true-positive events generated from the use case (:mod:`.synthetic`);
* the variants that try the ways round the rule the template names, each reported
  as caught or missed, so the Blind Spots section is written from evidence;
* the application's log sample when there is one, for the alert volume per day.

Three things Sigma cannot say are done here in Python, on the rows the Sigma rule
selected in SQLite: time windows (events inside business hours or a change window
are removed first), first-seen (a value not seen for its group within the
look-back), and absence (a window with fewer events than the threshold).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workshop.core.errors import InputError, LoadError, Location
from workshop.interview.model import utcnow
from workshop.rules.build import build_rule_set, vocabulary_of
from workshop.rules.evaluate import EventTable, _convert, _fields_used, _quote
from workshop.rules.evasions import AttackerEvasion, attacker_evasions
from workshop.rules.files import with_documents
from workshop.rules.model import RuleContext, RuleSet
from workshop.rules.synthetic import NotGenerated, SyntheticCase, evasion_cases, true_positive
from workshop.usecases.model import UseCase
from workshop.usecases.readiness import Readiness
from workshop.vocab import NUMERIC_ROLES

if TYPE_CHECKING:

    from workshop.usecases.events import LogVocabulary

#: What a rule's test can come to (a blocked rule is untestable: never a pass).
OUTCOMES = ("pass", "fail", "error", "untestable")
#: A row of a query's result, as sqlite3 returns it.
Row = tuple[Any, ...]


# --------------------------------------------------------------------------- results


@dataclass
class CaseResult:
    name: str
    kind: str
    description: str
    alerts: int
    expect_alert: bool

    @property
    def caught(self) -> bool:
        return self.alerts > 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseResult:
        alerts = data.get("alerts")
        if not isinstance(alerts, int):
            alerts = 1 if data.get("caught") else 0
        return cls(str(data.get("id") or ""), str(data.get("kind") or ""), str(data.get("description") or ""),
                   alerts, data.get("kind") == "true_positive")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.name,
            "kind": self.kind,
            "description": self.description,
            "caught": self.caught,
            "alerts": self.alerts,
        }


@dataclass
class RuleTestResult:
    """One use case's rule, tested."""

    use_case: str
    rule_id: str
    title: str
    logic: str
    fires_on_true_positive: bool = False
    true_positive_alerts: int = 0
    true_positive_events: int = 0
    alerts_on_sample: int | None = None
    alerts_per_day: float | None = None
    sample_days: float | None = None
    evasion_results: list[CaseResult] = field(default_factory=list)
    evasions_not_tested: list[NotGenerated] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    #: The rule's readiness when it was tested (:class:`workshop.usecases.readiness.Readiness`).
    readiness: Readiness = field(default_factory=Readiness)
    #: Set for a blocked rule: "untestable: event name assumed, ..." (its true positive is not run:
    #: synthetic events of an unconfirmed vocabulary would only prove the rule matches its own guess).
    untestable: str = ""
    #: Sample coverage: rows of the sample each selected event matches (event id -> rows), and
    #: rows holding a value of each field the rule reads (field -> rows).
    sample_events: dict[str, int] = field(default_factory=dict)
    sample_fields: dict[str, int] = field(default_factory=dict)
    #: Evasions a real attacker would try, with how to test them by hand (not run here).
    attacker_evasions: list[AttackerEvasion] = field(default_factory=list)
    # Where a recorded result came from (set when read back from the workspace).
    ran_at: str = ""
    who: str = ""
    sample: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleTestResult:
        """A recorded result (as :meth:`to_dict` wrote it, plus ``ran_at``, ``who``, ``sample``)."""

        def number(key: str) -> Any:
            v = data.get(key)
            return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

        raw_rule = data.get("rule")
        rule: Mapping[str, Any] = raw_rule if isinstance(raw_rule, Mapping) else {}
        return cls(
            use_case=str(data.get("use_case") or ""),
            rule_id=str(data.get("rule_id") or rule.get("id") or ""),
            title=str(rule.get("title") or ""),
            logic=str(data.get("logic") or ""),
            fires_on_true_positive=bool(data.get("fires_on_true_positive")),
            true_positive_alerts=int(number("true_positive_alerts") or 0),
            true_positive_events=int(number("true_positive_events") or 0),
            alerts_on_sample=number("alerts_on_sample"),
            alerts_per_day=number("alerts_per_day"),
            sample_days=number("sample_days"),
            evasion_results=[CaseResult.from_dict(e) for e in data.get("evasion_results") or []
                             if isinstance(e, Mapping)],
            evasions_not_tested=[NotGenerated.from_dict(e) for e in data.get("evasions_not_tested") or []
                                 if isinstance(e, Mapping)],
            notes=[str(n) for n in data.get("notes") or []],
            error=str(data.get("error") or ""),
            readiness=Readiness.from_dict(data.get("readiness") if isinstance(data.get("readiness"), Mapping) else None),
            untestable=str(data.get("untestable") or ""),
            sample_events={str(k): int(v) for k, v in (data.get("sample_events") or {}).items()
                           if isinstance(v, int)},
            sample_fields={str(k): int(v) for k, v in (data.get("sample_fields") or {}).items()
                           if isinstance(v, int)},
            attacker_evasions=[AttackerEvasion.from_dict(e) for e in data.get("attacker_evasions") or []
                               if isinstance(e, Mapping)],
            ran_at=str(data.get("ran_at") or ""),
            who=str(data.get("who") or ""),
            sample=str(data.get("sample") or ""),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        out = self._result_dict()
        for key in ("ran_at", "who", "sample"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def _result_dict(self) -> dict[str, Any]:
        return {
            "rule": {"id": self.rule_id, "title": self.title},
            "rule_id": self.rule_id,
            "use_case": self.use_case,
            "logic": self.logic,
            "fires_on_true_positive": self.fires_on_true_positive,
            "true_positive_alerts": self.true_positive_alerts,
            "true_positive_events": self.true_positive_events,
            "alerts_on_sample": self.alerts_on_sample,
            "alerts_per_day": self.alerts_per_day,
            "sample_days": self.sample_days,
            "evasion_results": [e.to_dict() for e in self.evasion_results],
            "evasions_not_tested": [e.to_dict() for e in self.evasions_not_tested],
            "notes": list(self.notes),
            "error": self.error,
            "readiness": self.readiness.to_dict(),
            "untestable": self.untestable,
            "outcome": self.outcome,
            "sample_events": dict(self.sample_events),
            "sample_fields": dict(self.sample_fields),
            "attacker_evasions": [e.to_dict() for e in self.attacker_evasions],
        }

    @property
    def ready(self) -> bool:
        return self.readiness.ready and not self.untestable

    @property
    def outcome(self) -> str:
        """``untestable`` (a blocked rule: never a pass), ``error``, ``pass`` or ``fail``."""
        if self.untestable:
            return "untestable"
        if self.error:
            return "error"
        return "pass" if self.fires_on_true_positive else "fail"

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"


@dataclass
class TestReport:
    """A test run of an application's rules."""

    __test__ = False  # not a pytest class

    application: str
    results: list[RuleTestResult]
    sample: dict[str, Any] | None = None
    ran_at: str = ""

    @property
    def ok(self) -> bool:
        """Every ready rule fires on its own true-positive events (blocked rules are untestable,
        reported as such, and neither pass nor fail the run)."""
        return not self.failing

    @property
    def failing(self) -> list[RuleTestResult]:
        """Ready rules that miss their own true positive (or could not run)."""
        return [r for r in self.results if r.outcome in ("fail", "error")]

    @property
    def untestable(self) -> list[RuleTestResult]:
        return [r for r in self.results if r.outcome == "untestable"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "application": self.application,
            "ran_at": self.ran_at,
            "ok": self.ok,
            "counts": {o: sum(1 for r in self.results if r.outcome == o) for o in OUTCOMES},
            "sample": self.sample,
            "rules": [r.to_dict() for r in self.results],
        }


# --------------------------------------------------------------------------- the event table


def count_alerts(rs: RuleSet, events: EventTable, evaluate_from: dt.datetime | None = None) -> int:
    """How many alerts the rule set raises on these events (how it counts is the logic
    type's: :meth:`workshop.rules.logic.LogicHandler.count_alerts`)."""
    from workshop.rules.logic import logic_handler

    events.ensure(_fields_used(rs))
    return logic_handler(rs.logic).count_alerts(rs, events, evaluate_from)


def _table(rs: RuleSet, case: SyntheticCase) -> EventTable:
    numeric = {rs.fields[r] for r in NUMERIC_ROLES if r in rs.fields}
    return EventTable(case.events, rs.fields.get("timestamp") or "timestamp", numeric)


def run_case(rs: RuleSet, case: SyntheticCase) -> CaseResult:
    table = _table(rs, case)
    try:
        alerts = count_alerts(rs, table, case.evaluate_from)
    finally:
        table.close()
    return CaseResult(case.name, case.kind, case.description, alerts, case.expect_alert)


def test_rule_set(
    uc: UseCase, rs: RuleSet, ctx: RuleContext, sample: EventTable | None = None, built: RuleSet | None = None
) -> RuleTestResult:
    """Test one use case's rules: true positive, evasions, sample. ``rs`` is what runs (it
    may come from edited files); ``built`` the toolkit's own rules for the same use case,
    which say what the synthetic events must look like (default: ``rs``)."""
    from workshop.rules.logic import logic_handler

    built = built or rs
    res = RuleTestResult(rs.use_case, rs.rule_id, rs.title, rs.logic, readiness=built.readiness)
    res.attacker_evasions = attacker_evasions(built)
    if not built.readiness.ready:
        res.untestable = built.readiness.untestable()
        res.notes.append(
            "Not tested on synthetic events: "
            + " ".join(r.text for r in built.readiness.reasons)
            + " Events made from an unconfirmed vocabulary would only show that the rule matches its own "
            "guess, so this rule is reported untestable, never as passing."
        )
    try:
        if res.untestable:
            raise _Untestable
        tp = true_positive(uc, built, ctx)
        res.true_positive_events = len(tp.events)
        tp_result = run_case(rs, tp)
        res.true_positive_alerts = tp_result.alerts
        res.fires_on_true_positive = tp_result.caught
        if not tp_result.caught:
            res.notes.append(
                f"The rule does not fire on {len(tp.events)} synthetic events of the behaviour it is meant to catch: "
                "check the action and outcome values, the field names and the threshold against the use case."
            )
        cases, skipped = evasion_cases(uc, built, ctx)
        res.evasions_not_tested = skipped
        for case in cases:
            res.evasion_results.append(run_case(rs, case))
    except _Untestable:
        pass
    except Exception as exc:  # a rule pySigma or SQLite refuses is a result, not a crash
        res.error = f"{type(exc).__name__}: {str(exc).split(' (while ')[0]}"
        res.notes.append("The rule could not be run: " + res.error)
        return res
    if rs.windows:
        res.notes.append(
            "Time windows ("
            + "; ".join(f"{w.label} {w.text()}" for w in rs.windows)
            + ") are applied by the "
            "toolkit before the rule runs, as each SIEM conversion must."
        )
    logic = logic_handler(rs.logic)
    res.notes.extend(logic.test_notes(rs))
    if sample is not None:
        try:
            res.sample_events, res.sample_fields = sample_coverage(rs, sample)
            for ev, n in res.sample_events.items():
                if not n:
                    res.notes.append(f"The sample holds no '{ev}' event the rule selects: the sample says nothing "
                                     "about how this rule behaves on real traffic.")  # fmt: skip
        except Exception as exc:
            res.notes.append(f"The sample coverage could not be measured: {type(exc).__name__}: {exc}")
        try:
            evaluate_from = logic.sample_evaluated_from(rs, sample, res.notes)
            res.alerts_on_sample = count_alerts(rs, sample, evaluate_from)
            days = _sample_days(sample)
            res.sample_days = round(days, 2)
            res.alerts_per_day = round(res.alerts_on_sample / days, 2) if days else None
        except Exception as exc:
            res.notes.append(f"The rule could not be run on the sample: {type(exc).__name__}: {exc}")
    return res


test_rule_set.__dict__["__test__"] = False  # a library function, not a pytest test


class _Untestable(Exception):
    """A blocked rule: its synthetic cases are not run."""


def sample_coverage(rs: RuleSet, sample: EventTable) -> tuple[dict[str, int], dict[str, int]]:
    """Which of the rule's events and fields the sample holds: rows matching each selected
    event's action and outcome (before any filter or window), and rows with a value in each
    field the rule reads."""
    events: dict[str, int] = {}
    for d in rs.selections:
        sel = (d.data.get("detection") or {}).get("selection")
        if not isinstance(sel, dict) or not d.event:
            continue
        doc = {"title": "coverage", "logsource": d.data.get("logsource") or {"category": "application"},
               "detection": {"selection": sel, "condition": "selection"}}  # fmt: skip
        sample.ensure(str(k).split("|")[0] for k in sel)
        sql = _convert(rs, [doc], "logs", sample.ts_field)[0]
        events[d.event] = events.get(d.event, 0) + len(sample.query(sql)[1])
    fields: dict[str, int] = {}
    for name in sorted(set(rs.fields.values())):
        if name.lower() in sample.columns:
            fields[name] = int(sample.db.execute(f"SELECT COUNT({_quote(name)}) FROM logs").fetchone()[0])
        else:
            fields[name] = 0
    return events, fields


def _sample_days(sample: EventTable) -> float:
    if sample.first is None or sample.last is None:
        return 0.0
    seconds = max((sample.last - sample.first).total_seconds(), 3600.0)
    return seconds / 86400


# --------------------------------------------------------------------------- samples


def load_log(
    path: str | Path, rs_fields: dict[str, str], ctx: RuleContext, vocab: LogVocabulary | None = None
) -> tuple[EventTable, dict[str, Any]]:
    """The application's log sample (CSV or JSONL) as an event table whose columns are the
    application's field names. Read with :mod:`workshop.baseline` (which reads the roles it
    knows); without it, plainly with the csv and json modules."""
    from workshop.usecases.events import vocabulary

    vocab = vocab or ctx.vocab or vocabulary(ctx.values)
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no log sample at {p}")
    tz = ctx.facts.log_timezone or "UTC"
    ts_field = rs_fields.get("timestamp") or vocab.field_for("timestamp")
    numeric = {vocab.field_for(r) for r in NUMERIC_ROLES}
    summary: dict[str, Any] = {"file": p.name}
    try:
        from workshop.baseline import inspect_sample, load_sample
        from workshop.baseline.mapping import ROLES as SAMPLE_ROLES
    except ImportError:  # pragma: no cover - the baseline package ships with the toolkit
        events = _read_plain(p, ts_field)
        summary["reader"] = "plain"
    else:
        columns = inspect_sample(p).columns
        mapping = {role: vocab.field_for(role) for role in SAMPLE_ROLES if vocab.field_for(role) in columns}
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(tz)
        except Exception:
            tz = "UTC"
        loaded = load_sample(p, mapping=mapping, default_tz=tz, skip_bad_rows=True)
        df = loaded.df.rename(columns={role: vocab.field_for(role) for role in loaded.df.columns})
        ts = df[ts_field] if ts_field in df.columns else None
        records = []
        cols = list(df.columns)
        for values in df.itertuples(index=False, name=None):
            row = {}
            for c, v in zip(cols, values, strict=True):
                if v is None or (isinstance(v, float) and v != v):
                    continue
                if c == ts_field and ts is not None:
                    row[c] = v.to_pydatetime() if hasattr(v, "to_pydatetime") else v
                else:
                    row[c] = v if isinstance(v, (int, float)) else str(v)
            records.append(row)
        events = records
        unread = sorted(set(rs_fields.values()) - set(cols) - {ts_field})
        summary.update(loaded.summary())
        summary["reader"] = "workshop.baseline"
        if unread:
            summary["fields_not_read"] = unread
    table = EventTable(events, ts_field, numeric)
    summary.update(
        {
            "events": table.count,
            "first": table.first.isoformat() if table.first else None,
            "last": table.last.isoformat() if table.last else None,
            "days": round(_sample_days(table), 2),
        }
    )
    return table, summary


def _read_plain(p: Path, ts_field: str) -> list[dict[str, Any]]:
    text = p.read_text(encoding="utf-8-sig")
    if p.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LoadError(f"not a JSON object: {exc.msg}", Location(str(p), n)) from None
            if isinstance(obj, dict):
                out.append(obj)
        return out
    return list(csv.DictReader(text.splitlines()))


# --------------------------------------------------------------------------- the application


def test_use_cases(
    ucs: list[UseCase],
    ctx: RuleContext,
    log: str | Path | None = None,
    edited: dict[str, list[dict[str, Any]]] | None = None,
) -> TestReport:
    """Test the rules of these use cases (``edited``: Sigma documents from files, by use-case
    id, that run instead of the built rules) on synthetic events and the log sample."""
    edited = edited or {}
    unknown = sorted(set(edited) - {uc.template_id for uc in ucs})
    if unknown:
        raise InputError(f"rule files for use cases not tested here: {', '.join(unknown)}")
    built = {uc.template_id: build_rule_set(uc, ctx) for uc in ucs}
    sample = None
    summary = None
    if log is not None:
        fields: dict[str, str] = {}
        for rs in built.values():
            fields.update(rs.fields)
        vocab = vocabulary_of(ucs[0], ctx) if ucs else None
        sample, summary = load_log(log, fields, ctx, vocab)
    results = []
    try:
        for uc in ucs:
            rs = built[uc.template_id]
            runs = with_documents(rs, edited[uc.template_id]) if uc.template_id in edited else rs
            results.append(test_rule_set(uc, runs, ctx, sample, built=rs))
    finally:
        if sample is not None:
            sample.close()
    return TestReport(ctx.slug, results, summary, utcnow().isoformat())


test_use_cases.__dict__["__test__"] = False  # a library function, not a pytest test
