"""A saved answer survives the process being killed (SIGKILL) in the middle of saving others.

A child process saves answers in a loop and prints each question id right after
``save_answer`` returns. The parent kills it with SIGKILL while it is still writing,
then opens the store: every printed save must be there, the database must pass
SQLite's integrity check and each answer's history must be a consistent chain.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from workshop.interview.model import Application
from workshop.store import Store

PROJECT = Path(__file__).resolve().parent.parent
QUESTIONS = 7  # few questions, so most saves update an existing answer (history with old and new)

CHILD = r"""
import sys
from workshop.store import Store

store = Store.open(sys.argv[1])
interview_id, start, who = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
questions = int(sys.argv[5])
print("ready", flush=True)
n = start
while True:
    qid = f"q.{n % questions}"
    store.save_answer(interview_id, qid, {"n": n, "text": "é" * (n % 40)}, who=who)
    print(f"{qid} {n}", flush=True)
    n += 1
"""

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def _run_and_kill(workspace: Path, interview_id: int, start: int, who: str, kill_after: int) -> list[int]:
    """Start the writer, let it save ``kill_after`` answers, SIGKILL it; return every n it printed."""
    env = os.environ | {"PYTHONPATH": str(PROJECT), "WORKSHOP_HOME": str(workspace)}
    env.pop("WORKSHOP_DB_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(workspace), str(interview_id), str(start), who, str(QUESTIONS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT,
        env=env,
    )
    # Never hang the suite. Only a guard against a hang: starting Python, opening the store and
    # saving the first answers took seconds on a loaded 2-core CI machine, so it is not tight.
    watchdog = threading.Timer(300, proc.kill)
    watchdog.start()
    printed: list[int] = []
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        while len(printed) < kill_after:
            line = proc.stdout.readline()
            assert line, f"writer stopped early: {proc.stderr.read()}"
            printed.append(int(line.split()[1]))
        os.kill(proc.pid, signal.SIGKILL)  # while it is saving the next answers
        rest, _ = proc.communicate(timeout=10)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # lines already in the pipe when the child died were printed after their save returned too
    printed += [int(line.split()[1]) for line in rest.splitlines() if line.strip()]
    assert printed == list(range(start, start + len(printed)))
    return printed


def _check(store: Store, interview_id: int, printed: list[int]) -> int:
    """Every printed save is there; history is a consistent chain. Returns the number of saves kept."""
    assert store.integrity_check() == []
    answers = store.answers(interview_id)
    last_printed = printed[-1]
    in_flight = last_printed + 1  # the save the child may have committed but not yet printed
    for qnum in range(QUESTIONS):
        qid = f"q.{qnum}"
        mine = [n for n in printed if n % QUESTIONS == qnum]
        if not mine:
            continue
        stored = answers[qid].value["n"]
        allowed = {mine[-1]} | ({in_flight} if in_flight % QUESTIONS == qnum else set())
        assert stored in allowed, (qid, stored, mine[-1])
        assert answers[qid].value["text"] == "é" * (stored % 40)

    total = 0
    for qid, answer in answers.items():
        hist = store.history(interview_id, qid)
        assert [h.revision for h in hist] == list(range(1, answer.revision + 1)), qid
        assert hist[0].old is None
        for before, after in itertools.pairwise(hist):
            assert after.old == before.new, qid
            assert after.new["value"]["n"] > before.new["value"]["n"]
        assert hist[-1].new == answer.state()
        total += len(hist)
    # one history row per committed save: all printed ones, and at most the one in flight
    return total


def test_answers_survive_sigkill(workspace: Path) -> None:
    with Store.open() as s:
        s.create_application(Application("crash", "Crash test"))
        interview_id = s.create_interview("crash", "test-mini", "1").id

    first = _run_and_kill(workspace, interview_id, start=0, who="first", kill_after=40)
    with Store.open() as s:
        kept = _check(s, interview_id, first)
    assert kept in (len(first), len(first) + 1)

    # the workspace keeps working after the crash: a second writer continues and is killed too
    start = kept
    second = _run_and_kill(workspace, interview_id, start=start, who="second", kill_after=25)
    with Store.open() as s:
        kept_after = _check(s, interview_id, second)
        assert kept_after in (start + len(second), start + len(second) + 1)
        whos = {h.who for h in s.history(interview_id)}
        assert whos == {"first", "second"}
