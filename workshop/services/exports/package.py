"""``package``: a detection package per application, a folder ready to be committed.

It holds what the detection engineers keep as code: the Sigma rules and correlations,
the pySigma pipelines per SIEM and the queries they give, the use-case documents, a test
case per rule (true-positive events from the toolkit's generator, benign events taken
from the kept log sample where there is one, else synthetic), ``run_tests.py`` (stock
pySigma and its SQLite backend, nothing of the toolkit), a CI workflow that runs it, the
Navigator layer, the STIX bundle, the developers' logging requirements and a README.
``workshop import package DIR`` reads thresholds, windows, list filters and statuses
edited there back (:mod:`workshop.services.package_import`).

Every test case is run through the package's own runner while the package is built, so
a benign case that would alert is never shipped as benign: a smaller slice of the sample
is tried, then other events of the sample, then synthetic ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workshop.services.exports.registry import ExportRequest, Files, exporter, request_slugs

#: Pinned test dependencies of the package (the versions the toolkit is tested with).
REQUIREMENTS = "pysigma==1.5.1\npysigma-backend-sqlite==2.0.0\npyyaml==6.0.3\n"
BENIGN_MAX = 40
MANIFEST = "workshop-package.json"


def _runner_source() -> str:
    from workshop.rules import package_runner

    return Path(package_runner.__file__).read_text(encoding="utf-8")


def _workflow() -> str:
    return """name: detection tests
on:
  push:
  pull_request:
jobs:
  rules:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: python -m pip install -r requirements.txt
      - run: python run_tests.py
