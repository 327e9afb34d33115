"""Interviews as YAML files: the document written on export and the checks on import.

The file carries the application's profile, the interview's metadata and every
answer with its flags, so that ``export`` then ``import`` into an empty workspace
recreates the same application and answers. The YAML is always produced by a YAML
serialiser from data (never by pasting text into a template), so any answer text
round-trips. Reading and writing the store is :mod:`workshop.services.interview_io`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workshop import __version__
from workshop.core import yamlsource
from workshop.core.errors import AnswerError, InputError, LoadError, Location, Problems
from workshop.core.text import bad_character
from workshop.core.yamlsource import YMap
from workshop.interview.model import Answer, Application, Interview
from workshop.questionnaire import Catalogue, Questionnaire, coerce

FORMAT = "use-case-workshop/interview"
FORMAT_VERSION = 1
STATE_KEYS = {"value", "unknown", "follow_up"}
FOLLOW_UP_KEYS = {"owner", "note"}
PROFILE_KEYS = {"slug", "name", "owner", "criticality", "description", "platforms"}


def interview_document(
    app: Application,
    interview: Interview,
    answers: Mapping[str, Answer],
    questionnaire: Questionnaire | None = None,
) -> dict[str, Any]:
    """The interview file's content: profile, metadata and every answer with its flags."""
    order = {q.id: i for i, q in enumerate(questionnaire.questions)} if questionnaire else {}
    out: dict[str, Any] = {}
    for qid in sorted(answers, key=lambda k: (order.get(k, len(order)), k)):
        a = answers[qid]
        entry: dict[str, Any] = {}
        if a.value is not None:
            entry["value"] = a.value
        if a.unknown:
            entry["unknown"] = True
        if a.follow_up or a.follow_up_owner or a.follow_up_note:
            entry["follow_up"] = {"owner": a.follow_up_owner, "note": a.follow_up_note}
            if not a.follow_up:
                entry["follow_up"]["open"] = False
        if entry:
            out[qid] = entry
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_by": f"workshop {__version__}",
        "application": app.profile_dict(),
        "interview": {
            "questionnaire": interview.questionnaire_id,
            "questionnaire_version": interview.questionnaire_version,
            "held_on": interview.held_on,
            "facilitator": interview.facilitator,
            "participants": list(interview.participants),
            "status": interview.status,
        },
        "answers": out,
    }


@dataclass
class ParsedInterview:
    """A checked interview file, ready to write."""

    application: Application | None
    questionnaire: Questionnaire
    held_on: str
    facilitator: str
    participants: list[str]
    states: dict[str, dict[str, Any]]


