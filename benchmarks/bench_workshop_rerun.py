"""Server-side time of one answer-and-rerun on the Workshop page (issue 3).

Drives the real app with Streamlit's AppTest on the default questionnaire (the demo
application, 85 questions, on its largest sections): each iteration changes one answer
and reruns the script, which saves the answer through the store and redraws the page.
The budget is 150 ms at the median on this machine.

    .venv/bin/python benchmarks/bench_workshop_rerun.py [--iterations 60]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import ROOT, summary_ms, table

BUDGET_MS = 150.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=60)
    args = ap.parse_args()

    ws = Path(tempfile.mkdtemp(prefix="bench-ws-"))
    os.environ["WORKSHOP_HOME"] = str(ws)
    from streamlit.testing.v1 import AppTest

    from workshop.services.catalogues import load_questionnaires
    from workshop.services.demo import create_demo
    from workshop.store import Store

    with Store.open(ws) as s:
        create_demo(s, load_questionnaires(ws))
        interview = s.latest_interview("payroll-portal")
        q = load_questionnaires(ws).get(interview.questionnaire_id)
        sections = sorted(
            (sec for sec in q.sections if any(x.type in ("text", "long_text") for x in sec.questions)),
            key=lambda sec: len(sec.questions),
            reverse=True,
        )[:2]

    rows = []
    for section in sections:
        with Store.open(ws) as s:
            s.set_current_section(interview.id, section.id)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["app"] = "payroll-portal"
        at.run()
        at.switch_page("workshop/ui/pages/workshop.py").run()
        keys = {w.key for w in [*at.text_input, *at.text_area]}
        target = next(x for x in section.questions if f"v:{interview.id}:{x.id}" in keys)
        key = f"v:{interview.id}:{target.id}"

        def widget(at=at, key=key, long=target.type == "long_text"):
            return at.text_area(key=key) if long else at.text_input(key=key)

        for i in range(5):  # warm up caches and imports
            widget().input(f"warm-up {i}")
            at.run()
        samples = []
        for i in range(args.iterations):
            widget().input(f"answer {i}")
            t0 = time.perf_counter()
            at.run()
            samples.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
        with Store.open(ws) as s:
            saved = s.get_answer(interview.id, target.id).value
        assert saved == f"answer {args.iterations - 1}", saved
        stats = summary_ms(samples)
        rows.append([
            f"{section.title} ({len(section.questions)} q)",
            f"{stats['median']:.1f}",
            f"{stats['p90']:.1f}",
            f"{stats['max']:.1f}",
            f"{BUDGET_MS:.0f}",
            f"{stats['median'] / BUDGET_MS:.2f}",
        ])  # fmt: skip
    print(f"answer-and-rerun, {args.iterations} iterations per section, server side (AppTest)")
    print(table(rows, ["section", "median ms", "p90 ms", "max ms", "budget ms", "median/budget"]))


if __name__ == "__main__":
    main()
