"""Events for eyes that must not see personal data: ``replay --scrub`` and the audit log.

A contract marks personal data ``"pii": true`` and what people type
``"free_text": true``. Scrubbing an event's data keeps free text readable with
each identifier in it replaced (``<isikukood:hmac:...>``), and replaces every
other personal-data value whole by its pseudonym. The audit log keeps free
text as one pseudonym, and adds one for each identifier found in it, so an
auditor can follow a personal code typed into chat like one in a form field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bus.privacy.finder import find
from bus.privacy.scrubber import Scrubber
from bus.schemas.contracts import Contract, path_tokens

HIDDEN = "<pii>"
"""What a personal-data value becomes when there is no pseudonym key."""


def scrubbed(data: Mapping[str, Any], contract: Contract, scrubber: Scrubber) -> dict[str, Any]:
    """A copy of ``data`` with free text scrubbed and other personal data pseudonymised."""
    free = set(contract.free_text_fields)
    result: Any = dict(data)
    for path in contract.free_text_fields:
        result = _apply(result, path_tokens(path), lambda value: _scrub(value, scrubber))
    for path in contract.pii_fields:
        if path not in free:
            result = _apply(result, path_tokens(path), lambda value: _hide(value, scrubber))
    return dict(result)


def identifier_pseudonyms(
    data: Mapping[str, Any], contract: Contract, scrubber: Scrubber
) -> dict[str, str]:
    """``{"text#isikukood#1": "hmac:..."}``: each identifier found in each free-text field.

    The pseudonym is the audit log's over the identifier's canonical form, the same
    as for that value in a ``pii`` field. Without a pseudonym key there is nothing to add.
    """
    pseudonymizer = scrubber.pseudonymizer
    if pseudonymizer is None:
        return {}
    found: dict[str, str] = {}
    for path in contract.free_text_fields:
        texts = [value for value in _at(data, path_tokens(path)) if isinstance(value, str)]
        for n, text in enumerate(texts):
            counted: dict[str, int] = {}
            for finding in find(text, scrubber.kinds):
                counted[finding.kind] = counted.get(finding.kind, 0) + 1
                where = path if n == 0 else f"{path}#{n}"
                key = f"{where}#{finding.kind}#{counted[finding.kind]}"
                found[key] = pseudonymizer.pseudonym(finding.canonical)
    return found


def _at(data: Any, tokens: list[str]) -> Iterator[Any]:
    """Every value at the path ``tokens`` names."""
    if not tokens:
        yield data
        return
    token, rest = tokens[0], tokens[1:]
    if token == "[]" and isinstance(data, list):
        for item in data:
            yield from _at(item, rest)
    elif token == "{}" and isinstance(data, dict):
        for item in data.values():
            yield from _at(item, rest)
    elif isinstance(data, Mapping) and token in data:
        yield from _at(data[token], rest)


def _apply(data: Any, tokens: list[str], change: Callable[[Any], Any]) -> Any:
    """``data`` with ``change`` applied to every value at the path ``tokens`` names."""
    if not tokens:
        return change(data)
    token, rest = tokens[0], tokens[1:]
    if token == "[]":
        return [_apply(item, rest, change) for item in data] if isinstance(data, list) else data
    if token == "{}":
        if isinstance(data, dict):
            return {key: _apply(item, rest, change) for key, item in data.items()}
        return data
    if isinstance(data, dict) and token in data:
        return {**data, token: _apply(data[token], rest, change)}
    return data


def _scrub(value: Any, scrubber: Scrubber) -> Any:
    return scrubber.scrub(value).text if isinstance(value, str) else value


def _hide(value: Any, scrubber: Scrubber) -> Any:
    """A personal-data value replaced whole; a map's keys and a list's items one by one."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {_hide(key, scrubber): _hide(item, scrubber) for key, item in value.items()}
    if isinstance(value, list):
        return [_hide(item, scrubber) for item in value]
    pseudonymizer = scrubber.pseudonymizer
    token = pseudonymizer.pseudonym(value) if pseudonymizer is not None else HIDDEN
    return token.encode() if isinstance(value, bytes) else token
