"""Thresholds grounded in data: baseline figures proposed for use-case parameters.

A template names the baseline figure that can inform each parameter
(``baseline: failures_per_source_day.p99``). Here every such parameter of an
application's use cases gets one proposal per method (percentile with a margin,
median + k·MAD, mean + k·stdev with a minimum sample count), each back-tested on the
stored distribution: how many alerts per day it would have raised on the sample.
Applying a proposal records where the value came from (method, baseline version and
the sample's time range) in the use case's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workshop.baseline import Profile, ThresholdProposal, propose_thresholds
from workshop.baseline.figures import Distribution
from workshop.core.errors import InputError
from workshop.store import Store
from workshop.store.baseline_store import BaselineRecord
from workshop.usecases.model import UseCase
from workshop.vocab import DROPPED, duration_seconds, is_duration

STATS = ("p50", "p90", "p95", "p99", "max", "mean")
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
                item.note = _window_note(uc, figure)
            out.append(item)
    return out


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
