"""Load use-case templates and report every problem as ``FILE:LINE: message``.

Templates are checked against the questionnaires they read: a condition, a parameter
derivation or a text placeholder naming an answer id that no questionnaire asks is an
error, as is a logic that refers to an undeclared parameter or an unknown event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop.core import yamlsource
from workshop.core.checking import MappingChecker, load_all
from workshop.core.conditions import Condition
from workshop.core.errors import ConditionError, LoadError, WorkshopError
from workshop.core.yamlsource import YList, YMap
from workshop.usecases.events import EVENTS, ROLES
from workshop.usecases.model import (
    ALLOWLISTS,
    CATEGORIES,
    PARAM_TYPES,
    PEAK_LOGIC,
    PRINCIPALS,
    AttackRef,
    Evasion,
    Logic,
    ParameterSpec,
    PriorityRule,
    Template,
    Text,
)
from workshop.usecases.model import band as model_band
from workshop.usecases.model import exclude_on as model_exclude_on
from workshop.vocab import LOGIC_TYPES, PRIORITIES, is_duration

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TECHNIQUE_RE = re.compile(r"^T\d{4}(\.\d{3})?$")
PLACEHOLDER_RE = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*)\}")
APP_FIELDS = {"name", "slug", "owner", "criticality", "description", "platforms", "principals"}
EVASION_KINDS = {"split_below_threshold", "slow_spread", "known_network", "other"}
TOP_KEYS = {
    "id", "version", "title", "category", "service", "objective", "when", "needs", "logic",
    "parameters", "priority", "false_positives", "blind_spots", "response", "validation",
    "evasions", "attack", "references", "principals",
}  # fmt: skip
LOGIC_KEYS = {
    "type", "event", "events", "group_by", "field", "window", "threshold", "lookback",
    "outside", "within", "match", "only", "exclude", "exclude_on", "band", "after_silence",
    "same_as", "contains_any",
}  # fmt: skip
PARAM_KEYS = {"description", "type", "default", "from", "baseline", "unit"}
#: What each logic type needs besides its type.
LOGIC_NEEDS = {
    "single": ("event",),
    "threshold": ("event", "window", "threshold"),
    "distinct": ("event", "field", "window", "threshold"),
    "sum": ("event", "field", "window", "threshold"),
    "sequence": ("events", "window"),
    "new_value": ("event", "field", "lookback"),
    "outside_window": ("event", "outside"),
    "silence": ("event", "window", "threshold"),
}


def load_template(path: str | Path, answer_ids: set[str] | None = None) -> Template:
    return load_template_text(yamlsource.read_text(path), str(path), answer_ids)


def load_template_text(
    text: str, filename: str = "<template>", answer_ids: set[str] | None = None
) -> Template:
    data = yamlsource.load(text, filename)
    return _Validator(filename, answer_ids).run(data)


class _Validator(MappingChecker):
    def __init__(self, filename: str, answer_ids: set[str] | None) -> None:
        super().__init__(filename)
        self.answer_ids = answer_ids
        self.params: dict[str, ParameterSpec] = {}

    def _check_names(self, names: Iterable[str], line: int | None, what: str) -> None:
        if self.answer_ids is None:
            return
        for name in sorted(names):
            if name not in self.answer_ids:
                self.p.add(f"{what} uses '{name}', which no questionnaire asks", line)

    def _cond(self, obj: YMap, key: str, what: str) -> Condition | None:
        if obj.get(key) is None:
            return None
        line = obj.line_of(key)
        try:
            cond = Condition.parse(str(obj[key]))
        except ConditionError as exc:
            self.p.add(f"{what}: {exc.message}", line)
            return None
        self._check_names(cond.names, line, what)
        return cond

    def _text_placeholders(self, text: str, line: int | None, what: str) -> None:
        for name in PLACEHOLDER_RE.findall(text):
            head, _, rest = name.partition(".")
            if head == "app":
                if rest not in APP_FIELDS:
                    self.p.add(
                        f"{what}: unknown placeholder '{{{name}}}' (app fields: {', '.join(sorted(APP_FIELDS))})",
                        line,
                    )
            elif head == "params":
                if rest not in self.params:
                    self.p.add(f"{what}: placeholder '{{{name}}}' names no declared parameter", line)
            else:
                self._check_names([name], line, f"{what} placeholder")

    def _texts(self, data: YMap, key: str, required: bool = False) -> tuple[Text, ...]:
        raw = data.get(key)
        if raw is None:
            if required:
                self.p.add(f"'{key}' is required (a list of texts)", data.line)
            return ()
        if not isinstance(raw, YList):
            self.p.add(f"'{key}' must be a list of texts", data.line_of(key))
            return ()
        out = []
        for i, item in enumerate(raw):
            line = raw.line_of(i)
            if isinstance(item, YMap):
                self.unknown_keys(item, {"text", "when"}, key)
                text = self.text(item, "text", key, required=True)
                when = self._cond(item, "when", f"{key} condition")
            elif isinstance(item, str):
                text, when = item, None
            else:
                self.p.add(f"{key}: each item must be text or {{text, when}}", line)
                continue
            self._text_placeholders(text, line, key)
            out.append(Text(text.strip(), when))
        return tuple(out)

    def run(self, data: Any) -> Template:
        if not isinstance(data, YMap):
            self.p.add("a use-case template must be a mapping", 1)
            self.p.raise_if_any()
        self.unknown_keys(data, TOP_KEYS, "template")
        tid = self.text(data, "id", "template", required=True)
        if tid and not ID_RE.match(tid):
            self.p.add(f"template id '{tid}' must be lower-case letters, digits and '-'", data.line_of("id"))
        category = self.text(data, "category", "template", required=True)
        if category and category not in CATEGORIES:
            self.p.add(
                f"unknown category '{category}' (known: {', '.join(CATEGORIES)})", data.line_of("category")
            )
        principals = self.text(data, "principals", "template") or "any"
        if principals not in PRINCIPALS:
            self.p.add(f"unknown principals '{principals}' (known: {', '.join(PRINCIPALS)})",
                       data.line_of("principals"))  # fmt: skip
        self._parameters(data)
        title = self.text(data, "title", "template", required=True)
        objective = self.text(data, "objective", "template", required=True)
        self._text_placeholders(title, data.line_of("title"), "title")
        self._text_placeholders(objective, data.line_of("objective"), "objective")
        when = self._cond(data, "when", "when")
        needs_raw = data.get("needs") or []
        if not isinstance(needs_raw, list) or not all(isinstance(n, str) for n in needs_raw):
            self.p.add("'needs' must be a list of answer ids", data.line_of("needs"))
            needs_raw = []
        self._check_names(needs_raw, data.line_of("needs"), "needs")
        logic = self._logic(data)
        prio_default, prio_rules = self._priority(data)
        attack = self._attack(data)
        evasions = self._evasions(data)
        refs = data.get("references") or []
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            self.p.add("'references' must be a list of URLs or citations", data.line_of("references"))
            refs = []
        template = Template(
            id=tid,
            title=title,
            category=category,
            objective=objective.strip(),
            when=when,
            needs=tuple(needs_raw),
            logic=logic,
            parameters=tuple(self.params.values()),
            priority_default=prio_default,
            priority_rules=prio_rules,
            false_positives=self._texts(data, "false_positives", required=True),
            blind_spots=self._texts(data, "blind_spots", required=True),
            response=self._texts(data, "response", required=True),
            validation=self._texts(data, "validation", required=True),
            attack=attack,
            references=tuple(refs),
            evasions=evasions,
            service=self.text(data, "service", "template") or "audit",
            version=self.text(data, "version", "template") or "1",
            principals=principals,
            source=self.p.file,
        )
        self.p.raise_if_any()
        return template

    def _parameters(self, data: YMap) -> None:
        raw = data.get("parameters") or YMap()
        if not isinstance(raw, YMap):
            self.p.add(
                "'parameters' must be a mapping of name to {description, type, default}",
                data.line_of("parameters"),
            )
            return
        for name, spec in raw.items():
            line = raw.line_of(name)
            what = f"parameter '{name}'"
            if not re.match(r"^[a-z][a-z0-9_]*$", str(name)):
                self.p.add(f"{what}: name must be lower-case letters, digits and '_'", line)
            if not isinstance(spec, YMap):
                self.p.add(f"{what} must be a mapping with description, type and default", line)
                continue
            self.unknown_keys(spec, PARAM_KEYS, what)
            ptype = self.text(spec, "type", what, required=True)
            if ptype and ptype not in PARAM_TYPES:
                self.p.add(
                    f"{what}: unknown type '{ptype}' (known: {', '.join(PARAM_TYPES)})", spec.line_of("type")
                )
            default = spec.get("default")
            if ptype == "duration" and default is not None and not is_duration(str(default)):
                self.p.add(
                    f"{what}: default '{default}' is not a duration like 15m, 1h or 30d",
                    spec.line_of("default"),
                )
            if (
                ptype in ("integer", "number")
                and default is not None
                and (isinstance(default, bool) or not isinstance(default, (int, float)))
            ):
                self.p.add(f"{what}: default must be a number", spec.line_of("default"))
            derive = self._cond(spec, "from", f"{what} 'from'")
            self.params[str(name)] = ParameterSpec(
                name=str(name),
                description=self.text(spec, "description", what, required=True),
                type=ptype,
                default=default,
                derive=derive,
                baseline=self.text(spec, "baseline", what),
                unit=self.text(spec, "unit", what),
            )

    def _logic(self, data: YMap) -> Logic:
        raw = data.get("logic")
        if not isinstance(raw, YMap):
            self.p.add(
                "'logic' is required: a mapping with at least 'type'", data.line_of("logic") or data.line
            )
            return Logic("single")
        self.unknown_keys(raw, LOGIC_KEYS, "logic")
        ltype = self.text(raw, "type", "logic", required=True)
        if ltype and ltype not in LOGIC_TYPES:
            self.p.add(
                f"logic: unknown type '{ltype}' (known: {', '.join(LOGIC_TYPES)})", raw.line_of("type")
            )
        for need in LOGIC_NEEDS.get(ltype, ()):
            if not raw.get(need):
                self.p.add(f"logic: a '{ltype}' logic needs '{need}'", raw.line)
        events = raw.get("events") or []
        if ltype == "sequence" and (not isinstance(events, list) or len(events) < 2):
            self.p.add("logic: a sequence needs at least two 'events'", raw.line_of("events") or raw.line)
            events = []
        for ev in [raw.get("event"), *events]:
            if ev and ev not in EVENTS:
                self.p.add(
                    f"logic: unknown event '{ev}' (see workshop/usecases/events.py)", raw.line_of("event")
                )
        group_by = raw.get("group_by") or []
        if isinstance(group_by, str):
            group_by = [group_by]
        for role in [*group_by, raw.get("field")]:
            if role and role not in ROLES:
                self.p.add(f"logic: unknown field role '{role}' (known: {', '.join(ROLES)})", raw.line)
        for key, types in (("window", ("duration",)), ("threshold", ("integer", "number")),
                           ("lookback", ("duration",)), ("outside", ("time_window",)),
                           ("within", ("time_window",))):  # fmt: skip
            name = raw.get(key)
            if name is None:
                continue
            spec = self.params.get(str(name))
            if spec is None:
                self.p.add(
                    f"logic: '{key}' names parameter '{name}', which is not declared", raw.line_of(key)
                )
            elif spec.type not in types:
                self.p.add(
                    f"logic: '{key}' parameter '{name}' must be of type {' or '.join(types)}",
                    raw.line_of(key),
                )
        match = raw.get("match") or {}
        if not isinstance(match, dict) or any(k not in ROLES for k in match):
            self.p.add("logic: 'match' must map field roles to values", raw.line_of("match"))
            match = {}
        only = raw.get("only") or {}
        if not isinstance(only, dict):
            self.p.add("logic: 'only' must map field roles to list parameters", raw.line_of("only"))
            only = {}
        for role, pname in only.items():
            spec = self.params.get(str(pname))
            if role not in ROLES:
                self.p.add(f"logic: 'only' names unknown field role '{role}'", raw.line_of("only"))
            elif spec is None:
                self.p.add(
                    f"logic: 'only' names parameter '{pname}', which is not declared", raw.line_of("only")
                )
            elif spec.type not in ("list", "text"):
                self.p.add(
                    f"logic: 'only' parameter '{pname}' must be of type list or text", raw.line_of("only")
                )
        exclude = raw.get("exclude") or []
        for ex in exclude:
            if ex not in ALLOWLISTS:
                self.p.add(
                    f"logic: unknown allowlist '{ex}' (known: {', '.join(ALLOWLISTS)})",
                    raw.line_of("exclude"),
                )
            elif ex == "known_peaks" and raw.get("type") not in PEAK_LOGIC:
                self.p.add(
                    f"logic: known_peaks raise a counted threshold, so only types {', '.join(PEAK_LOGIC)} take them",
                    raw.line_of("exclude"),
                )
        exclude_on = raw.get("exclude_on") or {}
        if not isinstance(exclude_on, dict):
            self.p.add("logic: 'exclude_on' must map allowlists to the events they apply to",
                       raw.line_of("exclude_on"))  # fmt: skip
            exclude_on = {}
        for ex, evs in exclude_on.items():
            if ex not in exclude:
                self.p.add(f"logic: 'exclude_on' names '{ex}', which 'exclude' does not list", raw.line_of("exclude_on"))
            for ev in evs if isinstance(evs, list) else [evs]:
                if ev not in [raw.get("event"), *events]:
                    self.p.add(f"logic: 'exclude_on' names event '{ev}', which the logic does not select",
                               raw.line_of("exclude_on"))  # fmt: skip
        band = raw.get("band") or {}
        if band:
            if not isinstance(band, dict) or band.get("role") not in ROLES:
                self.p.add("logic: 'band' needs a field 'role' and parameters 'min' and/or 'max'", raw.line_of("band"))
                band = {}
            for key in ("min", "max"):
                name = band.get(key)
                spec = self.params.get(str(name)) if name else None
                if name and (spec is None or spec.type not in ("integer", "number")):
                    self.p.add(f"logic: band '{key}' must name a declared number parameter", raw.line_of("band"))
        same_as = raw.get("same_as") or {}
        if not isinstance(same_as, dict) or any(k not in ROLES or v not in ROLES or k == v
                                                for k, v in same_as.items()):  # fmt: skip
            self.p.add("logic: 'same_as' must map a field role to another field role", raw.line_of("same_as"))
            same_as = {}
        contains_any = raw.get("contains_any") or {}
        if not isinstance(contains_any, dict):
            self.p.add("logic: 'contains_any' must map field roles to list parameters", raw.line_of("contains_any"))
            contains_any = {}
        for role, pname in contains_any.items():
            spec = self.params.get(str(pname))
            if role not in ROLES or spec is None or spec.type != "list":
                self.p.add(f"logic: 'contains_any' needs a field role and a declared list parameter ({role}: {pname})",
                           raw.line_of("contains_any"))  # fmt: skip
        after_silence = raw.get("after_silence") or False
        if after_silence and ltype != "new_value":
            self.p.add("logic: 'after_silence' applies to a new_value logic only", raw.line_of("after_silence"))
        return Logic(
            type=ltype,
            event=str(raw.get("event") or ""),
            events=tuple(str(e) for e in events),
            group_by=tuple(str(g) for g in group_by),
            field=str(raw.get("field") or ""),
            window=str(raw.get("window") or ""),
            threshold=str(raw.get("threshold") or ""),
            lookback=str(raw.get("lookback") or ""),
            outside=str(raw.get("outside") or ""),
            within=str(raw.get("within") or ""),
            match=tuple((str(k), str(v)) for k, v in match.items()),
            only=tuple((str(k), str(v)) for k, v in only.items()),
            exclude=tuple(str(e) for e in exclude),
            exclude_on=model_exclude_on(exclude_on),
            band=model_band(band),
            after_silence=bool(after_silence),
            same_as=tuple((str(k), str(v)) for k, v in same_as.items()),
            contains_any=tuple((str(k), str(v)) for k, v in contains_any.items()),
        )

    def _priority(self, data: YMap) -> tuple[str, tuple[PriorityRule, ...]]:
        raw = data.get("priority")
        if raw is None:
            self.p.add("'priority' is required: {default, raise}", data.line)
            return "medium", ()
        if not isinstance(raw, YMap):
            self.p.add("'priority' must be a mapping with 'default' and 'raise'", data.line_of("priority"))
            return "medium", ()
        self.unknown_keys(raw, {"default", "raise"}, "priority")
        default = self.text(raw, "default", "priority", required=True) or "medium"
        if default not in PRIORITIES:
            self.p.add(
                f"priority: unknown level '{default}' (known: {', '.join(PRIORITIES)})",
                raw.line_of("default"),
            )
        rules = []
        for i, r in enumerate(raw.get("raise") or []):
            line = raw["raise"].line_of(i)
            if not isinstance(r, YMap):
                self.p.add("priority: each 'raise' item needs when, level and reason", line)
                continue
            self.unknown_keys(r, {"when", "level", "reason"}, "priority rule")
            cond = self._cond(r, "when", "priority rule")
            level = self.text(r, "level", "priority rule", required=True)
            if level and level not in PRIORITIES:
                self.p.add(f"priority rule: unknown level '{level}'", r.line_of("level"))
            reason = self.text(r, "reason", "priority rule", required=True)
            if cond is not None and level in PRIORITIES:
                rules.append(PriorityRule(cond, level, reason))
        return default, tuple(rules)

    def _attack(self, data: YMap) -> tuple[AttackRef, ...]:
        out = []
        raw = data.get("attack") or []
        if not isinstance(raw, list):
            self.p.add("'attack' must be a list of {technique, reason}", data.line_of("attack"))
            return ()
        for i, item in enumerate(raw):
            line = raw.line_of(i) if isinstance(raw, YList) else None
            if not isinstance(item, YMap) or not item.get("technique"):
                self.p.add("attack: each item needs 'technique' and 'reason'", line)
                continue
            self.unknown_keys(item, {"technique", "reason"}, "attack item")
            tech = str(item["technique"]).upper()
            if not TECHNIQUE_RE.match(tech):
                self.p.add(
                    f"attack: '{item['technique']}' is not a technique id like T1110 or T1110.003", line
                )
            reason = self.text(item, "reason", "attack", required=True)
            out.append(AttackRef(tech, reason))
        return tuple(out)

    def _evasions(self, data: YMap) -> tuple[Evasion, ...]:
        out = []
        raw = data.get("evasions") or []
        for i, item in enumerate(raw):
            line = raw.line_of(i) if isinstance(raw, YList) else None
            if not isinstance(item, YMap):
                self.p.add("evasions: each item needs id, kind and description", line)
                continue
            self.unknown_keys(item, {"id", "kind", "description"}, "evasion")
            kind = self.text(item, "kind", "evasion", required=True)
            if kind and kind not in EVASION_KINDS:
                self.p.add(
                    f"evasion: unknown kind '{kind}' (known: {', '.join(sorted(EVASION_KINDS))})", line
                )
            out.append(
                Evasion(
                    self.text(item, "id", "evasion", required=True),
                    self.text(item, "description", "evasion", True),
                    kind,
                )
            )
        return tuple(out)


@dataclass
class TemplateCatalogue:
    templates: dict[str, Template] = field(default_factory=dict)
    errors: dict[str, list[WorkshopError]] = field(default_factory=dict)

    def get(self, tid: str) -> Template:
        try:
            return self.templates[tid]
        except KeyError:
            raise LoadError(f"no use-case template '{tid}'") from None


def discover_templates(dirs: Iterable[Path], answer_ids: set[str] | None = None) -> TemplateCatalogue:
    """Load every template under ``dirs``; a broken file does not hide the others."""
    templates, errors = load_all(dirs, lambda path: load_template(path, answer_ids), "template")
    return TemplateCatalogue(templates, errors)
