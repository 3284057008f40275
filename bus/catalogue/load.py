"""Read the catalogue file; every error names the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from bus.catalogue.check import Loc, Problem, format_loc, problems
from bus.catalogue.model import Authority, Catalogue, RoutingRules, TopicsConfig
from bus.catalogue.sandbox import Sandbox, sandbox_problems
from bus.errors import ConfigurationError

MAX_REPORTED = 20


class CatalogueFile(BaseModel):
    """The file as written: authorities in a list, in the order they appear."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topics: TopicsConfig = Field(default_factory=TopicsConfig)
    authorities: tuple[Authority, ...]
    routing: RoutingRules = Field(default_factory=RoutingRules)
    sandboxes: tuple[Sandbox, ...] = ()

    @field_validator("authorities")
    @classmethod
    def _some(cls, authorities: tuple[Authority, ...]) -> tuple[Authority, ...]:
        if not authorities:
            raise ValueError("list at least one authority")
        return authorities


def load_catalogue(path: Path) -> Catalogue:
    """The catalogue in ``path``, checked; raises ``ConfigurationError`` naming the line."""
    root, data = _parse(path)
    if duplicates := _duplicate_keys(root, ()):
        raise _error(path, duplicates)
    try:
        document = CatalogueFile.model_validate(data)
    except ValidationError as exc:
        raise _error(path, _locate(root, [_problem(e) for e in exc.errors()])) from None
    found = problems(document.authorities, document.topics, document.routing, document.sandboxes)
    found += sandbox_problems(document.sandboxes, [a.code for a in document.authorities])
    if found:
        raise _error(path, _locate(root, found))
    return Catalogue(
        authorities={authority.code: authority for authority in document.authorities},
        topics=document.topics,
        routing=document.routing,
        sandboxes=document.sandboxes,
    )


def _parse(path: Path) -> tuple[yaml.Node, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(
            f"{path}: no catalogue there (set BUS_CATALOGUE or pass --catalogue)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read the catalogue: {exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{mark.line + 1}:" if mark else ""
        raise ConfigurationError(
            f"{path}:{line} YAML syntax error: {exc.problem or exc.context}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: YAML error: {exc}") from None
    if root is None:
        raise ConfigurationError(f"{path}: the catalogue is empty")
    return root, data


def _duplicate_keys(node: yaml.Node, loc: Loc) -> list[tuple[int, Problem]]:
    """Keys given twice in one mapping (YAML would silently keep the last), at their line."""
    found: list[tuple[int, Problem]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value in seen:
                problem = Problem((*loc, key.value), f"key {key.value!r} appears twice")
                found.append((key.start_mark.line + 1, problem))
            seen.add(key.value)
            found += _duplicate_keys(value, (*loc, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found += _duplicate_keys(item, (*loc, i))
    return found


def _problem(error: ErrorDetails) -> Problem:
    loc = tuple(part for part in error["loc"] if part != "[key]")
    if error["type"] == "extra_forbidden":
        return Problem(loc, f"unknown key {loc[-1]!r}")
    if error["type"] == "missing":
        return Problem(loc, "required key missing")
    return Problem(loc, error["msg"].removeprefix("Value error, "))


def _error(path: Path, located: list[tuple[int, Problem]]) -> ConfigurationError:
    lines = [
        f"{path}:{line}: {format_loc(problem.loc)}: {problem.message}"
        for line, problem in sorted(located, key=lambda item: item[0])
    ]
    if len(lines) > MAX_REPORTED:
        lines[MAX_REPORTED:] = [f"... and {len(lines) - MAX_REPORTED} more problems"]
    return ConfigurationError("\n".join(lines))


def _locate(root: yaml.Node, found: list[Problem]) -> list[tuple[int, Problem]]:
    return [(_line(root, problem.loc), problem) for problem in found]


def _line(root: yaml.Node, loc: Loc) -> int:
    """The 1-based line of the deepest node on ``loc``; for a key, the key's own line."""
    node, line = root, root.start_mark.line
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            hit = next(
                (
                    (key, value)
                    for key, value in node.value
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part)
                ),
                None,
            )
            if hit is None:
                break
            line, node = hit[0].start_mark.line, hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line
        else:
            break
    return line + 1
