"""The workshop page's save callbacks never turn a value the session does not hold into an
empty answer, and leave flags it does not hold as they are stored. These tests call the
callbacks with such a session."""

from __future__ import annotations

from typing import Any

import pytest

from workshop.services.catalogues import DEFAULT_QUESTIONNAIRE, load_questionnaires
from workshop.ui import widgets

QID_TEXT = "response.business_impact"
QID_BOOL = "response.can_disable_accounts"


@pytest.fixture()
def saved(monkeypatch) -> tuple[dict[str, Any], list[tuple[str, Any, dict]]]:
    session: dict[str, Any] = {}
    calls: list[tuple[str, Any, dict]] = []
    monkeypatch.setattr(widgets.st, "session_state", session)
    monkeypatch.setattr(widgets, "save", lambda q, iid, qid, who, value=..., **flags: calls.append((qid, value, flags)))
    return session, calls


def _q():
    return load_questionnaires(None).get(DEFAULT_QUESTIONNAIRE)


def test_a_value_the_session_does_not_hold_is_not_saved_as_empty(saved) -> None:
    _session, calls = saved
    q = _q()
    widgets._on_value(q, 1, QID_TEXT, "facilitator")
    widgets._on_value(q, 1, QID_BOOL, "facilitator")
    assert calls == []  # before: both saved as None


def test_a_value_the_session_holds_is_saved_even_when_cleared(saved) -> None:
    session, calls = saved
    q = _q()
    session[widgets.key(1, QID_TEXT)] = "It stops payroll."
    session[widgets.key(1, QID_BOOL)] = None  # a person un-picked Yes: that is an answer to save
    widgets._on_value(q, 1, QID_TEXT, "facilitator")
    widgets._on_value(q, 1, QID_BOOL, "facilitator")
    assert calls == [(QID_TEXT, "It stops payroll.", {}), (QID_BOOL, None, {})]


def test_flags_the_session_does_not_hold_are_left_as_stored(saved) -> None:
    session, calls = saved
    q = _q()
    session[widgets.key(1, QID_TEXT, "unk")] = True
    widgets._on_flag(q, 1, QID_TEXT, "facilitator")
    assert calls == [(QID_TEXT, ..., {"unknown": True, "follow_up": None, "follow_up_owner": None,
                                      "follow_up_note": None})]  # fmt: skip
