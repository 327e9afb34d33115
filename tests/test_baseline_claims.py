"""Owners' claims against a crafted sample whose figures are known."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.baseline.build import build_profile
from workshop.baseline.claims import (
    CONSISTENT,
    CONTRADICTED,
    UNVERIFIABLE,
    Discrepancy,
    check_claims,
    compare_claims,
    profile_options_from_answers,
)
from workshop.baseline.loading import load_sample
from workshop.baseline.profile import Profile

# Monday 4 to Sunday 10 March 2024; 9 events, 2 of them at the weekend.
SAMPLE = """ts,user,action,outcome,src_ip,records,country
2024-03-04T09:00:00Z,alice,login,success,10.0.0.1,,GB
2024-03-04T09:05:00Z,alice,view,success,10.0.0.1,5,GB
2024-03-04T09:10:00Z,alice,view,success,10.0.0.1,7,GB
2024-03-04T10:00:00Z,bob,login,failure,10.0.0.2,,GB
2024-03-04T10:01:00Z,bob,login,success,10.0.0.2,,GB
2024-03-04T19:30:00Z,bob,export,success,10.0.0.2,100,GB
2024-03-05T08:30:00Z,alice,login,success,10.0.0.1,,GB
2024-03-09T23:30:00Z,carol,login,success,192.168.1.5,,FR
2024-03-10T00:30:00Z,carol,export,denied,192.168.1.5,50,FR
"""


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    p = tmp_path / "audit.csv"
    p.write_text(SAMPLE, encoding="utf-8")
    return p


@pytest.fixture
def profile(sample_path: Path) -> Profile:
    return build_profile(load_sample(sample_path), service_accounts=["carol", "svc_gone"])


def one(checks: list[Discrepancy], qid: str) -> Discrepancy:
    found = [c for c in checks if c.question_id == qid]
    assert len(found) == 1, found
    return found[0]


def test_weekend_claims(profile: Profile) -> None:
    none = one(check_claims(profile, {"access.weekend_use": "none"}), "access.weekend_use")
    assert none.verdict == CONTRADICTED and none.severity == "high"
    assert "22.2% of events (2) fall on Saturday or Sunday" in none.evidence
    rare = one(check_claims(profile, {"access.weekend_use": "rare"}), "access.weekend_use")
    # 1 event per weekend day against 7/5 = 1.4 per weekday: not rare.
    assert rare.verdict == CONTRADICTED and rare.severity == "medium"
    regular = one(check_claims(profile, {"access.weekend_use": "regular"}), "access.weekend_use")
    assert regular.verdict == CONSISTENT


def test_business_hours_claim(profile: Profile) -> None:
    window = {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "08:00",
        "end": "18:00",
        "timezone": "UTC",
    }
    d = one(check_claims(profile, {"access.business_hours": window}), "access.business_hours")
    assert d.verdict == CONTRADICTED and d.severity == "high"
    assert "33.3% of events (3 of 9) fall outside these hours" in d.evidence
    # A different zone than the profile's cannot be compared like with like.
    london = dict(window, timezone="Asia/Tokyo")
    d = one(check_claims(profile, {"access.business_hours": london}), "access.business_hours")
    assert d.verdict == UNVERIFIABLE and "in the Asia/Tokyo time zone" in d.evidence
    # A wider window in the same zone is computed from the hourly counts.
    wide = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}
    d = one(check_claims(profile, {"access.business_hours": wide}), "access.business_hours")
    assert d.verdict == CONSISTENT and d.evidence.startswith("0.0% of events")


def test_daily_logins_like_with_like(profile: Profile) -> None:
    # Successful logins per day with logins: 2, 1, 1 -> median 1; the failed one is not counted.
    d = one(check_claims(profile, {"volume.daily_logins": 100}), "volume.daily_logins")
    assert d.verdict == CONTRADICTED and d.severity == "high"
    assert "median 1 successful logins a day on the 3 day(s) with logins (busiest day 2)" in d.evidence
    assert "1 failed attempts not counted" in d.evidence
    ok = one(check_claims(profile, {"volume.daily_logins": 2}), "volume.daily_logins")
    assert ok.verdict == CONSISTENT


def test_logins_need_a_matching_action(sample_path: Path) -> None:
    from workshop.baseline.options import ProfileOptions

    prof = build_profile(load_sample(sample_path), options=ProfileOptions(login_pattern="^authenticate$"))
    d = one(check_claims(prof, {"volume.daily_logins": 5}), "volume.daily_logins")
    assert d.verdict == UNVERIFIABLE and "login pattern" in d.evidence


def test_records_per_user_day(profile: Profile, sample_path: Path) -> None:
    # Records per user per active day: 12, 0, 100, 0, 50 -> median 12.
    ok = one(check_claims(profile, {"volume.records_per_user_day": 12}), "volume.records_per_user_day")
    assert ok.verdict == CONSISTENT and "median 12 records per user per active day" in ok.evidence
    high = one(check_claims(profile, {"volume.records_per_user_day": 1}), "volume.records_per_user_day")
    assert high.verdict == CONTRADICTED and high.severity == "high"
    by_ip = build_profile(load_sample(sample_path), entity_role="source_ip")
    d = one(check_claims(by_ip, {"volume.records_per_user_day": 12}), "volume.records_per_user_day")
    assert d.verdict == UNVERIFIABLE and "with user as the entity" in d.evidence


def test_exports_per_day(profile: Profile) -> None:
    d = one(check_claims(profile, {"volume.exports_per_day": 1}), "volume.exports_per_day")
    assert d.verdict == CONSISTENT  # one export on each of two days
    d = one(check_claims(profile, {"volume.exports_per_day": 0}), "volume.exports_per_day")
    assert d.verdict == CONTRADICTED


def test_user_count(profile: Profile) -> None:
    d = one(check_claims(profile, {"users.total_count": 1}), "users.total_count")
    assert d.verdict == CONTRADICTED and "3 distinct user account(s)" in d.evidence
    assert one(check_claims(profile, {"users.total_count": 10}), "users.total_count").verdict == CONSISTENT


def test_countries_and_networks(profile: Profile, tmp_path: Path) -> None:
    d = one(check_claims(profile, {"access.countries": ["gb", "IE"]}), "access.countries")
    assert d.verdict == CONTRADICTED and d.severity == "high"
    assert "2 events (22.2%) come from countries not listed: FR (2)" in d.evidence
    n = one(check_claims(profile, {"access.networks": ["10.0.0.0/8", "not-a-net"]}), "access.networks")
    assert n.verdict == CONTRADICTED
    assert "192.168.1.5 (2)" in n.evidence and "checked all 3 addresses" in n.evidence
    assert "not-a-net" in n.evidence
    ok = one(check_claims(profile, {"access.networks": ["10.0.0.0/8", "192.168.0.0/16"]}), "access.networks")
    assert ok.verdict == CONSISTENT
    p = tmp_path / "nocountry.csv"
    p.write_text("ts,user\n2024-03-04T09:00:00Z,a\n", encoding="utf-8")
    d = one(check_claims(build_profile(load_sample(p)), {"access.countries": ["GB"]}), "access.countries")
    assert d.verdict == UNVERIFIABLE and "map a column to the country role" in d.evidence


def test_service_accounts(profile: Profile) -> None:
    rows = [
        {"name": "carol", "purpose": "sync", "source_hosts": "10.0.0.0/24", "interactive_allowed": False},
        {"name": "svc_gone", "purpose": "old job", "source_hosts": "batch01", "interactive_allowed": False},
        {"name": "dave", "purpose": "", "source_hosts": "", "interactive_allowed": True},
    ]
    checks = check_claims(profile, {"service.accounts": rows})
    by_claim = {c.claim: c for c in checks}
    hours = by_claim["Service account carol (sync)"]
    assert hours.verdict == CONSISTENT and "2 events on 2 day(s), at 00:00, 23:00" in hours.evidence
    hosts = by_claim["carol runs only from 10.0.0.0/24"]
    assert hosts.verdict == CONTRADICTED and hosts.severity == "high"
    assert "also acted from 192.168.1.5" in hosts.evidence
    gone = by_claim["Service account svc_gone (old job)"]
    assert gone.verdict == CONTRADICTED and gone.severity == "low" and "no events" in gone.evidence
    dave = by_claim["Service account dave"]
    assert dave.verdict == UNVERIFIABLE


def test_unlisted_service_like_accounts(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text("ts,user\n2024-03-04T09:00:00Z,svc_report\n2024-03-04T09:00:00Z,alice\n", encoding="utf-8")
    prof = build_profile(load_sample(p))
    checks = check_claims(prof, {"service.accounts": []})
    assert [c.evidence.split("'")[1] for c in checks] == ["svc_report"]
    assert checks[0].verdict == CONTRADICTED


def test_compare_claims_only_contradictions_sorted(profile: Profile) -> None:
    answers = {
        "access.weekend_use": "none",
        "users.total_count": 10,
        "access.networks": ["10.0.0.0/8"],
        "access.countries": ["GB", "FR"],
        "volume.exports_per_day": 0,
    }
    found = compare_claims(profile, answers)
    assert {d.question_id for d in found} == {
        "access.weekend_use",
        "access.networks",
        "volume.exports_per_day",
    }
    assert [d.severity for d in found] == sorted(
        (d.severity for d in found), key=["high", "medium", "low"].index
    )
    assert all(d.verdict == CONTRADICTED for d in found)
    assert Discrepancy.from_dict(found[0].to_dict()) == found[0]


def test_answer_records_are_unwrapped(profile: Profile) -> None:
    class Answer:
        value = "none"

    d = one(check_claims(profile, {"access.weekend_use": Answer()}), "access.weekend_use")
    assert d.verdict == CONTRADICTED
    d = one(check_claims(profile, {"users.total_count": {"value": 1}}), "users.total_count")
    assert d.verdict == CONTRADICTED


def test_profile_options_from_answers() -> None:
    opts = profile_options_from_answers(
        {
            "access.business_hours": {
                "days": ["mon"],
                "start": "07:00",
                "end": "19:00",
                "timezone": "Europe/London",
            },
            "service.accounts": [{"name": "svc_a"}, {"name": ""}],
        }
    )
    assert opts["tz"] == "Europe/London"
    assert opts["business_hours"].days == ("mon",)
    assert opts["service_accounts"] == ["svc_a"]
    assert profile_options_from_answers({}) == {"tz": "UTC", "business_hours": None, "service_accounts": []}
