"""Secrets are read from the environment when written as ${NAME}."""

from __future__ import annotations

import pytest

from bus.errors import ConfigurationError
from connectors.base.secrets import resolve_secret


def test_a_reference_reads_the_variable_and_a_plain_value_stays() -> None:
    assert resolve_secret("${HOOK_KEY}", "test", {"HOOK_KEY": "k-1"}) == "k-1"
    assert resolve_secret("literal", "test", {}) == "literal"


def test_an_unset_variable_is_a_configuration_error_naming_it_and_where() -> None:
    with pytest.raises(ConfigurationError, match=r"authority 'police'.*\$\{HOOK_KEY\}"):
        resolve_secret("${HOOK_KEY}", "authority 'police'", {})
