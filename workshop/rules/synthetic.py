"""Synthetic events for a use case: the attack it is meant to catch, and its ways round.

The events come from the use case (its logic, parameters and the application's log
vocabulary), never from the rule text, so a rule that selects the wrong action value
or counts the wrong field does not fire on them: that is the point of the test.

* True positive: what the logic describes at its threshold. A threshold gets
  ``max_failures`` events from one source well inside the window; a sequence gets its
  steps in order for one user; an outside-hours rule gets an event at 03:00 on a
  Sunday (in the window's time zone); first-seen gets history, then a new value; a
  silence rule gets a gap longer than its window.
* Evasions named by the template (``evasions[].kind``): ``split_below_threshold`` (the
  same volume in many groups, each below the threshold), ``slow_spread`` (spread over
  more than the window, or for first-seen a warm-up inside the look-back) and
  ``known_network`` (from an allowed network or batch host). ``other`` cannot be
  generated and is reported as not tested.

Values avoid the application's allowlists (an attacker is not a service account)
unless the rule selects such accounts (a break-glass rule is about them).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workshop.questionnaire.values import network_of
from workshop.rules.build import vocabulary_of
from workshop.rules.model import RuleContext, RuleSet, clean_values
from workshop.rules.synthplan import Skip, SyntheticPlan
from workshop.usecases.model import PARAMETER_LISTS, UseCase
from workshop.vocab import TimeWindow, duration_delta, duration_seconds, is_duration

#: A Wednesday, so that business-hours rules have somewhere to start from.
BASE_TIME = dt.datetime(2024, 3, 6, 12, 0, tzinfo=dt.UTC)
_ATTACK_IPS = ("203.0.113.7", "198.51.100.7", "192.0.2.7", "100.64.0.7", "172.31.255.7", "45.33.32.156")
_COUNTRIES = ("NL", "BR", "CN", "RU", "US", "ZA", "JP", "AU", "IN", "MX", "KR", "AR")
_ATTACK_USER = "synthetic.attacker"


@dataclass
class SyntheticCase:
    """Events to run a rule on, and what should happen."""

    name: str  # "true_positive" or the evasion's id
    kind: str  # "true_positive" or the evasion kind
    description: str
    events: list[dict[str, Any]]  # the application's field names -> values; timestamps aware
    expect_alert: bool = True
    evaluate_from: dt.datetime | None = None  # first-seen: earlier events are history only

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "events": len(self.events),
            "expect_alert": self.expect_alert,
        }


@dataclass
class NotGenerated:
    """An evasion the toolkit cannot generate, and why (reported, never hidden)."""

    id: str
    kind: str
    description: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "description": self.description, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NotGenerated:
        return cls(*(str(data.get(k) or "") for k in ("id", "kind", "description", "reason")))


@dataclass
class _Ctx:
    uc: UseCase
    rs: RuleSet
    ctx: RuleContext
    logic: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.vocab = vocabulary_of(self.uc, self.ctx)
        self.logic = self.uc.effective().logic.to_dict()
        self.params = {k: p.to_dict() for k, p in self.uc.parameters.items()}
        facts = self.ctx.facts
        self.networks = []
        for entry in clean_values(facts.networks) + clean_values(
            (self.params.get("expected_networks") or {}).get("value")
        ):
            try:
                self.networks.append(ipaddress.ip_network(network_of(entry), strict=False))
            except ValueError:
                continue
        hosts = clean_values(
            facts.batch_hosts + clean_values((self.params.get("expected_sources") or {}).get("value"))
        )
        if "host" not in self.rs.fields:  # the source field holds addresses: hosts are known by theirs
            from workshop.usecases.readiness import batch_host_addresses, is_address

            hosts = clean_values(batch_host_addresses(facts) + [h for h in hosts if is_address(h)])
        self.hosts = hosts
        self.service_accounts = clean_values([a.name for a in facts.service_accounts])
        self.breakglass = clean_values(facts.breakglass_accounts)

    def field(self, role: str) -> str:
        return self.rs.fields.get(role) or self.vocab.field_for(role)

    # -- values that avoid the allowlists --------------------------------------------
    def attack_ip(self, i: int = 0) -> str:
        found = []
        for ip in _ATTACK_IPS:
            addr = ipaddress.ip_address(ip)
            if ip not in self.hosts and not any(addr in n for n in self.networks):
                found.append(ip)
        if i < len(found):
            return found[i]
        return f"203.0.113.{(i % 200) + 20}"

    def attack_user(self) -> str:
        selected = self.selected_values("user")
        return selected[0] if selected else _ATTACK_USER

    def selected_values(self, role: str) -> list[str]:
        """Values the rule selects on a role (break-glass accounts, placeholders...)."""
        for pname, (prole, mode) in self.selecting_lists().items():
            if prole != role or pname not in self.params or mode not in ("select", "lookup", "placeholder"):
                continue
            if mode == "select":
                values = clean_values(self.params[pname].get("value"))
                if values:
                    return values
            pid = self._placeholder_id(role)
            if pid:
                return [f"synthetic-{pid}"]
        for role_, raw in (self.logic.get("match") or {}).items():
            if role_ == role:
                ref = str(raw)
                if ref.startswith("{params.") and ref.endswith("}"):
                    values = clean_values((self.params.get(ref[8:-1]) or {}).get("value"))
                    return values or [f"synthetic-{ref[8:-1]}"]
                return [ref]
        return []

    def selecting_lists(self) -> dict[str, tuple[str, str]]:
        """The parameter lists of the rule: the known ones, and the template's ``logic.only``
        (role -> list parameter, which selects), as the rule builder reads them."""
        lists = dict(PARAMETER_LISTS)
        for role, pname in (self.logic.get("only") or {}).items():
            lists.setdefault(str(pname), (str(role), "select"))
        return lists

    def _placeholder_id(self, role: str) -> str:
        field_name = self.field(role)
        for pid, p in self.rs.placeholders.items():
            if p.field == field_name:
                return pid
        return ""

    def distinct(self, role: str, i: int) -> Any:
        if role == "user":
            return f"synthetic.user{i:02d}"
        if role == "source_ip":
            return (
                f"203.0.113.{(i % 200) + 20}"
                if not self._in_networks(f"203.0.113.{(i % 200) + 20}")
                else f"198.51.100.{(i % 200) + 20}"
            )
        if role == "country":
            return _COUNTRIES[i % len(_COUNTRIES)] + ("" if i < len(_COUNTRIES) else str(i))
        if role == "object":
            return f"OBJ-{i:05d}"
        if role == "host":
            return f"synthetic-host-{i:02d}"
        return f"value-{i:03d}"

    def _in_networks(self, ip: str) -> bool:
        addr = ipaddress.ip_address(ip)
        return any(addr in n for n in self.networks)

    # -- events ------------------------------------------------------------------
    def event(self, event_id: str, when: dt.datetime, **by_role: Any) -> dict[str, Any]:
        from workshop.rules.model import clean_value

        name = self.vocab.event(event_id)
        ev: dict[str, Any] = {self.field("timestamp"): when}
        action = clean_value(name.action)
        ev[self.field("action")] = action if action not in ("", "*") else "synthetic.event"
        if name.outcome:
            ev[self.field("outcome")] = clean_value(name.outcome)
        ev[self.field("user")] = self.attack_user()
        ev[self.field("source_ip")] = self.attack_ip()
        for role, raw in (self.logic.get("match") or {}).items():
            values = self.selected_values(str(role))
            ev[self.field(str(role))] = values[0] if values else clean_value(str(raw))
        for pname, (role, mode) in self.selecting_lists().items():
            if pname in self.params and mode in ("select", "lookup", "placeholder"):
                values = self.selected_values(role)
                if values:
                    ev[self.field(role)] = values[0]
        for role, pname in (self.logic.get("only") or {}).items():  # the lists the rule keeps
            values = clean_values((self.params.get(str(pname)) or {}).get("value"))
            ev[self.field(str(role))] = values[0] if values else f"synthetic-{pname}"
        band = self.logic.get("band") or {}
        if band:  # a value inside the band: at its lower bound, else just under the upper one
            low = (self.params.get(str(band.get("min") or "")) or {}).get("value")
            high = (self.params.get(str(band.get("max") or "")) or {}).get("value")
            value = low if isinstance(low, (int, float)) else (high - 1 if isinstance(high, (int, float)) else 1)
            ev[self.field(str(band["role"]))] = value
        for role, pname in (self.logic.get("contains_any") or {}).items():  # the first pattern, in the first role
            patterns = clean_values((self.params.get(str(pname)) or {}).get("value"))
            if patterns:
                ev[self.field(str(role))] = f"synthetic {patterns[0]} synthetic"
                break
        for role, value in by_role.items():
            ev[self.field(role)] = value
        for role, other in (self.logic.get("same_as") or {}).items():  # the same value in both fields
            ev[self.field(str(role))] = ev.get(self.field(str(other)), self.attack_user())
        return ev


def start_time(rs: RuleSet) -> dt.datetime:
    """A moment outside every time window of the rule: 03:00 on a Sunday in the first
    window's zone if that is outside, else the first outside hour of the week; and on a
    normal day, not a known peak's (where the threshold is raised), a day later until it is."""
    agg = rs.aggregation
    span = duration_delta(agg.timespan) if agg.peaks and is_duration(agg.timespan) else dt.timedelta(0)
    for days in range(0, 35):
        t = _outside_windows(rs, dt.timedelta(days=days))
        if t is None or not any(p.on(t.date()) or p.on((t + span).date()) for p in agg.peaks):
            return t or BASE_TIME  # None: the windows cover the whole week (reported by the test)
    return BASE_TIME  # every day is a peak day: the true positive is judged at the raised threshold


