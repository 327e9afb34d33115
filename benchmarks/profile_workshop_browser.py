"""Where the browser's time goes on the workshop page (a companion to bench_workshop_browser.py).

For the demo and the fresh interview, in Debian's headless Chromium:

* the elements a section draws (DOM nodes in the main area, Streamlit elements by test id):
  the demo and a fresh interview draw the same number, so a difference in their timings is
  not the page's size;
* which elements Streamlit measures (``scrollWidth`` reads: a forced layout each, in the middle
  of drawing) on an answer, a section switch and a whole-page run. A button placed directly in
  a column truncates its label and measures it whenever it is drawn anew (Next section did, on
  every switch); ``wrap=True`` stops that;
* with ``--per-section``: every section of the demo in turn (each visited once first, then
  measured ``--rounds`` times): the switch's wall time and Chrome's own script, style and layout
  time for it (CDP ``Performance`` metrics), with what the section draws: which sections make a
  slow switch, and whether it is their size or their filled answers;
* with ``--cpu-profile``: Chrome's own sampling profiler (CDP ``Profiler``) over a few answers
  and switches, self time by script file and the React components' inclusive time. Under load
  the "(program)" line swells with time the browser waited for a core: compare runs made back
  to back only.

    python benchmarks/profile_workshop_browser.py [--cpu-profile] [--per-section] [--rounds 4]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys

from _common import ROOT

sys.path.insert(0, str(ROOT))

from bench_workshop_browser import IDLE, served

from tests.support.e2e import browser_page, key_css, wait_for_app

COUNT = """() => { const m = document.querySelector('[data-testid="stMain"]'); const c = {};
  m.querySelectorAll('[data-testid]').forEach(e => { const t = e.dataset.testid; c[t] = (c[t] || 0) + 1; });
  return {main: m.querySelectorAll('*').length, testids: c}; }"""

#: counts every scrollWidth read with the element's Streamlit path (test ids and keys)
READS = """(() => { window.__uwReads = [];
  const d = Object.getOwnPropertyDescriptor(Element.prototype, 'scrollWidth');
  Object.defineProperty(Element.prototype, 'scrollWidth', { get() {
    let e = this; const path = [];
    while (e && path.length < 4) { const t = e.dataset && e.dataset.testid;
      const k = [...(e.classList || [])].find(c => c.startsWith('st-key-'));
      if (t || k) path.push((t || '') + (k ? '.' + k : '')); e = e.parentElement; }
    window.__uwReads.push(path.join(' < ')); return d.get.call(this); } }); })();"""


def _reads(page) -> collections.Counter:
    return collections.Counter(
        page.evaluate("() => { const r = window.__uwReads; window.__uwReads = []; return r; }")
    )


def _settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE, polling=10)
    page.wait_for_timeout(300)


def _switch(page, sid: str) -> None:
    page.locator(key_css(f"nav_{sid}")).get_by_role("button").click()
    _settle(page)


def _profile_summary(profile: dict) -> list[str]:
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    self_ms: collections.Counter = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        self_ms[sample] += delta / 1000

    def script(i: int) -> str:
        return nodes[i]["callFrame"]["url"].rsplit("/", 1)[-1].split(".")[0]

    by_file: collections.Counter = collections.Counter()
    components: collections.Counter = collections.Counter()
    for i, ms in self_ms.items():
        by_file[script(i) or nodes[i]["callFrame"]["functionName"]] += ms
        chain = [i]
        while chain[-1] in parent:
            chain.append(parent[chain[-1]])
        seen = set()
        for callee, caller in itertools.pairwise(chain):  # a component: called by React
            if script(caller) == "react-dom" and script(callee) not in ("react-dom", ""):
                cf = nodes[callee]["callFrame"]
                name = f"{script(callee)}:{cf['functionName'] or '(anon)'}:{cf['lineNumber']}:{cf['columnNumber']}"
                if name not in seen:
                    seen.add(name)
                    components[name] += ms
    out = ["  self time by script:"] + [f"    {ms:7.0f} ms  {k}" for k, ms in by_file.most_common(10)]
    out += ["  React components, inclusive:"] + [
        f"    {ms:7.0f} ms  {k}" for k, ms in components.most_common(10)
    ]
    return out


def _answer(page, iid: int, i: int) -> None:
    page.locator(key_css(f"v:{iid}:purpose.internet_facing")).get_by_text(
        ("Yes", "No")[i % 2], exact=True
    ).click()
    _settle(page)


def _drive(page, base: str, name: str, slug: str, iid: int, rounds: int, cpu_profile: bool) -> None:
    page.goto(f"{base}/workshop?app={slug}&section=purpose")
    wait_for_app(page)
    print(f"== {name}: loaded, {sum(_reads(page).values())} scrollWidth reads")
    for sid in ("users", "purpose"):
        _switch(page, sid)
        c = page.evaluate(COUNT)
        top = ", ".join(f"{k} {v}" for k, v in sorted(c["testids"].items(), key=lambda kv: -kv[1])[:8])
        print(f"  section {sid}: {c['main']} DOM nodes in the main area; {top}")
    _reads(page)
    for i in range(rounds):
        _answer(page, iid, i)
    print(f"  {rounds} answers: {dict(_reads(page))}")
    for i in range(rounds):
        _switch(page, ("users", "purpose")[i % 2])
    print(f"  {rounds} switches: {dict(_reads(page))}")
    if not cpu_profile:
        return
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    for what in ("answers", "switches"):
        cdp.send("Profiler.start")
        for i in range(rounds):
            _answer(page, iid, i) if what == "answers" else _switch(page, ("users", "purpose")[i % 2])
        print(f"  CPU profile of {rounds} {what}:")
        print("\n".join(_profile_summary(cdp.send("Profiler.stop")["profile"])))
    cdp.detach()


#: what a section draws, by kind (Streamlit test ids in the section's column)
DRAWN = ("stElementContainer", "stHtml", "stPopover", "stButtonGroup", "stDataFrame", "stMarkdownContainer",
         "stTextArea", "stTextInput", "stNumberInput")  # fmt: skip
SECTIONS = """() => [...document.querySelectorAll('[class*="st-key-nav_"]')].map(e =>
  [...e.classList].find(c => c.startsWith('st-key-nav_')).slice('st-key-nav_'.length))"""
BODY_COUNT = """(kinds) => { const h = document.querySelector('[data-testid="stMain"] h2');
  const col = h && h.closest('[data-testid="stColumn"]'); const c = {};
  for (const k of kinds) c[k] = col ? col.querySelectorAll(`[data-testid="${k}"]`).length : 0;
  return c; }"""


def _per_section(page, base: str, slug: str, rounds: int) -> None:
    """Each section's switch: median wall ms and Chrome's script/style/layout ms, and what it draws."""
    import statistics
    import time

    from _common import table

    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def metrics() -> dict[str, float]:
        return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}

    page.goto(f"{base}/workshop?app={slug}")
    wait_for_app(page)
    sections = page.evaluate(SECTIONS)
    for sid in sections:  # every section once: the widgets' code is loaded, as in a workshop under way
        _switch(page, sid)
    samples: dict[str, list[dict[str, float]]] = {sid: [] for sid in sections}
    drawn: dict[str, dict[str, int]] = {}
    for _ in range(rounds):
        for sid in sections:
            before, t0 = metrics(), time.perf_counter()
            page.locator(key_css(f"nav_{sid}")).get_by_role("button").click()
            page.wait_for_timeout(100)  # the click's run has started
            page.wait_for_function(IDLE, polling=10)
            wall = (time.perf_counter() - t0) * 1000
            page.wait_for_timeout(300)
            after = metrics()
            row = {k: (after[k] - before[k]) * 1000 for k in ("ScriptDuration", "RecalcStyleDuration",
                                                            "LayoutDuration")}  # fmt: skip
            row["wall"] = wall
            samples[sid].append(row)
            drawn[sid] = page.evaluate(BODY_COUNT, list(DRAWN))
    cdp.detach()
    rows = []
    for sid in sections:
        med = {k: statistics.median(r[k] for r in samples[sid]) for k in samples[sid][0]}
        rows.append([sid, f"{med['wall']:.0f}", f"{med['ScriptDuration']:.0f}", f"{med['RecalcStyleDuration']:.0f}",
                     f"{med['LayoutDuration']:.0f}", *(drawn[sid][k] for k in DRAWN)])  # fmt: skip
    short = [k.removeprefix("st").replace("ElementContainer", "elements").replace("MarkdownContainer", "markdown")
             for k in DRAWN]  # fmt: skip
    print(f"== {slug}: switch to each section, median of {rounds} (wall includes a 100 ms wait)")
    print(table(rows, ["section", "wall ms", "script ms", "style ms", "layout ms", *short]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--cpu-profile", action="store_true", help="also run Chrome's sampling profiler")
    ap.add_argument("--per-section", action="store_true", help="time a switch to each section of the demo")
    args = ap.parse_args()
    if args.per_section:
        with served() as (server, _ids), browser_page(1600, 900) as page:
            _per_section(page, server.url, "payroll-portal", args.rounds)
        return 0
    with served() as (server, ids), browser_page(1600, 900) as page:
        page.add_init_script(READS)
        for name, slug in (("demo", "payroll-portal"), ("fresh", "claims")):
            _drive(page, server.url, name, slug, ids[slug], args.rounds, args.cpu_profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
