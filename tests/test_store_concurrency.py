"""Several facilitators saving into one interview at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

from workshop.core.errors import StaleEditError
from workshop.interview.model import Application
from workshop.store import Store


def _setup() -> int:
    with Store.open() as s:
        s.create_application(Application("pay", "Payroll"))
        return s.create_interview("pay", "q", "1").id


def test_parallel_saves_all_land(workspace: Path, backend: str) -> None:
    iid = _setup()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with Store.open() as s:
                for i in range(15):
                    s.save_answer(iid, f"q.w{n}_{i}", {"n": n, "i": i}, who=f"f{n}")
                    s.save_answer(
                        iid, "q.shared", f"{n}-{i}", who=f"f{n}"
                    )  # last writer wins, no expected rev
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a save never finished"
    assert not errors, errors
    with Store.open() as s:
        answers = s.answers(iid)
        history = s.history(iid, "q.shared")
    assert all(answers[f"q.w{n}_{i}"].value == {"n": n, "i": i} for n in range(6) for i in range(15))
    # Every save of the shared answer is in its history, each revision exactly once.
    assert [h.revision for h in history] == list(range(1, 91))
    assert answers["q.shared"].revision == 90


def test_racing_first_saves_with_revisions_one_wins_others_told(workspace: Path, backend: str) -> None:
    iid = _setup()
    outcomes: list[str] = []
    barrier = threading.Barrier(5)

    def worker(n: int) -> None:
        with Store.open() as s:
            barrier.wait()
            try:
                s.save_answer(iid, "q.race", f"from {n}", who=f"f{n}", expected_revision=0)
                outcomes.append("saved")
            except StaleEditError as exc:
                assert exc.current.value is not None and exc.current.value.startswith("from ")
                outcomes.append("stale")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a save never finished"
    assert sorted(outcomes) == ["saved"] + ["stale"] * 4
    with Store.open() as s:
        assert s.get_answer(iid, "q.race").revision == 1