def _outside_windows(rs: RuleSet, later: dt.timedelta) -> dt.datetime | None:
    if not rs.windows:
        return BASE_TIME + later
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(rs.windows[0].zone)
    sunday = dt.datetime(2024, 3, 10, 3, 0, tzinfo=tz) + later
    for hours in range(0, 24 * 7):
        t = (sunday + dt.timedelta(hours=hours)).astimezone(dt.UTC)
        if not any(w.contains(t) for w in rs.windows) and not any(
            w.contains(t + dt.timedelta(minutes=30)) for w in rs.windows
        ):
            return t
    return None


def _windows_cover_week(windows: list[TimeWindow]) -> bool:
    t = dt.datetime(2024, 3, 4, 0, 0, tzinfo=dt.UTC)
    return all(any(w.contains(t + dt.timedelta(minutes=30 * i)) for w in windows) for i in range(2 * 24 * 7))


# --------------------------------------------------------------------------- the generator


def true_positive(uc: UseCase, rs: RuleSet, ctx: RuleContext) -> SyntheticCase:
    c = _Ctx(uc, rs, ctx)
    return _generate(c, "true_positive", "true_positive", "the behaviour the use case is meant to catch")


def evasion_cases(
    uc: UseCase, rs: RuleSet, ctx: RuleContext
) -> tuple[list[SyntheticCase], list[NotGenerated]]:
    """A case per evasion the template names that can be generated; the others with why not."""
    c = _Ctx(uc, rs, ctx)
    cases, skipped = [], []
    for ev in uc.generated.evasions:
        eid, kind, desc = ev.id, ev.kind, ev.description
        try:
            case = _generate(c, eid, kind, desc)
        except _Skip as why:
            skipped.append(NotGenerated(eid, kind, desc, str(why)))
            continue
        cases.append(case)
    return cases, skipped


