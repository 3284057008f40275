"""Every event type has one constant, and every constant names a contract."""

from __future__ import annotations

import pytest

from bus.errors import SchemaError
from bus.schemas import types
from bus.schemas.contracts import load_contracts
from bus.settings import Settings


def test_each_contract_has_a_constant_and_each_constant_a_contract() -> None:
    contracts = set(load_contracts(Settings().schemas_dir))
    constants = {
        value
        for name, value in vars(types).items()
        if name.isupper() and isinstance(value, str) and not value.endswith(".")
    }
    assert constants - {types.EVENT_HEADER} == contracts


def test_a_short_name_finds_its_full_name_only_when_it_is_unambiguous() -> None:
    known = [types.GREETING, types.MESSAGE_SENT]
    assert types.full_name("Greeting", known) == types.GREETING
    assert types.full_name(types.MESSAGE_SENT, known) == types.MESSAGE_SENT
    assert types.full_name("Nope", known) is None
    assert types.short_name(types.GREETING) == "Greeting"


def test_resolve_takes_full_and_short_names_and_suggests_the_one_meant() -> None:
    known = [types.GREETING, types.MESSAGE_SENT]
    assert types.resolve("Greeting", known) == types.GREETING
    assert types.resolve(types.MESSAGE_SENT, known) == types.MESSAGE_SENT
    with pytest.raises(SchemaError, match="unknown event type 'Greting': did you mean Greeting"):
        types.resolve("Greting", known)


def test_resolve_refuses_a_short_name_two_namespaces_share() -> None:
    known = [types.GREETING, "gov.other.Greeting"]
    with pytest.raises(SchemaError, match="ambiguous: give one of gov"):
        types.resolve("Greeting", known)
