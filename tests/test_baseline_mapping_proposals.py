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


def test_a_csv_head_read_by_arrow_gets_the_proposal_its_frame_gets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The command proposes from the Arrow head without pandas; the page and the other
    formats propose from a frame. Both must propose the same: columns pandas types
    differently from Arrow (whole numbers with gaps become floats, booleans with gaps
    objects, dates and times objects) are where they could part."""
    from workshop.baseline.loading import read_head
    from workshop.baseline.readers import reader

    path = tmp_path / "export.csv"
    path.write_text(
        "date,time,user,status,source_ip,records,accountCount,ok,country,bytes\n"
        "2024-03-04,09:00:00,alice,200,10.0.0.1,3,604938266702,true,DE,-\n"
        "2024-03-04,09:05:00,bob,,10.0.0.2,,604938266702,,FR,120\n"
        "2024-03-05,10:00:00,alice,404,-,7,604938266702,false,de,5\n"
        "2024-03-05,11:30:00,-,500,10.0.0.3,2,604938266702,true,US,7\n",
        encoding="utf-8",
    )
    _fmt, head = read_head(path, "csv")
    from_arrow = reader("csv").proposal(head.data)
    from_frame = propose_mapping(head.frame)
    assert from_arrow.mapping["timestamp"] == "date + time"  # the proposal did look at the values
    assert (from_arrow.mapping, from_arrow.reasons, from_arrow.candidates) == (
        from_frame.mapping,
        from_frame.reasons,
        from_frame.candidates,
    )
