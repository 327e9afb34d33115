"""Helpers for the end-to-end tests: a real app server and Debian's headless Chromium.

``playwright install`` cannot download browsers here, so Playwright drives the system
``chromium`` (found with ``shutil.which``); tests skip, saying why, where it is missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("no chromium on PATH: install Debian's 'chromium' package to run the browser tests")
    return path


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A free port that no other pytest-xdist worker can be handed at the same time.

    A port is free when asked for and bound by the server only seconds later; two workers
    asking in between could get the same one, and the second test's health check would then
    be answered by the first test's server (another workspace). Each worker takes ports from
    its own block, below the kernel's ephemeral range (where client sockets take theirs).
    """
    import random

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    low = 20_000 + (index % 10) * 1_000
    for port in random.sample(range(low, low + 1_000), 1_000):
        if port in _HANDED_OUT:  # two servers of one test are both started after both ports are taken
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free port in {low}-{low + 999} for test worker {worker}")


def server_env(workspace: Path) -> dict[str, str]:
    """The environment of an app server started by a test.

    Streamlit's file watcher is off: a source file changed while a test runs (a developer's
    edit, a merge in the lead's checkout) would otherwise make the page offer "Rerun" in the
    status area, and every wait for the app to be idle would time out."""
    env = dict(os.environ, WORKSHOP_HOME=str(workspace), PYTHONUNBUFFERED="1")
    env["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
    env.pop("WORKSHOP_DB_URL", None)
    return env


class AppServer:
    """``workshop ui`` in a child process, killable with SIGKILL and restartable."""

    def __init__(self, workspace: Path, port: int | None = None) -> None:
        self.workspace = workspace
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = ARTIFACTS / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> AppServer:
        """Start the server and wait until it answers; ``timeout`` (s) allows a loaded 2-core CI machine.

        It is ours that answers only once its log says it listens on the port: a server of
        another test run on this machine (another checkout's, not this run's workers, which
        take ports from separate blocks) could have taken the port after :func:`free_port`
        found it free, and would answer the health check for a few seconds while ours fails
        to bind and exits."""
        ARTIFACTS.mkdir(exist_ok=True)
        env = server_env(self.workspace)
        cmd = [sys.executable, "-m", "workshop", "ui", "--port", str(self.port), "--headless"]
        start_of_log = self.log.stat().st_size if self.log.exists() else 0
        listening = f"127.0.0.1:{self.port}".encode()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app server exited with {self.proc.returncode}; see {self.log}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r,
            ):
                with open(self.log, "rb") as log:
                    log.seek(start_of_log)
                    ours = b"URL: http://" + listening in log.read()
                if r.status == 200 and ours:
                    return self
            time.sleep(0.25)
        raise RuntimeError(f"app server did not answer within {timeout}s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing: what a crash or power cut looks like."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


#: Playwright's wait for an element or an action (ms). Generous: on a 2-core CI machine running two
#: browser tests and the unit tests at once a rerun of a page with the demo takes many seconds; a
#: wait that is too long costs nothing when the app is right, one too short fails a right app.
DEFAULT_TIMEOUT = 60_000
#: Waits on a whole run of a page (a first load with the demo, a page switch) (ms).
RUN_TIMEOUT = 120_000


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(DEFAULT_TIMEOUT)
            watch_runs(page)
            yield page
        finally:
            browser.close()


def wait_until(check: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    """Poll ``check`` (the store, or a widget through Playwright) until it holds; ``timeout`` in s.

    For a state in the browser prefer ``page.wait_for_function`` or Playwright's ``expect``."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def key_css(key: str) -> str:
    """The CSS class Streamlit gives a widget with a key ('v:1:a.b' -> '.st-key-v-1-a-b')."""
    return ".st-key-" + key.replace(":", "-").replace(".", "-")


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


#: The attribute Streamlit's app root carries with the state of the script run
#: ("initial", "running", "rerunRequested", "notRunning"); Streamlit's own browser tests wait on it.
_SCRIPT_STATE = "data-test-script-state"
_IDLE = f'[data-testid="stApp"][{_SCRIPT_STATE}="notRunning"]'

#: page -> script runs the server has reported finished on that page's websockets (see watch_runs)
_RUNS_FINISHED: dict[int, list[int]] = {}


def watch_runs(page) -> None:
    """Count the runs the server says it has finished (``script_finished`` on the page's websocket).

    Call before the page opens the app. The app root's script state (what :func:`rerun` watches
    in the page) is drawn by React, which draws only the last of the states it is given at once:
    when the server ends a short run (a table's cell saved) before a busy browser has handled its
    start, the page goes from "notRunning" to "notRunning" and never shows "running", though the
    run happened and was saved. The server's own message says so in every case."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    count = _RUNS_FINISHED.setdefault(id(page), [0])

    def on_frame(payload: str | bytes) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # not a message of Streamlit's: not a run's end
            return
        if msg.WhichOneof("type") == "script_finished":
            count[0] += 1

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    page.on("close", lambda _page: _RUNS_FINISHED.pop(id(page), None))


def _runs_finished(page) -> int | None:
    count = _RUNS_FINISHED.get(id(page))
    return count[0] if count else None


def wait_for_app(page, timeout: float = RUN_TIMEOUT) -> None:
    """Wait until Streamlit has finished its current run and drawn the page.

    The running indicator (``stStatusWidget``) is not enough: Streamlit draws it only once a
    run has lasted 500 ms, so a shorter wait can return in the middle of a rerun and read a
    widget before the rerun's new value reaches the page. The app root's script state is set
    for every run, but only once the server has answered: after a click it stays "notRunning"
    until the run starts. This first gives a run that moment (as Streamlit's own
    ``wait_for_app_run`` does), which is enough after a page load and not after a click on a
    loaded machine: there, use :func:`rerun`, which watches for the run to start, and then
    wait for the state the test checks. ``timeout`` (ms) allows a first load of a page with the
    demo on a loaded machine.
    """
    page.wait_for_timeout(250)
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout)  # every page has a title
    page.wait_for_selector(_IDLE, timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )


def rerun(page, action: Callable[[], object], timeout: float = RUN_TIMEOUT) -> None:
    """Do ``action`` (a click or key press that makes Streamlit rerun) and wait for that rerun.

    The app is first let finish a run still going (its end would otherwise be taken for the
    action's run). A watcher on the app root's script state is then put in place before the
    action, so a run that starts and ends between two polls is still seen, and the server's
    "run finished" messages are counted (:func:`watch_runs`), so a run the page never showed as
    running is seen too; then this waits until a run has happened and the app is idle again.
    ``action`` must make the app run: a click that does not times out here, saying so.
    """
    page.wait_for_selector(_IDLE, timeout=timeout)
    page.evaluate(
        """(attr) => {
            const app = document.querySelector('[data-testid="stApp"]');
            window.__uwRuns = 0;
            if (window.__uwWatch) window.__uwWatch.disconnect();
            window.__uwWatch = new MutationObserver((records) => {
                for (const r of records) {
                    if (r.oldValue === 'running' || app.getAttribute(attr) === 'running') window.__uwRuns += 1;
                }
            });
            window.__uwWatch.observe(app, {attributes: true, attributeOldValue: true, attributeFilter: [attr]});
        }""",
        _SCRIPT_STATE,
    )
    finished = _runs_finished(page)
    action()
    deadline = time.monotonic() + timeout / 1000
    # a run seen in the page, or (a short run the page never showed as running) ended by the server
    while not page.evaluate("() => window.__uwRuns > 0") and (
        finished is None or (_runs_finished(page) or 0) <= finished
    ):
        if time.monotonic() >= deadline:
            raise AssertionError(f"no run of the app started within {timeout / 1000:.0f}s of the action")
        page.wait_for_timeout(25)  # lets Playwright deliver the websocket's messages
    wait_for_app(page, timeout)


def wait_for_scroll_to_settle(
    page, scroller: str = '[data-testid="stMain"]', timeout: float = DEFAULT_TIMEOUT
) -> float:
    """The scroll position of ``scroller`` once it has stayed the same for 10 animation frames.

    After a run the browser may still move the scroll (its scroll anchoring following content
    drawn above, the page's own script, an expander's animation); a position read at once can be
    one of those steps. Returns the settled position."""
    page.wait_for_function(
        """(sel) => new Promise((done) => {
            const el = document.querySelector(sel);
            let last = el.scrollTop, same = 0;
            const step = () => {
                const now = el.scrollTop;
                same = now === last ? same + 1 : 0;
                last = now;
                if (same >= 10) done(true); else requestAnimationFrame(step);
            };
            requestAnimationFrame(step);
        })""",
        arg=scroller,
        timeout=timeout,
    )
    return page.evaluate("(sel) => document.querySelector(sel).scrollTop", scroller)


#: Set on the page's body by the workshop page's scroll-to-top script (``SCROLL_TOP_JS`` in
#: workshop/ui/pages/workshop.py) once it has made its last scroll after "Next section".
SCROLLED_TO_TOP = "() => document.body.dataset.uwScrolledToTop || ''"


def next_section(page) -> None:
    """Click the workshop page's "Next section" and wait until the new section's run is over and the
    page's script has made its last scroll to the top.

    The script scrolls until the run drawing the section has ended and for 800 ms more, and blurs
    the field in focus when it starts: a click or key sent in the meantime could land on the wrong
    question or in no field at all."""
    before = page.evaluate(SCROLLED_TO_TOP)
    rerun(page, page.locator(key_css("next_section")).get_by_role("button").click)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            f"(before) => ({SCROLLED_TO_TOP})() !== before", arg=before, timeout=RUN_TIMEOUT
        )
    except PlaywrightTimeout as e:
        raise AssertionError("after Next section the page's script never scrolled to the top") from e
