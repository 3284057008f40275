"""The audit row is measured only when the auditor can be switched on and off."""

from __future__ import annotations

from bench.audit import auditor_switch, has_auditor, switch_field, why_unavailable


def test_the_switch_is_a_boolean_setting_named_for_audit() -> None:
    fields = {"app_id": str, "audit_topic": str, "audit_enabled": bool, "debug": bool}
    assert switch_field(fields) == "audit_enabled"


def test_no_boolean_audit_setting_means_no_switch() -> None:
    assert switch_field({"audit_topic": str, "debug": bool}) is None


def test_the_reason_given_matches_what_this_build_lacks() -> None:
    if has_auditor():
        assert auditor_switch() is not None or "no on/off switch" in why_unavailable()
    else:
        assert auditor_switch() is None
        assert "no auditor agent" in why_unavailable()
