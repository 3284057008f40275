"""Checks across the catalogue that no single field can make, each tied to a path in the file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from bus.catalogue.names import collision_key

if TYPE_CHECKING:
    from bus.catalogue.model import Authority, RoutingRules, TopicsConfig
    from bus.catalogue.sandbox import Sandbox

Loc = tuple[str | int, ...]
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Problem(NamedTuple):
    loc: Loc
    message: str


def format_loc(loc: Loc) -> str:
    """``('authorities', 1, 'services', 0)`` as ``authorities[1].services[0]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text or "(top level)"


def problems(
    authorities: Sequence[Authority],
    topics: TopicsConfig,
    routing: RoutingRules,
    sandboxes: Sequence[Sandbox] = (),
) -> list[Problem]:
    """Everything inconsistent between authorities, topics, routing rules and sandboxes."""
    return [
        *_duplicate_codes(authorities),
        *_double_claims(authorities),
        *_topic_clashes(authorities, topics, sandboxes),
        *_unknown_authorities(authorities, routing),
    ]


def _duplicate_codes(authorities: Sequence[Authority]) -> list[Problem]:
    first: dict[str, int] = {}
    found = []
    for i, authority in enumerate(authorities):
        if authority.code in first:
            where = f"authorities[{first[authority.code]}]"
            found.append(
                Problem(
                    ("authorities", i, "code"),
                    f"code {authority.code!r} is already used by {where}",
                )
            )
        first.setdefault(authority.code, i)
    return found


def _double_claims(authorities: Sequence[Authority]) -> list[Problem]:
    found = []
    for field, what in (("services", "service"), ("intents", "intent")):
        owner: dict[str, str] = {}
        for i, authority in enumerate(authorities):
            for j, claim in enumerate(getattr(authority, field)):
                if claim in owner:
                    others = f"both {owner[claim]} and {authority.code}"
                    if owner[claim] == authority.code:
                        others = f"listed twice by {authority.code}"
                    found.append(
                        Problem(
                            ("authorities", i, field, j), f"{what} {claim!r} is owned by {others}"
                        )
                    )
                owner.setdefault(claim, authority.code)
    return found


def _topic_clashes(
    authorities: Sequence[Authority], topics: TopicsConfig, sandboxes: Sequence[Sandbox]
) -> list[Problem]:
    named: list[tuple[Loc, str]] = [
        (("topics", key), name) for key, name in topics.shared().items()
    ]
    for i, authority in enumerate(authorities):
        named += [
            (("authorities", i, "inbox"), authority.inbox),
            (("authorities", i, "assistant_topic"), authority.assistant_topic),
        ]
    for i, box in enumerate(sandboxes):
        named += [
            (("sandboxes", i, "input"), box.input),
            (("sandboxes", i, "answers"), box.answers),
        ]
    seen: dict[str, tuple[Loc, str]] = {}
    found = []
    for loc, name in named:
        if (earlier := seen.get(collision_key(name))) is not None:
            same = "is also" if earlier[1] == name else f"collides with {earlier[1]!r} in"
            found.append(
                Problem(
                    loc,
                    f"topic {name!r} {same} {format_loc(earlier[0])} "
                    "(give one of them its own name)",
                )
            )
        seen.setdefault(collision_key(name), (loc, name))
    known = {name for _, name in named}
    found += [
        Problem(("topics", "overrides", name), f"override for {name!r}, which is not a bus topic")
        for name in topics.overrides
        if name not in known
    ]
    return found


def _unknown_authorities(authorities: Sequence[Authority], routing: RoutingRules) -> list[Problem]:
    codes = {authority.code for authority in authorities}
    refs: list[tuple[Loc, str | None]] = [
        *((("routing", "services", service), code) for service, code in routing.services.items()),
        *(
            (("routing", "intents", i, "authority"), rule.authority)
            for i, rule in enumerate(routing.intents)
        ),
        (("routing", "fallback"), routing.fallback),
    ]
    return [
        Problem(loc, f"unknown authority {code!r} (known: {', '.join(sorted(codes)) or 'none'})")
        for loc, code in refs
        if code is not None and code not in codes
    ]