def parse_interview(
    text: str, filename: str, catalogue: Catalogue, *, force_version: bool = False
) -> ParsedInterview:
    """Check an interview file against its questionnaire; raise ValidationErrors listing every problem."""
    data = yamlsource.load(text, filename)
    p = Problems(filename)
    if not isinstance(data, YMap):
        raise LoadError(
            "an interview file must be a mapping (format, application, interview, answers)",
            Location(filename, 1),
        )
    fmt = data.get("format")
    if fmt != FORMAT:
        p.add(f"'format' must be '{FORMAT}' (is this an interview file?)", data.line_of("format"))
    fv = data.get("format_version", FORMAT_VERSION)
    if fv != FORMAT_VERSION:
        p.add(
            f"format_version {fv!r} is not supported (this toolkit reads {FORMAT_VERSION})",
            data.line_of("format_version"),
        )
    p.raise_if_any()

    app = None
    app_raw = data.get("application")
    if isinstance(app_raw, YMap) and any(app_raw.get(k) for k in ("slug", "name")):
        try:
            # only the profile a person owns; timestamps and unknown keys are not imported
            app = Application.from_dict({k: v for k, v in app_raw.items() if k in PROFILE_KEYS}).validated()
        except InputError as exc:
            p.add(f"application: {exc.message}", app_raw.line)
    elif app_raw is not None and not isinstance(app_raw, YMap):
        p.add("'application' must be a mapping", data.line_of("application"))

    meta = data.get("interview")
    if not isinstance(meta, YMap):
        p.fail(
            "'interview' must be a mapping with at least 'questionnaire'",
            data.line_of("interview") or data.line,
        )
    qid = str(meta.get("questionnaire") or "")
    if qid not in catalogue.questionnaires:
        known = ", ".join(sorted(catalogue.questionnaires)) or "none"
        p.fail(f"unknown questionnaire '{qid}' (available: {known})", meta.line_of("questionnaire"))
    questionnaire = catalogue.questionnaires[qid]
    version = str(meta.get("questionnaire_version", questionnaire.version))
    if version != questionnaire.version and not force_version:
        p.add(
            f"file was written for {qid} version {version}, but this workspace has version "
            f"{questionnaire.version}; check the answers still mean the same and import with "
            "--force-version (unknown question ids are still refused)",
            meta.line_of("questionnaire_version"),
        )
    participants = meta.get("participants") or []
    if not isinstance(participants, list):
        p.add("'participants' must be a list of names", meta.line_of("participants"))
        participants = []

    states: dict[str, dict[str, Any]] = {}
    answers_raw = data.get("answers") or YMap()
    if not isinstance(answers_raw, YMap):
        p.add("'answers' must be a mapping of question id to answer", data.line_of("answers"))
        answers_raw = YMap()
    for key, raw in answers_raw.items():
        line = answers_raw.line_of(key)
        if not isinstance(key, str) or not questionnaire.has_question(key):
            p.add(f"'{key}' is not a question of {qid} {questionnaire.version}", line)
            continue
        try:
            state = _answer_state(questionnaire, key, raw)
        except (AnswerError, InputError) as exc:
            p.add(exc.message, line)
            continue
        if state:
            states[key] = state
    p.raise_if_any()
    return ParsedInterview(
        application=app,
        questionnaire=questionnaire,
        held_on=str(meta.get("held_on") or ""),
        facilitator=str(meta.get("facilitator") or ""),
        participants=[str(x) for x in participants],
        states=states,
    )


def _answer_state(questionnaire: Questionnaire, qid: str, raw: Any) -> dict[str, Any]:
    question = questionnaire.question(qid)
    # Full form {value, unknown, follow_up}; anything else is a bare value.
    if not (isinstance(raw, dict) and raw and set(raw) <= STATE_KEYS):
        raw = {"value": raw}
    state: dict[str, Any] = {"value": coerce(question, raw.get("value"))}
    unknown = raw.get("unknown", False)
    if not isinstance(unknown, bool):
        raise AnswerError(f"{qid}: 'unknown' must be true or false")
    state["unknown"] = unknown
    fu = raw.get("follow_up")
    if fu is None or fu is False:
        state.update(follow_up=False, follow_up_owner="", follow_up_note="")
    elif fu is True:
        state.update(follow_up=True, follow_up_owner="", follow_up_note="")
    elif isinstance(fu, dict):
        extra = set(fu) - FOLLOW_UP_KEYS - {"open"}
        if extra:
            raise AnswerError(f"{qid}: unknown follow-up key(s) {', '.join(sorted(map(str, extra)))}")
        state.update(
            follow_up=bool(fu.get("open", True)),
            follow_up_owner=str(fu.get("owner") or ""),
            follow_up_note=str(fu.get("note") or ""),
        )
        for key in ("follow_up_owner", "follow_up_note"):
            bad = bad_character(state[key], multiline=key == "follow_up_note")
            if bad:
                raise AnswerError(f"{qid}: follow-up {key.removeprefix('follow_up_')} contains a control character {bad}")
    else:
        raise AnswerError(f"{qid}: 'follow_up' must be true or a mapping with owner and note")
    if state["value"] is None and not state["unknown"] and not state["follow_up"]:
        return {}
    return state


__all__ = ["FORMAT", "ParsedInterview", "interview_document", "parse_interview"]