_Skip = Skip


def _generate(c: _Ctx, name: str, kind: str, description: str) -> SyntheticCase:
    agg = c.rs.aggregation
    t0 = start_time(c.rs)
    events = c.rs.selections
    first_event = events[0].event if events else str(c.logic.get("event") or "any_event")
    if kind not in ("true_positive", "split_below_threshold", "slow_spread", "known_network"):
        raise _Skip("the toolkit cannot generate this kind of evasion; test it by hand")
    if kind != "true_positive" and c.rs.windows and _windows_cover_week(c.rs.windows):
        raise _Skip("the time windows cover the whole week, so no moment is outside them")
    window = dt.timedelta(seconds=duration_seconds(agg.timespan)) if agg.timespan else dt.timedelta(hours=1)
    count = math.ceil(float(agg.count)) if isinstance(agg.count, (int, float)) else 1
    group_roles = [str(r) for r in c.logic.get("group_by") or []]
    counted_role = str(c.logic.get("field") or "")

    def grouped(i: int) -> dict[str, Any]:
        """Role values that make group number i (0 is the attacker's own group)."""
        if i == 0:  # the attacker's user and address are on every event; other group roles need a value
            return {r: c.distinct(r, 0) for r in group_roles if r not in ("user", "source_ip")}
        return {r: c.distinct(r, 100 + i) for r in group_roles}

    if kind == "known_network":
        return _known_network(c, name, description)

    from workshop.rules.logic import logic_handler

    plan = SyntheticPlan(c, kind, t0, window, count, group_roles, counted_role, first_event, grouped)
    out, evaluate_from = logic_handler(c.rs.logic).synthetic(plan)
    return SyntheticCase(
        name, kind, description, out, expect_alert=kind == "true_positive", evaluate_from=evaluate_from
    )


def _known_network(c: _Ctx, name: str, description: str) -> SyntheticCase:
    """The true positive again, from where the owners said normal traffic comes from."""
    tp = _generate(c, "true_positive", "true_positive", "")
    source_field = c.field("source_ip")
    host_field = c.rs.fields.get("host")
    filters: set[str] = set()
    for sel in c.rs.selections:
        filters.update(k for k in (sel.data.get("detection") or {}) if str(k).startswith("filter_"))
    by_host = bool(filters & {"filter_batch_hosts", "filter_expected_sources"})
    by_network = bool(filters & {"filter_trusted_networks", "filter_expected_networks"})
    if c.hosts and (by_host or not (by_network or c.networks)):
        value, where = c.hosts[0], f"the batch host {c.hosts[0]}"
    elif c.networks:
        addr = str(next(iter(c.networks[0].hosts()), c.networks[0].network_address))
        value, where = addr, f"an address in {c.networks[0]}"
    else:
        raise _Skip("the interview names no trusted networks or batch hosts to come from")
    from workshop.rules.logic import logic_handler

    counted = c.rs.aggregation.field
    logic = logic_handler(c.rs.logic)
    attack_value = tp.events[-1].get(source_field) if tp.events else None
    for ev in tp.events:
        if source_field not in ev:
            pass
        elif counted != source_field:
            ev[source_field] = value
        else:
            logic.from_known_source(ev, source_field, attack_value, value)
        if host_field and c.hosts:
            ev[host_field] = c.hosts[0]
    return SyntheticCase(name, "known_network", description or f"from {where}", tp.events, expect_alert=False,
                         evaluate_from=tp.evaluate_from)  # fmt: skip
