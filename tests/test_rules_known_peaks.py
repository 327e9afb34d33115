"""Known peaks raise a volume rule's threshold on their days; they never switch it off.

The owners' peaks (the demo's payroll week, days 18-25 of each month at twice the normal)
are a structured answer (``volume.peak_days``). A volume rule that takes them alerts on a
normal day at its threshold, stays quiet at that count on a peak day, and still alerts on
a peak day above the raised threshold: the local test engine, each SIEM's query, the
exported Sigma converted by stock pySigma with the exported pipeline, and the document
all say the same.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.sigma_cases import local_alerts, ready_case
from workshop.core.errors import InputError
from workshop.interview.facts import Facts, Q
from workshop.vocab import KnownPeak, parse_month_days, parse_weekdays

NORMAL_DAY = dt.datetime(2024, 3, 6, 12, 0, tzinfo=dt.UTC)  # the 6th: no peak
PEAK_DAY = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)  # the 20th: payroll week (18-25)
OUTSIDE = "203.0.113.9"


alerts = local_alerts


def views(day: dt.datetime, n: int, user: str = "clerk1") -> list[dict]:
    """``n`` distinct records opened by one user within an hour of ``day``."""
    return [
        {"timestamp": day + dt.timedelta(seconds=10 * i), "action": "employee.view", "src_ip": OUTSIDE,
         "user": user, "target_employee_id": f"E{100000 + i}"}
        for i in range(n)
    ]  # fmt: skip


# --------------------------------------------------------------------------- the answer, typed


def test_a_peak_row_is_read_as_days_and_a_factor() -> None:
    p = KnownPeak.from_row(
        {"what": "payroll week", "month_days": "18-22, 25", "weekdays": "fri", "factor": "x2"}
    )
    assert p.month_days == (18, 19, 20, 21, 22, 25) and p.weekdays == ("fri",) and p.factor == 2
    assert p.days_text() == "days 18-22, 25 of the month and Fri"
    assert p.on(dt.date(2024, 3, 20)) and p.on(dt.date(2024, 3, 1))  # the 20th; a Friday
    assert not p.on(dt.date(2024, 3, 6))
    assert p.threshold(500) == 1000 and KnownPeak("x", (1,), (), 1.5).threshold(5) == 8
    assert parse_weekdays("sat-mon") == ("mon", "sat", "sun")


@pytest.mark.parametrize(
    "row",
    [
        {"what": "x", "month_days": "32", "factor": 2},
        {"what": "x", "month_days": "25-18", "factor": 2},
        {"what": "x", "month_days": "", "weekdays": "", "factor": 2},
        {"what": "x", "month_days": "18", "factor": 1},
        {"what": "x", "month_days": "18", "factor": "twice"},
        {"what": "x", "weekdays": "someday", "factor": 2},
    ],
)
def test_a_bad_peak_row_is_an_error_naming_it(row) -> None:
    with pytest.raises(InputError):
        KnownPeak.from_row(row)
    peaks, problems = Facts.of({Q.PEAK_DAYS: [row]}).known_peaks()
    assert peaks == [] and problems and problems[0].startswith(f"{Q.PEAK_DAYS}, row 1")


def test_month_days_parse_ranges_and_lists() -> None:
    assert parse_month_days("1, 28-31") == (1, 28, 29, 30, 31)


def test_the_demo_answers_its_peaks_as_days() -> None:
    from tests.support.sigma_cases import demo_values

    peaks, problems = Facts.of(demo_values()).known_peaks()
    assert not problems
    assert [(p.month_days, p.factor) for p in peaks] == [(tuple(range(18, 26)), 2.0)]


# --------------------------------------------------------------------------- the local test engine


def test_the_same_count_alerts_on_a_normal_day_and_not_on_a_peak_day() -> None:
    uc, rs, _ = ready_case("bulk-record-viewing")
    n = int(uc.parameters["max_records"].value)
    assert [p["threshold"] for p in rs.aggregation.peak_thresholds()] == [2 * n]
    assert alerts(rs, views(NORMAL_DAY, n)) == 1
    assert alerts(rs, views(PEAK_DAY, n)) == 0  # twice as busy: not yet unusual
    assert alerts(rs, views(PEAK_DAY, 2 * n)) == 1  # above even a busy day: still an alert
    assert alerts(rs, views(PEAK_DAY, 2 * n - 1)) == 0


def test_a_sum_rule_raises_its_total_on_peak_days() -> None:
    uc, rs, _ = ready_case("export-volume-above-baseline")
    total = float(uc.parameters[uc.effective().logic.threshold].value)
    records = rs.fields["records"]

    def exports(day: dt.datetime, each: float) -> list[dict]:
        return [
            {"timestamp": day + dt.timedelta(minutes=i), "action": "report.export", "src_ip": OUTSIDE,
             "user": "clerk1", records: each}
            for i in range(2)
        ]  # fmt: skip

    assert alerts(rs, exports(NORMAL_DAY, total / 2)) == 1
    assert alerts(rs, exports(PEAK_DAY, total / 2)) == 0
    assert alerts(rs, exports(PEAK_DAY, total)) == 1


def test_rules_that_do_not_count_a_busy_activity_keep_their_threshold() -> None:
    """Brute force in payroll week is no less an attack: only templates that opt in take peaks."""
    _, rs, _ = ready_case("brute-force-login")
    assert rs.aggregation.peaks == ()
    assert "known_peaks" not in (rs.alert.data.get("x_workshop") or {})


def test_the_rule_file_and_the_package_runner_carry_the_raised_threshold() -> None:
    from workshop.rules.package_runner import count_alerts as run

    uc, rs, _ = ready_case("bulk-record-viewing")
    n = int(uc.parameters["max_records"].value)
    xw = rs.alert.data["x_workshop"]
    assert xw["known_peaks"][0]["threshold"] == 2 * n and xw["known_peaks"][0]["month_days"][0] == 18
    assert "raised, not switched off" in rs.alert.data["description"]
    docs = [d.data for d in rs.docs]
    for day, count, expected in ((NORMAL_DAY, n, 1), (PEAK_DAY, n, 0), (PEAK_DAY, 2 * n, 1)):
        events = [e | {"timestamp": e["timestamp"].isoformat()} for e in views(day, count)]
        assert run(docs, events, "timestamp") == expected, (day, count)


# --------------------------------------------------------------------------- each SIEM, and stock pySigma


def test_each_siem_query_raises_the_threshold_on_peak_days() -> None:
    from workshop.rules.convert import convert_rule_set
    from workshop.rules.pipelines import default_pipeline_text, parse_pipeline
    from workshop.rules.stock import check_rule_set, export_pipeline, stock_convert

    uc, rs, ctx = ready_case("bulk-record-viewing")
    n = int(uc.parameters["max_records"].value)
    pipes = {s: parse_pipeline(default_pipeline_text(ctx, s), s) for s in ("splunk", "esql", "kql", "lucene")}
    out = {s: convert_rule_set(rs, s, p) for s, p in pipes.items()}
    spl = out["splunk"].query
    assert (
        f"| eval peak_threshold=case(in(_peak_day, 18, 19, 20, 21, 22, 23, 24, 25), {2 * n}, true(), {n})"
        in spl
    )
    assert spl.endswith("| where value_count >= peak_threshold") and f">= {n}" not in spl
    esql = out["esql"].query
    assert 'date_extract("day_of_month", timebucket)' in esql
    assert (
        f"| eval peak_threshold = case(_peak_day in (18, 19, 20, 21, 22, 23, 24, 25), {2 * n}, {n})" in esql
    )
    assert esql.endswith("| where value_count >= peak_threshold")
    kql = out["kql"].query
    assert "dayofmonth(" in kql and kql.endswith("| where value_count >= peak_threshold")
    assert f", {2 * n}, {n})" in kql
    for siem in ("splunk", "esql", "kql"):
        assert out[siem].complete and any("Known peaks raise the threshold" in x for x in out[siem].notes), (
            siem
        )
    assert not out["lucene"].complete  # an Elastic threshold rule has one threshold: it says so
    assert any("known peaks" in x and x.startswith("NOT IN THE QUERY") for x in out["lucene"].notes)
    # stock pySigma (what sigma convert -t splunk|esql runs) with the exported pipeline writes the same
    for siem in ("splunk", "esql"):
        result = check_rule_set(rs, siem, pipes[siem], out[siem])
        assert result.whole and result.postprocessing, siem
        docs = [d.data for d in rs.docs]
        assert (
            stock_convert(siem, export_pipeline(pipes[siem], result.postprocessing), docs)[-1]
            == out[siem].query
        )


def test_weekday_peaks_are_written_in_each_siems_day_numbers() -> None:
    from dataclasses import replace

    from workshop.rules.logic.counting import peak_condition

    _, rs, _ = ready_case("rapid-record-access")
    agg = replace(rs.aggregation, count=10, peaks=(KnownPeak("month-end", (28,), ("sun", "mon"), 1.5),))
    assert 'in(_peak_day, 28) OR in(_peak_wd, "Mon", "Sun"), 15, true(), 10' in peak_condition("splunk", agg)
    assert "_peak_day in (28) or _peak_wd in (1, 7), 15, 10)" in peak_condition("esql", agg)
    assert "_peak_day in (28) or _peak_wd in (0, 1), 15, 10)" in peak_condition("kql", agg, "TimeGenerated")


# --------------------------------------------------------------------------- the document


def test_the_false_positives_name_the_suppression_not_the_prose() -> None:
    uc, rs, _ = ready_case("bulk-record-viewing")
    n = int(uc.parameters["max_records"].value)
    fps = uc.effective().false_positives
    assert not any(x.startswith("Peak periods:") for x in fps)  # the owners' prose is replaced
    line = next(x for x in fps if x.startswith("Known peak"))
    assert "days 18-25 of the month" in line and f"({2 * n} instead of {n})" in line
    assert line in rs.alert.data["falsepositives"]


def test_without_days_the_prose_stays_and_nothing_is_raised() -> None:
    from tests.support.sigma_cases import context, maximal_values, use_cases
    from workshop.rules.sigma import build_rule_set

    values = maximal_values()
    values.pop(Q.PEAK_DAYS, None)
    uc = next(u for u in use_cases(values) if u.template_id == "bulk-record-viewing")
    assert any(x.startswith("Peak periods:") for x in uc.effective().false_positives)
    rs = build_rule_set(uc, context(values))
    assert rs.aggregation.peaks == () and "known_peaks" not in rs.alert.data["x_workshop"]
    assert any("none are given as days" in n for n in rs.notes)


def test_the_demo_documents_name_the_peak_days_and_the_raised_threshold(demo_store) -> None:
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.exports import document_context
    from workshop.usecases.documents import analyst_brief, application_document

    ctx = document_context(demo_store, "payroll-portal", load_questionnaires())
    ucs = demo_store.list_use_cases("payroll-portal")
    brief = analyst_brief(ucs, ctx)
    assert "| Peak days (volume thresholds raised) | Payroll week" in brief and "threshold x2" in brief
    doc = application_document(ucs, ctx)
    section = doc.split("## Unusually many records opened by one user")[1].split("### Validation")[0]
    fps = section.split("### False Positives")[1]
    assert "suppressed by a raised threshold, not switched off" in fps and "(1000 instead of 500)" in fps
    assert "Peak periods:" not in fps


def test_the_peak_days_are_checked_when_answered() -> None:
    """A day that does not exist is refused at the interview, naming the row and column."""
    from workshop.core.errors import AnswerError
    from workshop.questionnaire.values import coerce
    from workshop.services.catalogues import load_questionnaires

    q = load_questionnaires().get("in-house-application").question(Q.PEAK_DAYS)
    row = {"what": "payroll week", "month_days": "25, 18-22", "weekdays": "Friday", "factor": 2}
    assert coerce(q, [row]) == [row | {"month_days": "18-22, 25", "weekdays": "fri"}]
    with pytest.raises(AnswerError, match="row 1, month_days: days of the month '40'"):
        coerce(q, [row | {"month_days": "40"}])


def test_the_synthetic_true_positive_falls_on_a_normal_day() -> None:
    """A true positive at the normal threshold on a peak day would miss by construction."""
    from dataclasses import replace

    from workshop.rules.synthetic import BASE_TIME, start_time

    _, rs, _ = ready_case("bulk-record-viewing")
    assert start_time(rs) == BASE_TIME  # the 6th: no peak
    on_base = KnownPeak("mid-week", (), ("wed", "thu"), 2)  # BASE_TIME is a Wednesday
    moved = replace(rs, aggregation=replace(rs.aggregation, peaks=(on_base,)))
    t = start_time(moved)
    assert t > BASE_TIME and not on_base.on(t.date()) and not on_base.on((t + dt.timedelta(days=1)).date())
