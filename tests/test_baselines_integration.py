"""Baselines kept with an application: attach, claims, thresholds applied to use cases, the
demo's planted anomalies caught, the Baselines and Export pages."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest

from workshop.cli import main
from workshop.core.errors import WorkshopError
from workshop.interview.model import Application
from workshop.services.demo.sample import demo_sample
from workshop.services.thresholds import apply_proposal, proposals_for
from workshop.store import Store


@pytest.fixture
def demo(demo_workspace: Path) -> Path:
    return demo_workspace


def test_demo_has_a_kept_synthetic_sample_and_a_baseline(demo: Path) -> None:
    with Store.open(demo) as s:
        b = s.get_baseline("payroll-portal")
        mapping = s.get_log_mapping("payroll-portal", b.log_source)
    assert b.version == 1 and b.events > 40_000
    assert b.sample_path and Path(b.sample_path).is_file()
    assert Path(b.sample_path).is_relative_to(demo)  # kept in this workspace, not another
    assert mapping.mapping["source_ip"] == "src_ip" and mapping.mapping["records"] == "record_count"
    assert b.profile["timezone"] == "Europe/London"  # the declared business hours' zone


def test_claims_find_what_the_owners_did_not_say(demo: Path, capsys) -> None:
    assert main(["baseline", "claims", "payroll-portal", "--json", "--workspace", str(demo)]) == 0
    claims = json.loads(capsys.readouterr().out)["claims"]
    text = " ".join(c["evidence"] for c in claims)
    assert all(c["verdict"] == "contradicted" for c in claims)
    assert "203.0.113.45" in text  # the planted brute force comes from outside the declared networks
    assert "NL" in text


@pytest.mark.slow
def test_thresholds_catch_the_planted_anomalies(demo: Path) -> None:
    df, sample = demo_sample()
    planted = {a.kind: a for a in sample.anomalies}
    with Store.open(demo) as s:
        baseline = s.get_baseline("payroll-portal")
        items = {(i.use_case, i.parameter): i for i in proposals_for(s, "payroll-portal", baseline)}
    day = pd.to_datetime(df["timestamp"], utc=True, format="ISO8601").dt.tz_convert("Europe/London").dt.date
    # The brute force: failures from one source in a day, above every proposed threshold.
    brute = planted["brute_force"]
    fails = (
        df[(df["outcome"] == "failure") & (df["action"] == "auth.login")].groupby([df["src_ip"], day]).size()
    )
    worst = fails.loc[brute.source_ip].max()
    for p in items[("brute-force-login", "max_failures")].proposals:
        assert p.value is not None and worst >= p.value, (p.method, worst)  # the rule alerts at N or more
    # The weekend bulk export: records per user per day, above the percentile and MAD thresholds.
    export = planted["weekend_bulk_export"]
    records = df.groupby([df["user"], day])["record_count"].sum()
    exported = records.loc[export.who].max()
    for p in items[("export-volume-above-baseline", "max_records")].proposals:
        if p.method in ("p99+20%", "mad3"):
            assert exported >= p.value, (p.method, exported)


def test_a_window_other_than_the_baselines_unit_is_flagged(demo: Path) -> None:
    with Store.open(demo) as s:
        baseline = s.get_baseline("payroll-portal")
        items = {i.use_case: i for i in proposals_for(s, "payroll-portal", baseline)}
    # the rule counts per 1d, as the baseline does; but the figure sums records over every action
    assert "the rule counts per" not in items["export-volume-above-baseline"].note
    assert "not like with like" in items["export-volume-above-baseline"].note
    assert "the rule counts per 1h" in items["mass-update"].note
    assert "counts per hour; the rule counts per 5m" in items["rapid-record-access"].note


def test_proposals_are_whole_counts_with_the_current_volume_and_floors_kept(demo: Path, capsys) -> None:
    with Store.open(demo) as s:
        baseline = s.get_baseline("payroll-portal")
        items = {(i.use_case, i.parameter): i for i in proposals_for(s, "payroll-portal", baseline)}
    item = items[("success-after-failures", "min_failures")]
    assert item.current == 4 and item.current_source == "answer"  # max(lockout threshold - 1, 3)
    values = [p.value for p in item.proposals if p.value is not None]
    assert values and all(float(v).is_integer() and v >= 1 for v in values)  # failures are counted
    assert item.current_alerts_per_day is not None and item.current_alerts_total is not None
    below = [p.method for p in item.proposals if p.value is not None and p.value < 4]
    assert below and set(below) == set(item.warnings)  # never below the answers' floor unsaid
    assert all("below 4" in w for w in item.warnings.values())
    assert main(["baseline", "thresholds", "payroll-portal", "--workspace", str(demo)]) == 0
    out = capsys.readouterr().out
    assert "current" in out and "warning: " in out


def test_apply_records_where_the_value_came_from(demo: Path, capsys) -> None:
    ws = str(demo)
    assert main(["baseline", "apply", "payroll-portal", "brute-force-login", "max_failures", "--method", "stdev3",
                 "--who", "dee", "--json", "--workspace", ws]) == 0  # fmt: skip
    applied = json.loads(capsys.readouterr().out)
    assert applied["source"] == "baseline" and applied["method"] == "stdev3"
    assert "baseline 'payroll-audit' v1" in applied["detail"] and "alerts/day" in applied["detail"]
    with Store.open(demo) as s:
        uc = s.get_use_case("payroll-portal", "brute-force-login")
        last = s.use_case_history("payroll-portal", "brute-force-login")[-1]
    assert uc.parameters["max_failures"].value == applied["value"]
    assert (last.who, last.field, last.reason) == (
        "dee",
        "parameters.max_failures",
        "threshold from baseline (stdev3)",
    )
    assert main(["baseline", "apply", "payroll-portal", "payee-changes-by-one-user", "max_changes",
                 "--workspace", ws]) == 1  # fmt: skip
    assert (
        "gives no value here (available: none)" in capsys.readouterr().err
    )  # the sample has no payee changes


@pytest.mark.slow
def test_attach_stores_aggregates_only_unless_asked(demo: Path, tmp_path: Path) -> None:
    df, _ = demo_sample()
    path = tmp_path / "week.csv"
    df.head(2000).to_csv(path, index=False)
    assert main(["baseline", "attach", "payroll-portal", str(path), "--log-source", "payroll-audit",
                 "--workspace", str(demo)]) == 0  # fmt: skip
    with Store.open(demo) as s:
        b = s.get_baseline("payroll-portal", "payroll-audit")
    assert b.version == 2 and b.sample_path is None and b.events == 2000
    assert not list((demo / "samples").rglob("*-v2*"))  # no raw rows kept
    dumped = json.dumps(b.profile)
    assert "first_seen" in dumped and "clerk" in dumped  # first-seen sets are aggregates (capped)
    assert main(["baseline", "attach", "payroll-portal", str(path), "--log-source", "other", "--keep-sample",
                 "--workspace", str(demo)]) == 0  # fmt: skip
    with Store.open(demo) as s:
        kept = s.get_baseline("payroll-portal", "other")
    assert kept.sample_path and Path(kept.sample_path).read_bytes() == path.read_bytes()


def test_a_bad_file_writes_nothing(demo: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02 binary \xff\xfe")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for f in (bad, empty):
        assert main(["baseline", "attach", "payroll-portal", str(f), "--workspace", str(demo)]) == 1
        err = capsys.readouterr().err
        assert str(f) in err or f.name in err
    with Store.open(demo) as s:
        assert [b.version for b in s.list_baselines("payroll-portal")] == [1]


def test_no_proposal_without_baseline_figure_is_explained(demo: Path) -> None:
    with Store.open(demo) as s:
        baseline = s.get_baseline("payroll-portal")
        with pytest.raises(WorkshopError, match=r"gives no value|no baseline proposal"):
            apply_proposal(
                s, "payroll-portal", "payee-changes-by-one-user", "max_changes", "p99+20%", baseline
            )


@pytest.mark.slow
def test_baselines_page_shows_claims_and_applies_a_threshold(demo: Path, open_page) -> None:
    at = open_page("workshop/ui/pages/baselines.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Days"] == "28"
    assert any("contradicts" in w.value for w in at.warning)
    at.button(key="apply:brute-force-login:max_failures:p99+20%").click().run()
    assert not at.exception and not at.error
    with Store.open(demo) as s:
        p = s.get_use_case("payroll-portal", "brute-force-login").parameters["max_failures"]
    assert p.source == "baseline" and p.method == "p99+20%"


@pytest.mark.slow
def test_baselines_page_upload_maps_and_attaches(workspace: Path, open_page) -> None:
    with Store.open(workspace) as s:
        s.create_application(Application("claims", "Claims"))
    df, _ = demo_sample()
    csv = df.head(3000).rename(columns={"user": "actor"}).to_csv(index=False).encode()
    at = open_page("workshop/ui/pages/baselines.py", "claims")
    at.file_uploader(key="bl_upload").upload("claims-audit.csv", csv, "text/csv").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="bl_map:user").value == "actor"  # proposed from the values
    at.text_input(key="bl_source").input("claims-audit").run()
    at.button(key="bl_attach").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Store.open(workspace) as s:
        b = s.get_baseline("claims", "claims-audit")
    assert b.events == 3000 and b.file_name == "claims-audit.csv" and b.sample_path is None


def test_baselines_page_bad_upload_shows_the_error(workspace: Path, open_page) -> None:
    with Store.open(workspace) as s:
        s.create_application(Application("claims", "Claims"))
    at = open_page("workshop/ui/pages/baselines.py", "claims")
    at.file_uploader(key="bl_upload").upload("broken.csv", b"", "text/csv").run()
    assert not at.exception
    assert any("empty" in e.value.lower() for e in at.error)
    with Store.open(workspace) as s:
        assert s.list_baselines("claims") == []


@pytest.mark.slow
def test_export_page_previews_and_zips(demo: Path, open_page) -> None:
    at = open_page("workshop/ui/pages/export.py")
    at.multiselect(key="ex_formats").set_value(["markdown", "sigma", "kql", "csv"]).run()
    at.button(key="ex_prepare").click().run()
    assert not at.exception and not at.error
    names = at.selectbox(key="ex_preview").options
    assert "payroll-portal-use-cases.md" in names and "payroll-portal-backlog.csv" in names
    assert any(n.startswith("sigma/payroll-portal/") and n.endswith(".yml") for n in names)
    at.button(key="ex_zip").click().run()
    _, data = next(iter(at.session_state["ex_zip_data"].items()))
    with zipfile.ZipFile(BytesIO(data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["tool"] == "use-case-workshop" and manifest["attack"]["version"]
        assert set(manifest["files"]) <= set(zf.namelist())
        assert any(n.endswith(".spl") or "splunk" in n for n in zf.namelist())


def test_baselines_page_reuses_the_confirmed_mapping(workspace: Path, open_page) -> None:
    with Store.open(workspace) as s:
        s.create_application(Application("claims", "Claims"))
        s.save_log_mapping(
            "claims", "audit", "csv", {"timestamp": "when", "user": "who_did_it", "action": "what"}
        )
    csv = b"when,who_did_it,what,someone\n2024-03-04T09:00:00Z,ann,login,bob\n2024-03-04T10:00:00Z,bob,view,ann\n"
    at = open_page("workshop/ui/pages/baselines.py", "claims")
    at.file_uploader(key="bl_upload").upload("a.csv", csv, "text/csv").run()
    assert not at.exception
    assert at.selectbox(key="bl_map:user").value == "who_did_it"
    assert any("mapping of 'audit' from last time" in c.value for c in at.caption)


def test_pipeline_editor_saves_checks_and_resets(demo: Path, open_page) -> None:
    from workshop.services.rules import pipeline_for

    at = open_page("workshop/ui/pages/export.py")
    at.segmented_control(key="pl_siem").set_value("kql").run()
    bad = "transformations: [not: a pipeline"
    at.text_area(key="pl_text:kql").input(bad)
    at.button(key="pl_save:kql").click().run()
    assert not at.exception and at.error  # refused, with a message
    with Store.open(demo) as s:
        assert pipeline_for(s, "payroll-portal", "kql").source == "default"
        good = pipeline_for(s, "payroll-portal", "kql").text.replace("user", "UserPrincipalName", 1)
    at.text_area(key="pl_text:kql").input(good)
    at.button(key="pl_save:kql").click().run()
    assert not at.exception and not at.error
    with Store.open(demo) as s:
        saved = pipeline_for(s, "payroll-portal", "kql")
    assert saved.source == "saved" and "UserPrincipalName" in saved.text
    at.button(key="pl_reset:kql").click().run()
    with Store.open(demo) as s:
        assert pipeline_for(s, "payroll-portal", "kql").source == "default"


def test_hostile_cells_in_a_log_sample_are_only_data(workspace: Path, tmp_path: Path) -> None:
    from workshop.services.baselines import profile_file

    path = tmp_path / "hostile.csv"
    path.write_text(
        "timestamp,user,action,outcome\n"
        '2024-03-04T09:00:00Z,"=HYPERLINK(""http://evil"")",login,success\n'
        "2024-03-04T09:05:00Z,<script>alert(1)</script>,\"+cmd|' /C calc'!A0\",failure\n"
        "2024-03-04T09:06:00Z,@SUM(1),-2+3,success\n"
    )
    _, profile = profile_file(path, {})
    data = profile.to_dict()
    assert data["events"] == 3
    users = {v["value"] for v in data["first_seen"]["user"]["values"]}
    assert users == {
        '=HYPERLINK("http://evil")',
        "<script>alert(1)</script>",
        "@SUM(1)",
    }  # plain text, not evaluated


@pytest.mark.slow
def test_export_zip_is_never_offered_for_another_scope(demo: Path, open_page) -> None:
    at = open_page("workshop/ui/pages/export.py")
    at.button(key="ex_prepare").click().run()
    at.button(key="ex_zip").click().run()
    assert "payroll-portal-workshop-export.zip" in [b.label.split(" ", 1)[1] for b in at.download_button]
    at.radio(key="ex_scope").set_value("portfolio").run()
    at.button(key="ex_prepare").click().run()
    labels = [b.label for b in at.download_button]
    assert not any("payroll-portal-workshop-export.zip" in label for label in labels)


def test_a_removed_role_stays_removed_through_attach_and_the_page(
    workspace: Path, tmp_path: Path, open_page, capsys
) -> None:
    """Issue 17: "--map records=" and "not in this log" remove a role; it never comes back from the proposal."""
    with Store.open(workspace) as s:
        s.create_application(Application("claims", "Claims"))
    csv = (
        b"when,user,action,records,src\n"
        b"2024-03-04T09:00:00Z,ann,login,3,10.0.0.1\n2024-03-04T10:00:00Z,bob,view,5,10.0.0.2\n"
    )
    path = tmp_path / "claims.csv"
    path.write_bytes(csv)
    code = main(["--workspace", str(workspace), "baseline", "attach", "claims", str(path), "--map", "records=",
                 "--log-source", "cli", "--json"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    with Store.open(workspace) as s:
        b = s.get_baseline("claims", "cli")
        assert "records" not in b.profile["mapping"] and not b.profile.get("volumes", {}).get("records")
        assert "records" not in s.get_log_mapping("claims", "cli").mapping
    at = open_page("workshop/ui/pages/baselines.py", "claims")
    at.file_uploader(key="bl_upload").upload("claims.csv", csv, "text/csv").run()
    assert at.selectbox(key="bl_map:records").value == "records"  # proposed
    at.selectbox(key="bl_map:records").set_value("(not in this log)").run()
    at.text_input(key="bl_source").input("page").run()
    at.button(key="bl_attach").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Store.open(workspace) as s:
        b = s.get_baseline("claims", "page")
        assert "records" not in b.profile["mapping"] and "user" in b.profile["mapping"]