"""


def _readme(app_name: str, slug: str, rules: list[dict[str, Any]], sample: str | None) -> str:
    from workshop.core.render import md_escape, md_table

    rows = [[r["use_case"], r["title"], r["logic"], r["file"], r["benign_source"]] for r in rules]
    return "\n".join([
        f"# Detections for {md_escape(app_name, multiline=False)}",
        "",
        "Written by Use-Case Workshop from the application owners' interview. Keep this folder in git:",
        "edit the rules here, run the tests, and read the edits back into the toolkit with",
        "`workshop import package DIR` (it shows every change first; `--apply` applies them).",
        "",
        "| folder | what |",
        "|---|---|",
        "| `rules/` | Sigma rules (specification 2.1); correlation rules hold the rules they use |",
        "| `pipelines/` | pySigma processing pipelines per SIEM: the application's field names to the SIEM's |",
        "| `queries/` | the rules converted with those pipelines, with notes on what each query does not do |",
        "| `tests/` | one test per rule: true-positive events must alert, benign events must not |",
        "| `docs/` | the use-case documents, the analyst brief and the logging requirements for developers |",
        "| `attack/` | the ATT&CK Navigator layer and the STIX 2.1 bundle |",
        "",
        "## Running the tests",
        "",
        "    python -m pip install -r requirements.txt   # pySigma, its SQLite backend, PyYAML",
        "    python run_tests.py",
        "",
        "Each rule is converted by pySigma's SQLite backend and run on its events in SQLite; time windows",
        "and first-seen, which Sigma cannot say, are applied as the rule's `x_workshop` attribute describes.",
        "`.github/workflows/detections.yml` runs the same on every push.",
        f"Benign events come from the kept log sample ({md_escape(sample, multiline=False)})" if sample
        else "No log sample was kept: the benign events are synthetic.",
        "",
        "## Rules",
        "",
        md_table(["use case", "title", "logic", "file", "benign events"], rows),
        "",
    ])  # fmt: skip


def _iso(value: Any) -> str | None:
    """A moment as ISO 8601 UTC text (``2024-03-06T12:00:00.000Z``); None when it is not one."""
    from workshop.rules.package_runner import ts_text

    text = ts_text(value)
    return text.replace(" ", "T") + "Z" if text else None


def _jsonl(events: list[dict[str, Any]], ts: str) -> str:
    def plain(k: str, v: Any, ts: str) -> Any:
        if k == ts:
            return _iso(v) or v
        return v if v is None or isinstance(v, (str, int, float, bool)) else str(v)

    out = []
    for e in events:
        out.append(json.dumps({k: plain(k, v, ts) for k, v in e.items()}, ensure_ascii=False))
    return "\n".join(out) + "\n"


def _spread(rows: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    if len(rows) <= n:
        return rows
    step = len(rows) / n
    return [rows[int(i * step)] for i in range(n)]


def _quiet(docs: list[dict[str, Any]], events: list[dict[str, Any]], ts: str, numeric: list[str],
           placeholders: dict[str, list[str]], evaluate_from: Any = None) -> bool:  # fmt: skip
    from workshop.rules.package_runner import Untestable, count_alerts, parse_ts

    try:
        return count_alerts(docs, events, ts, numeric=numeric, placeholders=placeholders,
                            evaluate_from=parse_ts(evaluate_from)) == 0  # fmt: skip
    except Untestable:
        return False


def _benign(
    docs: list[dict[str, Any]], rows: list[dict[str, Any]] | None, actions: set[str], action_field: str,
    ts: str, numeric: list[str], placeholders: dict[str, list[str]], tp: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], str, Any]:  # fmt: skip
    """(events, where they came from, evaluate_from): the first candidate set the rule stays quiet on."""
    meta = docs[0].get("x_workshop") or {}
    seen = meta.get("first_seen") or None
    if rows:
        same = [r for r in rows if str(r.get(action_field, "")).lower() in actions]
        if seen and same:  # history of one group, evaluated from its second event: nothing new
            keyf = [*(seen.get("group_by") or []), seen.get("field")]
            groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
            for r in same:
                groups.setdefault(tuple(str(r.get(k, "")).lower() for k in keyf), []).append(r)
            best = max(groups.values(), key=len)[:10]
            if len(best) > 1 and _quiet(docs, best, ts, numeric, placeholders, best[1].get(ts)):
                return best, "sample", best[1].get(ts)
        cand = _spread(same, BENIGN_MAX)
        while cand:
            if _quiet(docs, cand, ts, numeric, placeholders):
                return cand, "sample", None
            cand = cand[: len(cand) // 2]
        other = _spread([r for r in rows if str(r.get(action_field, "")).lower() not in actions], 20)
        if other and _quiet(docs, other, ts, numeric, placeholders):
            return other, "sample (other events)", None
    synthetic = [{**e, action_field: "synthetic.benign"} for e in tp[:5]]
    if synthetic and _quiet(docs, synthetic, ts, numeric, placeholders):
        return synthetic, "synthetic", None
    # a rule on every event (session reuse) ignores the action: its benign case is the true
    # positive's first event alone, below any count or distinct threshold
    if tp and _quiet(docs, tp[:1], ts, numeric, placeholders):
        return tp[:1], "synthetic", None
    return [], "none", None


def _sample_rows(
    store: Any, slug: str, ctx: Any, sets: list[Any]
) -> tuple[list[dict[str, Any]] | None, str | None]:
    from workshop.core.errors import WorkshopError
    from workshop.rules.testing import load_log
    from workshop.services.rules import kept_sample

    path = kept_sample(store, slug)
    if path is None:
        return None, None
    fields: dict[str, str] = {}
    for rs in sets:
        fields.update(rs.fields)
    try:
        table, _summary = load_log(path, fields, ctx)
    except WorkshopError:
        return None, None
    try:
        cols, rows = table.query("SELECT * FROM logs ORDER BY rowid")
    finally:
        table.close()
    return [{c: v for c, v in zip(cols, r, strict=True) if v is not None} for r in rows], Path(path).name


def _package(req: ExportRequest, slug: str) -> Files:
    from workshop.rules.model import dump_yaml, sigma_literal
    from workshop.rules.pipelines import SIEMS
    from workshop.rules.synthetic import true_positive
    from workshop.services.exports.markdown import markdown_files
    from workshop.services.exports.navigator import navigator_files
    from workshop.services.exports.registry import EXPORTERS
    from workshop.services.exports.rules import sigma_files, stix_files
    from workshop.services.logging_requirements import render_requirements
    from workshop.services.rules import build_rule_sets, pipeline_for, rule_context
    from workshop.usecases.events import vocabulary

    one = ExportRequest(req.store, req.questionnaires, slug, req.attack_bundle)
    app = req.store.get_application(slug)
    ctx = rule_context(req.store, slug, req.attack_bundle)
    sets = build_rule_sets(req.store, slug, ctx=ctx)
    ucs = {uc.template_id: uc for uc in req.store.list_use_cases(slug)}
    vocab = vocabulary(ctx.facts)
    action_field = vocab.field_for("action")
    files: Files = {}
    for siem in SIEMS:
        files[f"pipelines/{siem}.yml"] = pipeline_for(req.store, slug, siem, ctx).text
    for name, text in sigma_files(one).items():
        path = Path(name)
        if path.parts[0] == "pipelines":
            # The stock targets' exported pipelines carry the per-rule postprocessing that makes
            # stock ``sigma convert`` write the whole detection: they replace the plain ones.
            files[f"pipelines/{path.name}"] = text
        elif path.suffix in (".yml", ".yaml"):
            files[f"rules/{path.name}"] = text
        else:  # the export's README and manifest: what stock conversion covers, rule by rule
            files[f"docs/sigma-{path.name}"] = text
        for name, text in EXPORTERS[siem](one).items():
            files[f"queries/{Path(name).name}"] = text
    for name, text in markdown_files(one).items():
        files[f"docs/{name}"] = text
    files["docs/logging-requirements.md"] = render_requirements(req.store, slug, "md", req.attack_bundle)
    for name, text in navigator_files(one).items():
        files[f"attack/{name}"] = text
    for name, text in stix_files(one).items():
        files[f"attack/{name}"] = text
    rows, sample = _sample_rows(req.store, slug, ctx, sets)
    rules: list[dict[str, Any]] = []
    for rs in sets:
        uc = ucs[rs.use_case]
        docs = [d.data for d in rs.docs]
        ts = rs.fields.get("timestamp") or vocab.field_for("timestamp")
        numeric = sorted({rs.fields[r] for r in ("records", "bytes", "amount") if r in rs.fields})
        placeholders = {pid: [sigma_literal(v) for v in (p.values or (f"synthetic-{pid}",))]
                        for pid, p in rs.placeholders.items()}  # fmt: skip
        tp = true_positive(uc, rs, ctx)
        actions = {vocab.event(e.event).action.lower() for e in uc.generated.events}
        benign, source, benign_from = _benign(
            docs, rows, actions, action_field, ts, numeric, placeholders, tp.events
        )
        base = f"tests/events/{rs.use_case}"
        cases: list[dict[str, Any]] = [{
            "name": "true_positive", "expect": "alert", "events": f"{base}.true_positive.jsonl",
            "description": tp.description,
            "evaluate_from": _iso(tp.evaluate_from),
        }]  # fmt: skip
        files[f"{base}.true_positive.jsonl"] = _jsonl(tp.events, ts)
        if benign:
            cases.append({"name": "benign", "expect": "quiet", "events": f"{base}.benign.jsonl", "source": source,
                          "evaluate_from": _iso(benign_from)})  # fmt: skip
            files[f"{base}.benign.jsonl"] = _jsonl(benign, ts)
        manifest = {
            "use_case": rs.use_case, "title": rs.title, "rule": f"rules/{rs.filename}", "logic": rs.logic,
            "timestamp_field": ts, "numeric_fields": numeric, "placeholders": placeholders, "cases": cases,
        }  # fmt: skip
        files[f"tests/{rs.use_case}.yml"] = dump_yaml(manifest)
        params = uc.parameters
        rules.append({
            "use_case": rs.use_case, "title": rs.title, "file": f"rules/{rs.filename}", "rule_id": rs.rule_id,
            "logic": rs.logic, "status": uc.status, "benign_source": source,
            "parameters": {k: p.value for k, p in params.items()},
        })  # fmt: skip
    files["run_tests.py"] = _runner_source()
    files["requirements.txt"] = REQUIREMENTS
    files[".github/workflows/detections.yml"] = _workflow()
    files["README.md"] = _readme(app.name, slug, rules, sample)
    from workshop import __version__

    files[MANIFEST] = json.dumps({"tool": "use-case-workshop", "tool_version": __version__, "application": slug,
                                  "rules": rules}, indent=2, ensure_ascii=False) + "\n"  # fmt: skip
    return files


@exporter("package")
def package_files(req: ExportRequest) -> Files:
    """One folder ``<slug>-detections/`` per application."""
    files: Files = {}
    for slug in request_slugs(req):
        for name, content in _package(req, slug).items():
            files[f"{slug}-detections/{name}"] = content
    return files
