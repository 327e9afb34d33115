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

from tests.support.sigma_cases import ready_case
from workshop.core.errors import InputError
from workshop.interview.facts import Facts, Q
from workshop.rules.testing import EventTable, count_alerts
from workshop.vocab import KnownPeak, parse_month_days, parse_weekdays, peak_factor

NORMAL_DAY = dt.datetime(2024, 3, 6, 12, 0, tzinfo=dt.UTC)  # the 6th: no peak
PEAK_DAY = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)  # the 20th: payroll week (18-25)
OUTSIDE = "203.0.113.9"


def alerts(rs, rows) -> int:
    numeric = [rs.fields[r] for r in ("records", "amount") if r in rs.fields]
    table = EventTable(rows, rs.fields.get("timestamp", "timestamp"), numeric)
    try:
        return count_alerts(rs, table, None)
    finally:
        table.close()


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
    assert peak_factor([p], dt.date(2024, 3, 20)) == 2
    assert peak_factor([p], dt.date(2024, 3, 1)) == 2  # a Friday
    assert peak_factor([p], dt.date(2024, 3, 6)) == 1
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
