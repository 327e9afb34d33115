"""The "OWASP vocabulary" label is true (issue 16): only names in the OWASP Logging
Vocabulary are said to come from it."""

from __future__ import annotations

from workshop.usecases.events import EVENTS, OWASP_VOCABULARY, assumed_from


def test_only_owasp_names_are_labelled_owasp() -> None:
    assert assumed_from("authn_login_fail") == "the OWASP Logging Vocabulary"
    assert assumed_from("authn_login_success:jdoe") == "the OWASP Logging Vocabulary"
    for name in ("payee_changed", "payment_created", "data_export", "sys_config_change", "authn_mfa_change"):
        assert name not in OWASP_VOCABULARY
        assert "has no name for this event" in assumed_from(name)


def test_the_default_names_that_claim_owasp_are_in_it() -> None:
    owasp = {e.owasp for e in EVENTS.values() if e.owasp in OWASP_VOCABULARY}
    assert {"authn_login_success", "authn_login_fail", "authz_fail", "privilege_permissions_changed",
            "sys_monitor_disabled", "user_created", "session_created"} <= owasp  # fmt: skip
