"""Thresholds grounded in data: baseline figures proposed for use-case parameters.

A template names the baseline figure that can inform each parameter
(``baseline: failures_per_source_day.p99``). Here every such parameter of an
application's use cases gets one proposal per method (percentile with a margin,
median + k·MAD, mean + k·stdev with a minimum sample count), each back-tested on the
stored distribution: how many alerts per day it would have raised on the sample.
Applying a proposal records where the value came from (method, baseline version and
the sample's time range) in the use case's history.

Counted things are counted in whole numbers: a proposal for an integer parameter is the
smallest whole count above the figure (0.41 failures becomes "at least 1"), back-tested
as the rule counts (at least N). The current value is back-tested the same way, so each
proposal is compared with what the rule raises today. A proposal below the value the
answers gave (``max(auth.lockout_threshold - 1, 3)``: a floor someone reasoned about) is
flagged, never applied silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from workshop.baseline import Profile, ThresholdProposal, propose_thresholds
from workshop.baseline.figures import Distribution
from workshop.baseline.stats import backtest
from workshop.core.errors import InputError
from workshop.store import Store
from workshop.store.baseline_store import BaselineRecord
from workshop.usecases.model import UseCase
from workshop.vocab import DROPPED, duration_seconds, is_duration

STATS = ("p50", "p90", "p95", "p99", "max", "mean")
#: More alerts a day than this from one rule on the sample, and the rule is shown as noisy.
ALERT_BUDGET_PER_DAY = 5.0
METHODS = ("p99+20%", "mad3", "stdev3")


@dataclass
class ParameterProposal:
    use_case: str
    title: str
    parameter: str
    description: str
    current: Any
    current_source: str
    figure: str
    proposals: list[ThresholdProposal] = field(default_factory=list)
    note: str = ""
    #: Alerts the current value raises on the sample (None: no distribution to test it on).
    current_alerts_total: int | None = None
    current_alerts_per_day: float | None = None
    #: method -> why applying that proposal needs a second look (below a floor from the answers).
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def floor(self) -> float | None:
        """The value the answers gave, when they gave it: proposals below it are flagged."""
        if self.current_source == "answer" and isinstance(self.current, (int, float)):
            return float(self.current)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "use_case": self.use_case,
            "title": self.title,
            "parameter": self.parameter,
            "description": self.description,
            "current": self.current,
            "current_source": self.current_source,
            "figure": self.figure,
            "note": self.note,
            "current_alerts_total": self.current_alerts_total,
            "current_alerts_per_day": self.current_alerts_per_day,
            "warnings": dict(self.warnings),
            "proposals": [p.to_dict() for p in self.proposals],
        }


def distribution(
    profile: Profile, baseline_name: str, action: str | None = None
) -> tuple[Distribution | None, str]:
    """The distribution a baseline name points at (``per_entity_day.p99`` -> per_entity_day).

    For per-entity-day counts, the use case's own event is used when the sample has it
    (payee changes per user per day, not all events per user per day).
    """
    parts = baseline_name.split(".")
    base = ".".join(parts[:-1]) if parts[-1] in STATS else baseline_name
    actions = profile.to_dict(histograms=True).get("actions") or {}
    if base == "per_entity_day" and action:
        if not isinstance(actions.get(action), dict):
            return None, f"the sample has no '{action}' events to learn from"
        data = actions[action].get("per_entity_day")
        if isinstance(data, dict) and data.get("histogram") is not None:
            return Distribution.from_dict(data), ""
    try:
        data = profile.figure(base)
    except KeyError as exc:
        return None, str(exc).strip("'\"")
    if not isinstance(data, dict) or "n" not in data:
        return None, f"'{base}' is not a distribution of counts"
    dist = Distribution.from_dict(data)
    if dist.histogram is None:
        return None, f"'{base}' was stored without its histogram; attach the sample again"
    return dist, ""


def _window_note(uc: UseCase, base: str) -> str:
    window_param = uc.generated.logic.window
    param = uc.parameters.get(window_param) if window_param else None
    window = param.value if param is not None else None
    unit = "hour" if "_hour" in base else "day"
    seconds = duration_seconds(str(window)) if is_duration(window) else None
    if window and seconds != 86400 and not (unit == "hour" and seconds == 3600):
        return (f"The baseline counts per {unit}; the rule counts per {window}. A per-{unit} figure is an upper "
                f"bound for a shorter window: review before applying.")  # fmt: skip
    return ""


def _action_of(uc: UseCase) -> str | None:
    """The application's action value for the use case's (first) event, if the interview named it."""
    logic = uc.generated.logic
    event = logic.event or (logic.events[0] if logic.events else None)
    for e in uc.generated.events:
        if e.event == event:
            return e.action  # an assumed (OWASP) name simply will not be found in the sample
    return None


def proposals_for(store: Store, slug: str, baseline: BaselineRecord) -> list[ParameterProposal]:
    """Proposals for every numeric parameter, of every live use case, that names a baseline figure."""
    profile = Profile.from_dict(baseline.profile)
    days = int(baseline.profile.get("days_covered") or 0) or None
    out: list[ParameterProposal] = []
    for uc in store.list_use_cases(slug):
        if uc.status in DROPPED:
            continue
        for name, p in uc.parameters.items():
            figure = p.baseline
            if not figure or p.type not in ("integer", "number"):
                continue
            action = _action_of(uc)
            dist, why_not = distribution(profile, figure, action)
            item = ParameterProposal(uc.template_id, uc.title, name, p.description, p.value, p.source,
                                     figure)  # fmt: skip
            if dist is None:
                item.note = f"No proposal: {why_not}."
            else:
                base = figure.rsplit(".", 1)[0]
                what = (
                    f"{action} events per {base.split('_', 2)[-1].replace('_', ' ')}"
                    if action and base == "per_entity_day"
                    else base
                )
                item.figure = f"{figure} ({action})" if action and base == "per_entity_day" else figure
                item.proposals = propose_thresholds(dist, METHODS, days=days, what=what)
                if p.type == "integer":
                    item.proposals = [_whole(x, dist, days) for x in item.proposals]
                if isinstance(p.value, (int, float)) and not isinstance(p.value, bool):
                    bt = backtest(dist.samples(), _as_counted(p.value), days=days)
                    item.current_alerts_total, item.current_alerts_per_day = bt.alerts_total, bt.alerts_per_day
                item.warnings = _below_floor(item)
                item.note = _window_note(uc, figure)
                if action and base != "per_entity_day" and not base.startswith(("failures", "per_entity_hour")):
                    item.note = " ".join(x for x in (item.note, (
                        f"The figure counts every action of the sample, not only the rule's {action}: it is not "
                        "like with like, so its alerts per day overstate this rule's."
                    )) if x)  # fmt: skip
            out.append(item)
    return out


def _as_counted(threshold: float) -> float:
    """The back-test threshold of a rule that alerts at *at least* ``threshold`` events: the
    back-test counts observations above its threshold, so at least N is above N - 1."""
    return math.ceil(threshold) - 1 if threshold >= 1 else 0.0


def _whole(p: ThresholdProposal, dist: Any, days: int | None) -> ThresholdProposal:
    """A proposal for a counted parameter as a whole count: the smallest above the figure,
    back-tested as the rule counts it (at least that many)."""
    if p.value is None:
        return p
    whole = max(1, math.floor(p.value) + 1)
    bt = backtest(dist.samples(), whole - 1, days=days)
    why = p.why.rsplit("; ", 1)[0] if p.why.endswith("alert(s) on the sample") else p.why
    why += f"; as a whole count: alert at {whole} or more; {bt.alerts_total} alert(s) on the sample"
    return ThresholdProposal(p.method, float(whole), why, bt.alerts_total, bt.alerts_per_day, p.observations)


def _below_floor(item: ParameterProposal) -> dict[str, str]:
    floor = item.floor
    if floor is None:
        return {}
    return {
        p.method: (
            f"{_shown(p.value)} is below {_shown(floor)}, the value derived from the interview's answers "
            "(a lockout threshold, a normal volume the owners gave): applying it lowers a floor someone "
            "reasoned about, so check that answer first"
        )
        for p in item.proposals
        if p.value is not None and p.value < floor
    }


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def apply_proposal(
    store: Store,
    slug: str,
    template_id: str,
    parameter: str,
    method: str,
    baseline: BaselineRecord,
    who: str = "",
) -> UseCase:
    """Set a parameter to the value a method proposes, recording the method and the baseline."""
    store.get_use_case(slug, template_id)  # "no use case 'x'" before anything else
    for item in proposals_for(store, slug, baseline):
        if item.use_case == template_id and item.parameter == parameter:
            break
    else:
        raise InputError(f"no baseline proposal for {template_id} parameter '{parameter}'")
    chosen = next((p for p in item.proposals if p.method == method), None)
    if chosen is None or chosen.value is None:
        known = ", ".join(p.method for p in item.proposals if p.value is not None) or "none"
        raise InputError(f"method '{method}' gives no value here (available: {known})")
    uc = store.get_use_case(slug, template_id)
    ptype = uc.parameters[parameter].type
    value = max(1, round(chosen.value)) if ptype == "integer" else round(float(chosen.value), 3)
    detail = (f"{method} on baseline '{baseline.log_source}' v{baseline.version} "
              f"({baseline.first[:10]} to {baseline.last[:10]}, {baseline.events:,} events): {chosen.why}; "
              f"{chosen.alerts_per_day:.2f} alerts/day on the sample")  # fmt: skip
    entry = {"value": value, "source": "baseline", "detail": detail, "method": method,
             "baseline_version": baseline.version, "alerts_per_day": chosen.alerts_per_day}  # fmt: skip
    return store.edit_use_case(slug, template_id, f"parameters.{parameter}", entry, who=who,
                               reason=f"threshold from baseline ({method})")  # fmt: skip


@dataclass
class NoisyRule:
    """A rule that alerts more than :data:`ALERT_BUDGET_PER_DAY` times a day on the sample at
    its current threshold, and the proposal that would bring it down (if any does)."""

    use_case: str
    alerts_per_day: float
    parameter: str = ""
    current: Any = None
    method: str = ""
    proposed: float | None = None
    proposed_per_day: float | None = None

    def text(self) -> str:
        head = f"noisy: {self.alerts_per_day:.2f} alerts a day on the sample (more than {ALERT_BUDGET_PER_DAY:g})"
        if self.proposed is None:
            return head + "; no threshold proposal brings it under that: narrow the rule (a filter or suppression)"
        return (f"{head}; {self.method} would set {self.parameter} from {self.current} to {_shown(self.proposed)}: "
                f"{self.proposed_per_day:.2f} a day on the baseline")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {"use_case": self.use_case, "alerts_per_day": self.alerts_per_day, "parameter": self.parameter,
                "current": self.current, "method": self.method, "proposed": self.proposed,
                "proposed_per_day": self.proposed_per_day, "text": self.text()}  # fmt: skip


def noisy_rules(store: Store, slug: str) -> dict[str, NoisyRule]:
    """Template id -> noisy rule, from the latest rule tests on the sample, each with the
    lowest threshold proposal (of the latest baseline) that stays within the budget."""
    from workshop.services.rules import latest_rule_tests

    noisy = {tid: NoisyRule(tid, float(r.alerts_per_day)) for tid, r in latest_rule_tests(store, slug).items()
             if r.alerts_per_day is not None and r.alerts_per_day > ALERT_BUDGET_PER_DAY}  # fmt: skip
    if not noisy:
        return {}
    baselines = store.list_baselines(slug)
    items = proposals_for(store, slug, baselines[0]) if baselines else []
    for item in items:
        rule = noisy.get(item.use_case)
        if rule is None:
            continue
        within = [p for p in item.proposals if p.value is not None and p.alerts_per_day <= ALERT_BUDGET_PER_DAY]
        best = min(within, key=lambda p: float(p.value or 0), default=None)
        if best is not None and (rule.proposed is None or float(best.value or 0) < rule.proposed):
            rule.parameter, rule.current, rule.method = item.parameter, item.current, best.method
            rule.proposed, rule.proposed_per_day = float(best.value or 0), best.alerts_per_day
    return noisy
