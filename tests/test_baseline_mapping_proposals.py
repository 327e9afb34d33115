"""Mapping proposals rank by whole-word names, filled values and value shape (issue 17)."""

from __future__ import annotations

import pandas as pd

from workshop.baseline.mapping import name_words, propose_mapping

TIMES = ["2024-03-04T09:00:00Z", "2024-03-04T09:05:00Z", "2024-03-04T09:10:00Z", "2024-03-04T10:00:00Z"]


def test_whole_words_not_substrings() -> None:
    assert name_words("recipientAccountId") == ["recipient", "account", "id"]
    head = pd.DataFrame(
        {"eventTime": TIMES, "recipientAccountId": ["604938266702"] * 4, "eventName": ["x"] * 4}
    )
    proposal = propose_mapping(head)
    assert "records" not in proposal.mapping  # "count" is inside "account", not a word of it
    assert proposal.mapping["action"] == "eventName"


def test_usual_name_beats_a_less_usual_one() -> None:
    """Zeek: uid is a connection id, username the user; no alphabetical tie-break."""
    head = pd.DataFrame(
        {"ts": TIMES, "uid": ["CHhAvVGS1DHFjwGM9"] * 4, "username": ["alice", "bob", "alice", "eve"]}
    )
    assert propose_mapping(head).mapping["user"] == "username"


def test_filled_column_beats_a_mostly_empty_one() -> None:
    """CloudTrail: sessionIssuer.userName is empty on most events, userIdentity.userName is not."""
    head = pd.DataFrame({
        "eventTime": TIMES,
        "userIdentity.sessionContext.sessionIssuer.userName": [None, None, None, "role"],
        "userIdentity.userName": ["alice", "bob", "carol", None],
    })  # fmt: skip
    assert propose_mapping(head).mapping["user"] == "userIdentity.userName"


def test_values_that_do_not_fit_are_not_proposed() -> None:
    head = pd.DataFrame(
        {"time": TIMES, "status": ["queued", "running", "queued", "done"], "count": [-1.5, 2, 3, 4]}
    )
    proposal = propose_mapping(head)
    assert "outcome" not in proposal.mapping and "status" in proposal.candidates["outcome"]
    assert "records" not in proposal.mapping
