"""Sigma rules from use cases: every rule the catalogue can produce is valid (JSON schemas and
pySigma), ids are stable, allowlists and thresholds are never dropped, answer text round-trips.

The use cases come from :mod:`tests.support.sigma_cases`, shared with the other ``test_rules_*``
modules.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from tests.support.sigma_cases import (
    catalogue_cases,
    catalogues,
    context,
    maximal_values,
    one_case,
    use_cases,
)
from workshop.interview.model import Application
from workshop.rules.sigma import (
    EXCLUDED_VALIDATORS,
    build_rule_set,
    clean_values,
    dump_yaml_all,
    rule_filename,
    sigma_literal,
    validate_documents,
    validate_rule_sets,
)

# --------------------------------------------------------------------------- the whole catalogue


def test_every_template_is_covered_by_the_maximal_answers() -> None:
    _, cat = catalogues()
    covered = {uc.template_id for uc in use_cases(maximal_values())}
    assert covered == set(cat.templates), f"not triggered: {sorted(set(cat.templates) - covered)}"


@pytest.mark.slow
def test_every_rule_of_the_catalogue_validates(shared_dir: Path) -> None:
    cases = catalogue_cases()
    sets = [rs for _, rs, _ in cases]
    report = validate_rule_sets(sets, schemas=shared_dir / "specs" / "sigma")
    assert report.skipped == []
    assert report.problems() == []
    assert report.rules_checked == sum(len(rs.docs) for rs in sets) > len(sets)
    # every rule type the engine has is exercised
    assert {rs.logic for rs in sets} >= {"single", "threshold", "distinct", "sum", "sequence", "new_value",
                                         "outside_window", "silence"}  # fmt: skip


@pytest.mark.slow
def test_each_rule_file_is_its_own_valid_collection(shared_dir: Path) -> None:
    from sigma.collection import SigmaCollection

    for _, rs, _ in catalogue_cases():
        collection = SigmaCollection.from_yaml(rs.yaml())
        collection.resolve_rule_references()
        assert len(collection.rules) == len(rs.docs)
        report = validate_documents([d.data for d in rs.docs], rs.filename, shared_dir / "specs" / "sigma")
        assert report.ok, report.problems()


def test_validators_left_out_are_explained() -> None:
    from sigma.validators.core import validators

    assert set(EXCLUDED_VALIDATORS) <= set(validators)
    assert all(len(why) > 30 for why in EXCLUDED_VALIDATORS.values())


def test_schema_validation_skips_with_a_warning_when_schemas_are_absent(tmp_path: Path) -> None:
    _, rs, _ = one_case("brute-force-login")
    with pytest.warns(UserWarning, match="schema validation skipped"):
        report = validate_rule_sets([rs], schemas=tmp_path)
    assert report.ok and report.skipped and report.pysigma == []


# --------------------------------------------------------------------------- metadata


def test_rule_metadata_follows_the_specification() -> None:
    uc, rs, _ = one_case("brute-force-login")
    alert = rs.alert.data
    assert alert["status"] == "experimental"
    assert alert["level"] == uc.priority
    assert "modified" not in alert or alert["date"] < alert["modified"]  # SigmaHQ: no redundant 'modified'
    assert "attack.credential-access" in alert["tags"] and "attack.t1110.001" in alert["tags"]
    assert alert["description"].startswith(uc.effective().objective[:40])
    assert alert["author"].startswith("Use-Case Workshop")
    sel = rs.selections[0].data
    assert sel["logsource"]["category"] == "application"
    assert sel["logsource"]["product"] == "payroll-portal"
    assert sel["logsource"]["service"] == "authentication"
    assert "index=payroll" in sel["logsource"]["definition"]
    assert "fields" not in sel and rs.fields["source_ip"] == "src_ip"  # 'fields' is deprecated in Sigma
    name = rs.filename
    assert name.startswith("correlation_") and name.endswith(".yml") and 10 <= len(name) <= 70
    assert (
        rule_filename("x", "y" * 200, False).endswith(".yml")
        and len(rule_filename("x", "y" * 200, False)) <= 70
    )


def test_tags_only_where_the_use_case_is_mapped() -> None:
    for uc, rs, _ in catalogue_cases():
        tags = rs.alert.data.get("tags", [])
        if not uc.attack:
            assert tags == []
        else:
            assert all(t == t.lower() and "_" not in t.split(".", 1)[1] for t in tags)
            assert {f"attack.{a.technique.lower()}" for a in uc.attack} <= set(tags)


def test_ids_are_stable_and_differ_between_applications() -> None:
    values = maximal_values()
    first = {rs.use_case: [d.id for d in rs.docs] for _, rs, _ in catalogue_cases(values)}
    again = {rs.use_case: [d.id for d in rs.docs] for _, rs, _ in catalogue_cases(values)}
    assert first == again
    other_app = Application("claims", "Claims")
    ctx = context(values, other_app)
    other = {uc.template_id: build_rule_set(uc, ctx).rule_id for uc in use_cases(values, other_app)}
    assert all(other[t] != ids[0] for t, ids in first.items())
    assert all(uuid.UUID(i).version == 5 for ids in first.values() for i in ids)


# --------------------------------------------------------------------------- logic


def test_threshold_becomes_an_event_count_correlation() -> None:
    uc, rs, _ = one_case("brute-force-login")
    corr = rs.alert.data["correlation"]
    assert corr["type"] == "event_count"
    assert corr["group-by"] == ["src_ip"]
    assert corr["timespan"] == uc.parameters["window"].value
    assert corr["condition"] == {"gte": uc.parameters["max_failures"].value}
    assert corr["rules"] == [rs.selections[0].data["name"]]
    assert rs.alert.data["generate"] is False
    # the referenced rule is a helper: its own status and date, and a level that never alerts
    sel = rs.selections[0].data
    assert sel["level"] == "informational" and sel["status"] == "experimental" and sel["date"]


def test_distinct_sum_silence_sequence_correlations() -> None:
    by_id = {rs.use_case: rs for _, rs, _ in catalogue_cases()}
    spray = by_id["password-spraying"].alert.data["correlation"]
    assert spray["type"] == "value_count" and spray["condition"]["field"] == "user"
    export = by_id["export-volume-above-baseline"].alert.data["correlation"]
    assert export["type"] == "value_sum" and export["condition"]["field"] == "record_count"
    silence = by_id["log-silence"].alert.data["correlation"]
    assert silence["type"] == "event_count" and "lt" in silence["condition"]
    saf = by_id["success-after-failures"]
    outer = saf.alert.data["correlation"]
    assert outer["type"] == "temporal_ordered"
    first = saf.doc(outer["rules"][0]).data["correlation"]
    assert (
        first["type"] == "event_count" and first["condition"]["gte"] == saf.aggregation.first_step_count >= 3
    )
    assert outer["rules"][1] == saf.selections[1].data["name"]


def test_outside_window_keeps_the_window_in_the_rule() -> None:
    _, rs, _ = one_case("login-outside-business-hours")
    data = rs.alert.data
    assert "correlation" not in data
    windows = data["x_workshop"]["time_windows"]
    assert windows[0]["start"] == "07:30" and windows[0]["timezone"] == "Europe/London"
    assert "07:30-18:30 (Europe/London)" in data["description"]
    assert rs.windows and rs.windows[0].days == ("mon", "tue", "wed", "thu", "fri")


def test_new_value_is_labelled_first_seen() -> None:
    _, rs, _ = one_case("login-new-network")
    data = rs.alert.data
    assert data["x_workshop"]["first_seen"] == {
        "field": "src_ip",
        "group_by": ["user"],
        "lookback": rs.aggregation.lookback,
    }
    assert "First seen" in data["description"]


def test_allowlists_become_filters_and_gaps_become_notes() -> None:
    values = maximal_values()
    values["access.networks"] = ["10.20.0.0/16", "VPN pool", "192.0.2.5"]
    _, rs, _ = one_case("login-new-network", values)
    det = rs.alert.data["detection"]
    assert det["filter_trusted_networks"] == {"src_ip|cidr": ["10.20.0.0/16", "192.0.2.5/32"]}
    assert det["filter_service_accounts"]["user"][0] == "svc-payroll-hrimport"
    assert (
        "not filter_trusted_networks" in det["condition"]
        and "not filter_service_accounts" in det["condition"]
    )
    assert any("VPN pool" in n for n in rs.notes)
    del values["service.accounts"]
    _, rs2, _ = one_case("brute-force-login", values)
    assert "filter_service_accounts" not in rs2.selections[0].data["detection"]
    assert any("service accounts are excluded by design, but none are named" in n for n in rs2.notes)
    # no host field: the batch hosts are recognised by the addresses they log with, in src_ip ...
    det2 = rs2.selections[0].data["detection"]
    assert det2["filter_batch_hosts"] == {"src_ip|cidr": ["10.20.0.15/32", "10.20.0.16/32", "10.20.0.20/32"]}
    # ... never by their names compared with an address field: without addresses nothing is
    # excluded, the notes say why, and the rule is blocked until they are given
    del values["service.batch_host_addresses"]
    _, rs3, _ = one_case("brute-force-login", values)
    assert "filter_batch_hosts" not in rs3.selections[0].data["detection"]
    assert any("cannot be compared" in n and "service.batch_host_addresses" in n for n in rs3.notes)
    assert not rs3.readiness.ready
    assert [r.subject for r in rs3.readiness.reasons] == ["batch_host_addresses"]


def test_breakglass_and_lookup_lists_select() -> None:
    _, rs, _ = one_case("breakglass-account-used")
    det = rs.alert.data["detection"]
    assert det["selection_breakglass_accounts"] == {"user": ["pp-breakglass-01", "pp-breakglass-02"]}
    assert "selection_breakglass_accounts" in det["condition"]
    _, leaver, _ = one_case("leaver-account-used")
    assert leaver.alert.data["detection"]["selection_leavers_lookup"] == {"user|expand": "%leavers%"}
    assert "leavers" in leaver.placeholders


# --------------------------------------------------------------------------- answer text


ADVERSARIAL = [
    "svc*x",
    'it\'s "quoted"',
    "a: b # not a comment",
    "back\\slash",
    "wild?card",
    "給与-サービス",
    "Ünïcødé—dash",
    "- looks like a list",
    "{looks: like a map}",
    "two\nlines",
    "tab\tinside",
]


def _plain(v) -> str:
    from sigma.types import SpecialChars

    assert not any(isinstance(p, SpecialChars) for p in v.s), f"wildcard in {v.s}"
    return "".join(p for p in v.s if isinstance(p, str))


@pytest.mark.slow
def test_adversarial_answer_text_round_trips(shared_dir: Path) -> None:
    from sigma.collection import SigmaCollection

    values = maximal_values()
    values["service.accounts"] = [{"name": n, "purpose": "x"} for n in ADVERSARIAL]
    values["auth.breakglass_accounts"] = ["bg: 'one'", "#two", "три"]
    values["logging.source_name"] = "index=\"pay: roll\" # sourcetype='x'\nsecond line"
    app = Application("payroll-portal", "Pay\"roll: #1 'Portal' — 給与", criticality="high")
    ctx = context(values, app)
    ucs = use_cases(values, app)
    objective = "Detect: 'quoted' \"double\" #not-a-comment\n- not a list\n給与 — ünïcødé {params.window}"
    for uc in ucs:
        uc.edits["objective"] = objective
        uc.edits["false_positives"] = ["A: colon", "# hash", "'single' and \"double\"", "multi\nline"]
    sets = [build_rule_set(uc, ctx) for uc in ucs]
    report = validate_rule_sets(sets, schemas=shared_dir / "specs" / "sigma")
    assert report.problems() == []
    expected_names = clean_values(ADVERSARIAL)
    assert expected_names[-3:] == ["two", "lines", "tab inside"]
    for rs in sets:
        parsed = list(yaml.safe_load_all(rs.yaml()))
        assert parsed == json.loads(json.dumps([d.data for d in rs.docs]))
        assert app.name in parsed[0]["title"] or "title" in parsed[0]
    bf = next(rs for rs in sets if rs.use_case == "brute-force-login")
    rule = SigmaCollection.from_yaml(bf.yaml())
    rule.resolve_rule_references()
    base = next(r for r in rule.rules if getattr(r, "name", None) == bf.selections[0].name)
    got = [_plain(v) for v in base.detection.detections["filter_service_accounts"].detection_items[0].value]
    assert got == expected_names
    assert 'Pay"roll: #1' in bf.alert.data["title"]
    bg = next(rs for rs in sets if rs.use_case == "breakglass-account-used")
    assert yaml.safe_load(bg.yaml())["detection"]["selection_breakglass_accounts"]["user"] == [
        "bg: 'one'",
        "#two",
        "три",
    ]
    assert "second line" in bf.selections[0].data["logsource"]["definition"]
    outer = next(yaml.safe_load_all(bf.yaml()))
    assert outer["description"].startswith("Detect: 'quoted' \"double\" #not-a-comment\n- not a list\n給与")
    assert "10m" in outer["description"]  # {params.window} filled
    assert outer["falsepositives"] == ["A: colon", "# hash", "'single' and \"double\"", "multi line"]


def test_sigma_literal_escapes_only_what_sigma_reads_specially() -> None:
    assert sigma_literal("a*b?c\\d") == "a\\*b\\?c\\\\d"
    assert sigma_literal("plain: text #1") == "plain: text #1"


def test_field_names_sigma_cannot_hold_are_reported() -> None:
    values = maximal_values()
    values["logging.fields"] = [*values["logging.fields"], {"field": "user|name", "role": "user"}]
    values["logging.fields"] = [
        r for r in values["logging.fields"] if not (r["role"] == "user" and r["field"] == "user")
    ]
    app = Application("payroll-portal", "Payroll Portal")
    uc = next(u for u in use_cases(values, app) if u.template_id == "brute-force-login")
    rs = build_rule_set(uc, context(values, app))
    assert any("'|'" in p for p in rs.problems)
    assert validate_rule_sets([rs]).toolkit


def test_multi_document_yaml_is_spec_style() -> None:
    _, rs, _ = one_case("success-after-failures")
    text = rs.yaml()
    assert text.count("\n---\n") == len(rs.docs) - 1
    assert text.startswith("title: ")
    assert "\n    type: temporal_ordered\n" in text  # four-space indentation
    assert dump_yaml_all([{"a": "x\ny"}]) == "a: |-\n    x\n    y\n"
