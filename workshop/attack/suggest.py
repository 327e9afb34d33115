"""Suggesting ATT&CK techniques for a use case or for an application.

Two questions come up in a workshop: "which technique is this use case about?"
(from its title and objective) and "what should we worry about for this
application?" (from its platforms and interview answers). Both return
:class:`Suggestion` records that carry the reason in words a facilitator can read
out, and, when a MITRE bundle is loaded, the detection strategies, the analytics
for the application's platforms and their mutable elements (the thresholds and
windows a baseline fills in).

Application rules are data (``attack_data/builtin/suggestion_rules.yaml``), not
code: a detection engineer adds a rule without touching Python, and the rules
file is checked when loaded (unknown operators are errors with their line).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workshop.attack.builtin import BUILTIN_DIR, app_logs_note
from workshop.attack.index import AttackIndex
from workshop.attack.model import Technique
from workshop.attack.search import normalise, tokens
from workshop.core.errors import Problems, ValidationErrors

RULES_FILE = BUILTIN_DIR / "suggestion_rules.yaml"

#: Use-case suggestions below this share of the best score are noise.
MIN_RELATIVE_SCORE = 0.15
#: Score factors for use-case suggestions: the whole name in the text, most of
#: the name's words in the text, and fit of platforms and tactics.
NAME_IN_TEXT = 25.0
NAME_WORDS = 12.0
PLATFORM_FIT = 1.2
PLATFORM_MISFIT = 0.3
TACTIC_FIT = 1.5
TACTIC_MISFIT = 0.25
#: Application suggestions for techniques ATT&CK does not list for the app's platforms.
APP_PLATFORM_MISFIT = 0.5


@dataclass(slots=True)
class Suggestion:
    """A technique worth considering, why, and what MITRE offers to detect it."""

    technique_id: str
    name: str
    tactics: list[str]
    platforms: list[str]
    score: float
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    detection_strategies: list[dict[str, Any]] = field(default_factory=list)
    mutable_elements: list[dict[str, str]] = field(default_factory=list)
    app_logs: str | None = None
    url: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Rule:
    id: str
    when: Any
    techniques: list[str]
    reason: str
    weight: float = 1.0


_OPERATORS = ("is", "includes", "in", "answered")


def load_rules(path: Path | None = None) -> list[Rule]:
    """Read and check the rules file; every problem is reported with its line."""
    from workshop.core.yamlsource import line_of, load_file  # PyYAML only when a catalogue is read

    path = Path(path or RULES_FILE)
    doc = load_file(path)
    problems = Problems(str(path))
    items = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        problems.add("the rules file needs a 'rules' list")
        raise ValidationErrors(problems.errors)
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        line = line_of(items, i)
        if not isinstance(item, dict):
            problems.add("each rule must be a mapping", line)
            continue
        rid = item.get("id")
        if not isinstance(rid, str) or not rid:
            problems.add("a rule needs an 'id'", line)
            continue
        if rid in seen:
            problems.add(f"rule '{rid}' is defined twice", line)
        seen.add(rid)
        techniques = item.get("techniques")
        if (
            not isinstance(techniques, list)
            or not techniques
            or not all(isinstance(t, str) for t in techniques)
        ):
            problems.add(f"rule '{rid}': 'techniques' must be a list of technique IDs", line)
            techniques = []
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.add(f"rule '{rid}': 'reason' must say why the techniques matter", line)
            reason = ""
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            problems.add(f"rule '{rid}': 'weight' must be a positive number", line)
            weight = 1
        when = item.get("when", "always")
        for message in _check_condition(when):
            problems.add(f"rule '{rid}': {message}", line_of(item, "when") or line)
        rules.append(
            Rule(rid, when, [t.strip().upper() for t in techniques], " ".join(reason.split()), float(weight))
        )
    problems.raise_if_any()
    return rules


def _check_condition(cond: Any) -> list[str]:
    if cond == "always" or cond is None:
        return []
    if not isinstance(cond, dict) or len(cond) == 0:
        return [f"a condition must be 'always' or a mapping, not {cond!r}"]
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        parts = cond[key]
        if len(cond) != 1 or not isinstance(parts, list) or not parts:
            return [f"'{key}' takes a non-empty list of conditions and nothing beside it"]
        return [m for p in parts for m in _check_condition(p)]
    if "not" in cond:
        return (
            ["'not' takes one condition and nothing beside it"]
            if len(cond) != 1
            else _check_condition(cond["not"])
        )
    if "platforms_any" in cond:
        plats = cond["platforms_any"]
        ok = len(cond) == 1 and isinstance(plats, list) and all(isinstance(p, str) for p in plats)
        return [] if ok else ["'platforms_any' takes a list of platform names and nothing beside it"]
    if "answer" in cond:
        ops = [k for k in cond if k != "answer"]
        if not isinstance(cond["answer"], str) or len(ops) != 1 or ops[0] not in _OPERATORS:
            return [f"an answer condition needs 'answer: KEY' and one of {', '.join(_OPERATORS)}"]
        if ops[0] == "in" and not isinstance(cond["in"], list):
            return ["'in' takes a list of values"]
        return []
    return [f"unknown condition {sorted(cond)} (use answer, platforms_any, all, any or not)"]


def answer_value(answers: Mapping[str, Any], key: str) -> Any:
    """An answer by question id: flat (``{"section.question": ...}``) or nested
    (``{"section": {"question": ...}}``); the ids come from the suggestion rules' data.

    A value stored as ``{"value": ...}`` (an answer record) is unwrapped.
    """
    value: Any = answers
    if key in answers:
        value = answers[key]
    else:
        for part in key.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
    if isinstance(value, Mapping) and "value" in value:
        value = value["value"]
    return value


def _as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "y"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("no", "false", "n"):
        return False
    return value


def _values(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str | int | float | bool):
        value = [value]
    return {str(v).strip().lower() for v in value}


def evaluate(cond: Any, answers: Mapping[str, Any], platforms: set[str]) -> bool:
    """Whether a rule condition holds for these answers and (lower-cased) platforms."""
    if cond == "always" or cond is None:
        return True
    if "all" in cond:
        return all(evaluate(c, answers, platforms) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, answers, platforms) for c in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], answers, platforms)
    if "platforms_any" in cond:
        return bool(platforms & {p.lower() for p in cond["platforms_any"]})
    value = answer_value(answers, cond["answer"])
    if "answered" in cond:
        answered = value not in (None, "", [], {})
        return answered == bool(cond["answered"])
    if "is" in cond:
        expected = cond["is"]
        if isinstance(expected, bool):
            return _as_bool(value) is expected
        return value is not None and str(value).strip().lower() == str(expected).strip().lower()
    if "includes" in cond:
        return bool(_values(value) & _values(cond["includes"]))
    if "in" in cond:
        return (
            value is not None
            and not isinstance(value, list | dict)
            and str(value).strip().lower() in _values(cond["in"])
        )
    return False  # pragma: no cover - conditions are checked when loaded


# ---------------------------------------------------------------------------
# Suggestions
# ---------------------------------------------------------------------------


def suggest_for_application(
    index: AttackIndex,
    platforms: Sequence[str] | None,
    answers: Mapping[str, Any],
    rules: Sequence[Rule] | None = None,
    limit: int | None = None,
) -> list[Suggestion]:
    """Techniques an application's answers point to, best first, each with its reasons.

    A technique suggested by several rules adds up their weights. Techniques that
    ATT&CK does not list for the application's platforms stay in the list at half
    the score, with a note: an in-house app on Linux is still hit by "SaaS" techniques
    such as stolen session cookies.
    """
    rules = load_rules() if rules is None else rules
    plats = {p.strip().lower() for p in platforms or () if p}
    found: dict[str, Suggestion] = {}
    for rule in rules:
        if not evaluate(rule.when, answers, plats):
            continue
        for tid in rule.techniques:
            t = index.technique(tid)
            if t is None:
                continue  # not in this release (or revoked): nothing to suggest
            s = found.get(t.id)
            if s is None:
                s = found[t.id] = _suggestion(t, 0.0)
            s.score += rule.weight
            s.reasons.append(rule.reason)
            s.rules.append(rule.id)
    for s in found.values():
        if plats and not plats & {p.lower() for p in s.platforms}:
            s.score *= APP_PLATFORM_MISFIT
            s.reasons.append(f"ATT&CK does not list this technique for {', '.join(sorted(platforms or []))}.")
        s.score = round(s.score, 2)
    ranked = _rank(index, found.values())
    if limit is not None:
        ranked = ranked[:limit]
    for s in ranked:
        _attach_detection(index, s, platforms)
    return ranked


def suggest_for_use_case(
    index: AttackIndex,
    title: str,
    objective: str = "",
    platforms: Sequence[str] | None = None,
    tactics: Sequence[str] | None = None,
    limit: int = 10,
) -> list[Suggestion]:
    """Techniques whose name, words, platforms and tactics fit a use case, best first."""
    text = f"{title} {objective}".strip()
    if not text:
        return []
    engine = index.engine
    scores, matched, _ = engine.match_words(text, coordinate=False)
    plain = f" {normalise(text)} "
    words = set(tokens(text))
    plats = {p.strip().lower() for p in platforms or () if p}
    tacs = {t.strip().lower() for t in tactics or () if t}
    found: dict[str, Suggestion] = {}
    offset = index.doc_offset("techniques")
    for pos, t in enumerate(index.techniques):
        if t.revoked or t.deprecated:
            continue
        doc = offset + pos
        score = scores.get(doc, 0.0)
        reasons = []
        name = normalise(t.name)
        name_words = set(tokens(t.name))
        if len(name) > 3 and f" {name} " in plain:
            score += NAME_IN_TEXT
            reasons.append(f"the text names the technique ('{t.name}')")
        elif name_words:
            coverage = len(name_words & words) / len(name_words)
            if coverage >= 0.5:
                score += NAME_WORDS * coverage
                reasons.append(f"most words of the name ('{t.name}')")
        if score <= 0:
            continue
        if doc in matched:
            reasons.append("shared words: " + ", ".join(sorted(matched[doc])))
        if plats:
            common = sorted(p for p in t.platforms if p.lower() in plats)
            if common:
                score *= PLATFORM_FIT
                reasons.append("platform: " + ", ".join(common))
            else:
                score *= PLATFORM_MISFIT
                reasons.append("ATT&CK does not list it for " + ", ".join(sorted(platforms or [])))
        if tacs:
            common = [x for x in t.tactics if x in tacs]
            if common:
                score *= TACTIC_FIT
                reasons.append("tactic: " + ", ".join(common))
            else:
                score *= TACTIC_MISFIT
        s = _suggestion(t, round(score, 2))
        s.reasons = reasons
        found[t.id] = s
    ranked = _rank(index, found.values())
    if ranked:
        floor = ranked[0].score * MIN_RELATIVE_SCORE
        ranked = [s for s in ranked if s.score >= floor]
    ranked = ranked[: max(0, limit)]
    for s in ranked:
        _attach_detection(index, s, platforms)
    return ranked


def _suggestion(t: Technique, score: float) -> Suggestion:
    return Suggestion(
        technique_id=t.id,
        name=t.name,
        tactics=list(t.tactics),
        platforms=list(t.platforms),
        score=score,
        app_logs=t.app_logs or app_logs_note(t.id),
        url=t.url,
    )


def _rank(index: AttackIndex, items: Iterable[Suggestion]) -> list[Suggestion]:
    order = {t.shortname: i for i, t in enumerate(index.tactics)}

    def key(s: Suggestion) -> tuple[float, int, str]:
        first = min((order.get(t, 99) for t in s.tactics), default=99)
        return (-s.score, first, s.technique_id)

    return sorted(items, key=key)


def _attach_detection(index: AttackIndex, s: Suggestion, platforms: Sequence[str] | None) -> None:
    """MITRE's detection strategies for the technique, with the analytics for the app's platforms."""
    wanted = list(platforms) if platforms else None
    seen: set[tuple[str, str]] = set()
    for strategy in index.detection_strategies_for(s.technique_id):
        analytics = index.analytics_for(strategy, wanted)
        s.detection_strategies.append(
            {
                "id": strategy.id,
                "name": strategy.name,
                "url": strategy.url,
                "analytics": [
                    {
                        "id": a.id,
                        "platform": a.platform,
                        "description": a.description,
                        "log_sources": [ls.to_dict() for ls in a.log_sources],
                        "mutable_elements": [m.to_dict() for m in a.mutable_elements],
                    }
                    for a in analytics
                ],
            }
        )
        for a in analytics:
            for m in a.mutable_elements:
                if (a.id, m.field) not in seen:
                    seen.add((a.id, m.field))
                    s.mutable_elements.append(
                        {
                            "field": m.field,
                            "description": m.description,
                            "analytic": a.id,
                            "platform": a.platform,
                        }
                    )
