"""Server-side time of one full run of the Workshop page, with a cProfile of the script thread.

Drives the app with AppTest on the demo (like bench_workshop_rerun.py) but keeps one compiled-script
cache, as the real server does (AppTest compiles the page on every run), and reports the script
thread's CPU time (time.thread_time), which other load on a shared machine barely changes.

    python benchmarks/profile_workshop_run.py [SECTION] [answer|switch]   # N=20 LINES=40 SORT=cumulative
"""

# ruff: noqa: E402  (WORKSHOP_HOME is set before the app modules are imported)

import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(os.getcwd())
ws = Path(tempfile.mkdtemp(prefix="prof-ws-"))
os.environ["WORKSHOP_HOME"] = str(ws)
import streamlit.testing.v1.app_test as _apt
from streamlit.runtime.scriptrunner.script_cache import ScriptCache as _SC
from streamlit.testing.v1 import AppTest

import workshop.ui.main as M
from workshop.services.catalogues import load_questionnaires
from workshop.services.demo import create_demo
from workshop.store import Store

_ONE = _SC()
_apt.ScriptCache = lambda: _ONE  # the real server compiles a page once; AppTest would on every run
import streamlit.testing.v1.local_script_runner as _lsr

_lsr.ScriptCache = lambda: _ONE
sec = sys.argv[1] if len(sys.argv) > 1 else "purpose"
mode = sys.argv[2] if len(sys.argv) > 2 else "answer"
with Store.open(ws) as s:
    create_demo(s, load_questionnaires(ws))
    iv = s.latest_interview("payroll-portal")
    s.set_current_section(iv.id, sec)
orig = M.main
PR = cProfile.Profile()
STATE = {"on": False, "times": []}


def timed():
    t0 = time.perf_counter()
    c0 = time.thread_time()
    if STATE["on"]:
        PR.enable()
    try:
        orig()
    finally:
        if STATE["on"]:
            PR.disable()
        STATE["times"].append((time.perf_counter() - t0) * 1000)
        STATE.setdefault("cpu", []).append((time.thread_time() - c0) * 1000)


M.main = timed
at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
at.query_params["app"] = "payroll-portal"
at.run()
at.switch_page("workshop/ui/pages/workshop.py").run()
assert not at.exception, at.exception
N = int(os.environ.get("N", 20))
STATE["times"].clear()
STATE["cpu"] = []
for i in range(N):
    if mode == "answer":
        at.text_area(key=f"v:{iv.id}:purpose.summary").input(f"x {i}")
    else:
        target = "users" if i % 2 == 0 else "purpose"
        at.button(key=f"nav_{target}").click()
    STATE["on"] = i >= 3
    at.run()
assert not at.exception, at.exception
t = STATE["times"][3:]
c = STATE["cpu"][3:]
print(
    f"{mode} full script run: wall median {statistics.median(t):.1f} ms; script-thread CPU median {statistics.median(c):.1f} ms min {min(c):.1f} (n={len(t)})"
)
st = pstats.Stats(PR)
st.sort_stats(os.environ.get("SORT", "cumulative"))
s = io.StringIO()
st.stream = s
st.print_stats(int(os.environ.get("LINES", 40)))
print(s.getvalue())
