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

    def start(self, timeout: float = 60) -> AppServer:
        ARTIFACTS.mkdir(exist_ok=True)
        env = dict(os.environ, WORKSHOP_HOME=str(self.workspace), PYTHONUNBUFFERED="1")
        env.pop("WORKSHOP_DB_URL", None)
        cmd = [sys.executable, "-m", "workshop", "ui", "--port", str(self.port), "--headless"]
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
                if r.status == 200:
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


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(20_000)
            yield page
        finally:
            browser.close()


def wait_until(check: Callable[[], bool], timeout: float = 15, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


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


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished its current run and drawn the page.

    The running indicator (``stStatusWidget``) is not enough: Streamlit draws it only once a
    run has lasted 500 ms, so a shorter wait can return in the middle of a rerun and read a
    widget before the rerun's new value reaches the page. The app root's script state is set
    for every run. A rerun asked for by a click starts a moment later, so this first gives it
    that moment (as Streamlit's own ``wait_for_app_run`` does); :func:`rerun` instead watches
    for the run to start, which does not depend on the moment being long enough. ``timeout``
    (ms) is for runs known to be long (the rule tests), on a loaded machine.
    """
    page.wait_for_timeout(250)
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout)  # every page has a title
    page.wait_for_selector(_IDLE, timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )


def rerun(page, action: Callable[[], object], timeout: float = 30_000) -> None:
    """Do ``action`` (a click or key press that makes Streamlit rerun) and wait for that rerun.

    A watcher on the app root's script state is put in place before the action, so a run that
    starts and ends between two polls is still seen; then this waits until a run has started
    and the app is idle again.
    """
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
    action()
    page.wait_for_function("() => window.__uwRuns > 0", timeout=timeout)
    wait_for_app(page, timeout)
