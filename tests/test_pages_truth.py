"""The pages after the workshop tell the truth and keep your place (issue 18).

Search ranking on the official bundle, status words (live = implemented or tested),
a technique turned into a use case in one step, and what the pages show.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from workshop.attack import load_index
from workshop.store import Store

USECASES = "workshop/ui/pages/usecases.py"
ATTACK = "workshop/ui/pages/attack.py"
PORTFOLIO = "workshop/ui/pages/portfolio.py"
EXPORT = "workshop/ui/pages/export.py"
BASELINES = "workshop/ui/pages/baselines.py"


@pytest.fixture(scope="session")
def enterprise(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    return load_index(shared_dir / "attack" / "enterprise-attack-18.1.json", tmp_path_factory.mktemp("attack-cache"))


def ids(hits) -> list[str]:
    return [h.id for h in hits]


# --------------------------------------------------------------------------- ATT&CK search ranking


def test_brute_force_shows_the_technique_then_its_subtechniques(enterprise) -> None:
    top = ids(enterprise.search("brute force", limit=5, kinds=("technique", "subtechnique")))
    assert top[0] == "T1110"
    assert sorted(top[1:5]) == ["T1110.001", "T1110.002", "T1110.003", "T1110.004"]
    assert "T1558.003" not in top  # Kerberoasting only repeats the words in its description


def test_query_naming_a_technique_and_more_words_narrows_to_its_subtechnique(enterprise) -> None:
    hits = enterprise.search("phishing link", limit=3)
    assert ids(hits)[0] == "T1566.002" and "narrows T1566" in hits[0].matched
    assert "T1566" in ids(hits)


def test_shared_exact_name_prefers_the_one_inside_an_intrusion(enterprise) -> None:
    # Cloud Accounts is a sub-technique of Valid Accounts, Establish Accounts and Compromise Accounts.
    assert ids(enterprise.search("cloud accounts", limit=3))[0] == "T1078.004"


def test_scores_still_descend_down_the_tiers(enterprise) -> None:
    hits = enterprise.search("brute force", limit=12)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_benchmark_queries_all_hit_first(shared_dir: Path) -> None:
    from benchmarks.bench_attack_search import QUERIES, run

    result = run(shared_dir / "attack" / "enterprise-attack-18.1.json")
    assert len(QUERIES) == 30
    assert result["first"] == 30, result["misses"]


# --------------------------------------------------------------------------- status words and coverage


def test_coverage_counts_only_live_use_cases(demo_workspace: Path) -> None:
    from workshop.services.usecases import coverage_word, technique_statuses
    from workshop.usecases.coverage import matrix, navigator_layer
    from workshop.usecases.readiness import readiness

    idx = load_index(None)
    with Store.open(demo_workspace) as s:
        before = s.list_use_cases("payroll-portal")
        assert not any(u.status in ("implemented", "tested") for u in before)
        cells = {c.technique_id: c for _, _, col in matrix(idx, before) for c in col}
        assert cells and all(c.count == 0 for c in cells.values())  # planned, not covered
        # an idea, a plan, or a plan whose rule cannot fire yet (blocked): shown apart, none counted
        assert all(c.accepted + c.proposed + c.blocked == len(c.statuses) for c in cells.values())
        layer = navigator_layer(idx, before, "x")
        assert {t["score"] for t in layer["techniques"]} == {0}
        assert "live use cases (implemented or tested)" in layer["description"]
        uc = next(u for u in before if u.attack and readiness(u).ready)  # a blocked one covers nothing
        tid = uc.attack[0].technique
        s.set_status("payroll-portal", [uc.template_id], "accepted")
        s.set_status("payroll-portal", [uc.template_id], "implemented")
        after = s.list_use_cases("payroll-portal")
        cell = {c.technique_id: c for _, _, col in matrix(idx, after) for c in col}[tid]
        assert cell.count == 1 and cell.live
        score = {t["techniqueID"]: t["score"] for t in navigator_layer(idx, after, "x")["techniques"]}
        assert score[tid] == 1
        assert coverage_word(technique_statuses(s, "payroll-portal")[tid]).startswith("1 live")
    every = matrix(idx, after, every_technique=True)
    assert sum(len(col) for _, _, col in every) > sum(len(col) for _, _, col in matrix(idx, after))


def test_attack_matrix_shows_plans_apart_from_coverage(demo_workspace: Path, open_page) -> None:
    at = open_page(ATTACK)
    html = " ".join(h.value for h in at.get("html"))
    assert 'class="live"' not in html and 'class="planned"' in html  # nothing implemented in the demo
    assert "proposed" in html and "only coverage" in html
    assert 'class="none"' in html  # techniques without use cases show as gaps


def test_portfolio_live_tests_glossary_and_baseline_age(demo_workspace: Path, open_page) -> None:
    from workshop.services.rules import run_tests

    with Store.open(demo_workspace) as s:
        s.set_status("payroll-portal", ["brute-force-login"], "accepted")
        report = run_tests(s, "payroll-portal")
        passed = sum(1 for r in report.results if r.fires_on_true_positive and not r.error)
        last = s.list_baselines("payroll-portal")[0].last[:10]
    at = open_page(PORTFOLIO)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Live use cases"] == "0"  # accepted is a plan, not live
    assert metrics["Rule tests passed"] == str(passed) and passed > 0
    assert any(e.label == "What the statuses mean" for e in at.expander)
    glossary = " ".join(m.value for m in at.markdown)
    assert "**implemented**" in glossary and "Live** means implemented or tested" in glossary
    baseline = at.dataframe[0].value["Baseline"].iloc[0]
    assert baseline.startswith(f"sample to {last}")
    with Store.open(demo_workspace) as s:
        s.set_status("payroll-portal", ["brute-force-login"], "implemented")
    at.run()
    assert {m.label: m.value for m in at.metric}["Live use cases"] == "1"


# --------------------------------------------------------------------------- ATT&CK page: search and new use case


def test_new_search_shows_its_own_first_hit(workspace: Path, open_page) -> None:
    at = open_page(ATTACK, slug=None)
    at.text_input(key="attack_q").input("brute force").run()
    at.radio(key="attack_pick:brute force").set_value("T1110.001").run()
    assert at.subheader[0].value.startswith("T1110.001")
    at.text_input(key="attack_q").input("valid accounts").run()
    assert at.subheader[0].value == "T1078 · Valid Accounts"


def test_search_result_becomes_a_use_case_in_one_step(demo_workspace: Path, open_page) -> None:
    at = open_page(ATTACK)
    at.text_input(key="attack_q").input("password spraying").run()
    at.button(key="newuc:search:T1110.003").click().run()
    assert not at.exception and not at.error
    assert any("created" in m.value for m in at.success)
    with Store.open(demo_workspace) as s:
        uc = s.get_use_case("payroll-portal", "attack-t1110-003")
        history = s.use_case_history("payroll-portal", "attack-t1110-003")
    assert uc.status == "proposed" and [a.technique for a in uc.attack] == ["T1110.003"]
    assert uc.title == "Password Spraying (T1110.003) against Payroll Portal"
    assert "not written yet" in uc.generated.blind_spots[0]
    assert history[0].kind == "created"
    again = open_page(ATTACK)  # the button gives way to a note once the use case exists
    again.text_input(key="attack_q").input("password spraying").run()
    assert not [b for b in again.button if b.key == "newuc:search:T1110.003"]
    assert any("already has a use case made from" in c.value for c in again.caption)


def test_suggestion_becomes_a_use_case_and_survives_regeneration(demo_workspace: Path, open_page) -> None:
    at = open_page(ATTACK)
    pick = at.selectbox(key="attack_sugg_pick")
    tid = pick.value
    at.button(key=f"newuc:sugg:{tid}").click().run()
    assert not at.exception and not at.error
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.usecases import custom_id, generate_for_application, load_templates

    with Store.open(demo_workspace) as s:
        q = load_questionnaires(demo_workspace)
        result = generate_for_application(s, "payroll-portal", load_templates(q, demo_workspace), q)
        assert custom_id(tid) not in result.no_longer_applies
        uc = s.get_use_case("payroll-portal", custom_id(tid))
    assert uc.applies and uc.attack[0].technique == tid


def test_export_page_says_what_is_exported(demo_workspace: Path, open_page) -> None:
    with Store.open(demo_workspace) as s:
        ucs = s.list_use_cases("payroll-portal")
        adopted = sum(1 for u in ucs if u.status in ("accepted", "implemented", "tested"))
    at = open_page(EXPORT)
    text = " ".join(i.value for i in (*at.info, *at.warning))
    assert f"**{adopted} of {len(ucs)}**" in text and "accepted, implemented, tested" in text


# --------------------------------------------------------------------------- Use cases page and documents


def test_prose_answer_is_never_quoted_as_ids(demo_workspace: Path) -> None:
    from workshop.usecases.generate import is_prose

    assert is_prose("Medical file tab of health claims") and is_prose(["a b c d"])
    assert not is_prose(["payroll-export", "salary report"]) and not is_prose("claims_export")
    with Store.open(demo_workspace) as s:
        for uc in s.list_use_cases("payroll-portal"):
            eff = uc.effective()
            for _, param in uc.generated.logic.only:
                assert not is_prose(uc.parameters[param].value), (uc.template_id, eff.strategy_abstract)


def test_prose_answer_leaves_the_only_list_to_fill_by_hand() -> None:
    from workshop.usecases.generate import derive_parameters
    from workshop.usecases.model import Logic

    class Spec:
        name, description, type, default, unit, baseline = "sensitive_objects", "", "list", [], "", ""

        class derive:  # a stand-in for a Condition
            names = frozenset({"data.most_sensitive"})
            source = "data.most_sensitive"

            @staticmethod
            def value(_ctx):
                return "Medical file tab of health claims"

    class Tpl:
        parameters = (Spec,)
        logic = Logic("single", only=(("object", "sensitive_objects"),))

    class Inputs:
        context: ClassVar[dict] = {}

        @staticmethod
        def answered(_n):
            return True

        @staticmethod
        def show(_n):
            return "Medical file tab of health claims"

    params, _ = derive_parameters(Tpl, Inputs)  # type: ignore[arg-type]
    p = params["sensitive_objects"]
    assert p.value == [] and p.source == "default" and "describes them in words" in p.detail


def test_leaver_document_does_not_put_words_in_the_owners_mouths() -> None:
    text = (Path(__file__).resolve().parents[1] / "usecases" / "leaver-account-used.yaml").read_text()
    said = text.index("the owners said HR or IT cannot send one")
    assert 'when: "users.leaver_list == false"' in text[said : said + 300]
    assert "not answered(users.leaver_list)" in text


def test_reference_links_render_without_backslashes() -> None:
    from workshop.core.render import markdown_to_html
    from workshop.usecases.documents import _reference

    url = "https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html"
    html = markdown_to_html(f"- {_reference(url)}", "x")
    assert f'href="{url}"' in html and "%5C" not in html and "\\_" not in html
    assert _reference("javascript:alert(1)") == "javascript&#58;alert(1)" or "<" not in _reference("javascript:alert(1)")


def test_lone_tilde_stays_readable_in_markdown() -> None:
    from workshop.core.render import md_escape

    assert md_escape("~400 logins a day") == "~400 logins a day"
    assert "&#126;" in md_escape("~~struck~~")


def test_use_cases_table_is_selectable(demo_workspace: Path, open_page) -> None:
    # AppTest cannot click rows of a data grid; it checks the table is declared selectable and that
    # the page invites the click. Selection -> opening and bulk buttons are in the page's _table/_bulk_actions.
    at = open_page(USECASES)
    proto = at.dataframe[0].proto
    assert list(proto.selection_mode) and proto.id  # a widget: clicks come back to the page
    assert any("Click rows to open a use case" in c.value for c in at.caption)


def test_implemented_tested_retired_from_the_page(demo_workspace: Path, open_page) -> None:
    with Store.open(demo_workspace) as s:
        s.set_status("payroll-portal", ["brute-force-login"], "accepted")
    at = open_page(USECASES)
    at.selectbox(key="uc_select").set_value("brute-force-login").run()
    assert at.selectbox(key="ucmove:brute-force-login").options == ["proposed", "implemented", "retired"]
    at.selectbox(key="ucmove:brute-force-login").set_value("implemented").run()
    at.button(key="ucmovebtn:brute-force-login").click().run()
    with Store.open(demo_workspace) as s:
        assert s.get_use_case("payroll-portal", "brute-force-login").status == "implemented"
    assert any("now implemented" in m.value for m in at.success)


def test_testing_with_nothing_accepted_says_so(demo_workspace: Path, open_page) -> None:
    with Store.open(demo_workspace) as s:
        adopted = [u.template_id for u in s.list_use_cases("payroll-portal") if u.status != "proposed"]
        for tid in adopted:
            s.set_status("payroll-portal", [tid], "rejected")
    at = open_page(USECASES)
    at.selectbox(key="uc_select").set_value("brute-force-login").run()
    at.button(key="runtests:brute-force-login").click().run()
    assert not at.exception
    assert any("No rule was tested" in w.value for w in at.warning)


def test_rule_tab_shows_the_eql_the_notes_point_to(demo_workspace: Path, open_page) -> None:
    with Store.open(demo_workspace) as s:
        seq = next((u.template_id for u in s.list_use_cases("payroll-portal") if u.generated.logic.type == "sequence"), None)
    if seq is None:
        pytest.skip("the demo has no sequence use case")
    at = open_page(USECASES)
    at.selectbox(key="uc_select").set_value(seq).run()
    at.button_group(key=f"siem:{seq}").set_value(["esql"]).run() if False else None
    seg = at.get("button_group")
    assert seg  # the "Convert to" control
    at.session_state[f"siem:{seq}"] = "esql"
    at.run()
    captions = " ".join(c.value for c in at.caption)
    if "EQL sequence below" in captions:
        assert any(m.value == "**EQL**" for m in at.markdown)


# --------------------------------------------------------------------------- Baselines and Portfolio pages


def test_access_log_defaults_to_the_access_log_source() -> None:
    from workshop.ui.pages.baselines import default_log_source

    assert default_log_source("combined") == "access" and default_log_source("common") == "access"
    assert default_log_source("csv") == "audit"


def test_baselines_page_shows_claims_whole_and_actions_by_count(demo_workspace: Path, open_page) -> None:
    at = open_page(BASELINES)
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "most frequent first" in text
    assert at.table, "claims are a table of whole sentences, not a grid with cut cells"
    tables = [t.value for t in at.table if {"What the owners said", "What the log shows"} <= set(t.value.columns)]
    assert tables, [list(t.value.columns) for t in at.table]
    claims = tables[0]
    shown = " ".join(str(v) for v in claims.to_numpy().ravel())
    assert "--map" not in shown and "--tz" not in shown and "--entity" not in shown
    # metric labels short enough to stay whole in a quarter of the page at presenter size
    assert all(len(m.label) <= 14 for m in at.metric), [m.label for m in at.metric]


def test_baseline_tabs_and_use_case_tabs_are_keyed() -> None:
    # A keyed tab bar keeps its tab over the rerun a button inside it makes.
    root = Path(__file__).resolve().parents[1] / "workshop" / "ui" / "pages"
    assert 'key="bl_tabs", on_change="rerun"' in (root / "baselines.py").read_text()
    assert 'key=f"uctabs:{uc.template_id}", on_change="rerun"' in (root / "usecases.py").read_text()


# --------------------------------------------------------------------------- the command line


def _parsers(parser, path=()):
    import argparse

    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, (*path, name))


def test_every_json_option_has_help() -> None:
    from workshop.cli import build_parser

    missing = []
    for path, p in _parsers(build_parser()):  # every command registered in full
        for action in p._actions:
            if "--json" in action.option_strings and not action.help:
                missing.append(" ".join(path))
    assert missing == []


def test_interview_show_keeps_lines_apart(workspace: Path, capsys) -> None:
    from workshop.cli import main
    from workshop.interview.model import Application

    with Store.open(workspace) as s:
        s.create_application(Application("claims", "Claims"))
        iid = s.create_interview("claims", "in-house-application", "1.0").id
        s.save_answer(iid, "purpose.summary", "Handles health claims for members\nand their medical files.")
    assert main(["interview", "show", "claims", "--workspace", str(workspace)]) == 0
    out = capsys.readouterr().out
    assert "members; and" not in out
    assert "  purpose.summary: Handles health claims for members\n      and their medical files." in out


def test_export_preview_is_rendered_not_source(demo_workspace: Path, open_page) -> None:
    at = open_page(EXPORT)
    at.multiselect(key="ex_formats").set_value(["html", "sigma"]).run()
    at.button(key="ex_prepare").click().run()
    assert not at.exception
    names = at.selectbox(key="ex_preview").options
    html_name = next(n for n in names if n.endswith(".html"))
    at.selectbox(key="ex_preview").set_value(html_name).run()
    assert not [c for c in at.code if "<html" in c.value.lower()]  # no page source dumped on the page
    frames = at.get("iframe")
    assert frames and "<html" in frames[0].proto.srcdoc.lower()  # the document itself, in a frame
    rule = next(n for n in names if n.endswith((".yml", ".yaml")) and "pipelines" not in n)
    at.selectbox(key="ex_preview").set_value(rule).run()
    assert any("title:" in c.value for c in at.code)  # rules stay text, in a box of fixed height


def test_portfolio_reviews_chart_has_no_cut_axis_title(demo_workspace: Path, open_page) -> None:
    """At presenter size the one-bar chart of reviews due was too short for its vertical axis title
    ("Montl"): the heading names the rows, the axis has no title."""
    import json

    at = open_page(PORTFOLIO)
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    months = [sp for sp in specs if "Reviews" in json.dumps(sp.get("encoding", {}))]
    assert months, [sp.get("encoding") for sp in specs]
    assert months[0]["encoding"]["y"].get("title") == "", months[0]["encoding"]["y"]


def test_rule_tab_shows_the_tested_ways_round_the_rule(demo_workspace: Path, open_page) -> None:
    # Evasion results used to be on the command line only: the Rule tab shows each way round
    # the rule that was tested, and whether the rule caught it.
    from workshop.services.rules import run_tests

    with Store.open(demo_workspace) as s:
        s.set_status("payroll-portal", ["brute-force-login"], "accepted")
        report = run_tests(s, "payroll-portal")
    result = next(r for r in report.results if r.use_case == "brute-force-login")
    assert result.evasion_results, "brute force has evasions in its template"
    at = open_page(USECASES)
    at.selectbox(key="uc_select").set_value("brute-force-login").run()
    assert not at.exception
    assert any("Ways round the rule, tested" in m.value for m in at.markdown)
    shown = [d.value for d in at.dataframe if "Way round" in d.value.columns and "Result" in d.value.columns]
    assert shown, "no table of tested evasions"
    rows = shown[0]
    assert list(rows["Way round"]) == [ev.description for ev in result.evasion_results]
    assert set(rows["Result"]) <= {"caught", "missed: a blind spot"}
