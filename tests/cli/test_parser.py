"""The ``bus`` command line: its version, where options may go, and help for everything."""

from __future__ import annotations

import re

import pytest

import bus
from bus.cli.main import build_parser, settings_from
from bus.supervise import run_bus


def test_version_prints_the_bus_version() -> None:
    result = run_bus("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"bus {bus.__version__}"


@pytest.mark.parametrize(
    "argv",
    [
        ["--bootstrap-servers", "k1:9092", "topics", "apply"],
        ["topics", "apply", "--bootstrap-servers", "k1:9092"],
        ["topics", "apply", "--bootstrap-server", "k1:9092"],
        ["--bootstrap-server", "k0:9092", "topics", "apply", "--bootstrap-servers", "k1:9092"],
    ],
    ids=["before", "after", "kafka's spelling", "after wins"],
)
def test_the_bootstrap_servers_may_be_given_before_or_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert settings_from(args).bootstrap_servers == "k1:9092"


def test_verbose_and_the_registry_url_after_the_command_are_kept() -> None:
    args = build_parser().parse_args(
        ["replay", "--type", "Greeting", "-v", "--schema-registry-url", "http://r:8081"]
    )
    assert args.verbose and settings_from(args).schema_registry_url == "http://r:8081"
    assert build_parser().parse_args(["-v", "replay"]).verbose


def test_every_command_and_option_has_help_text() -> None:
    root = build_parser()
    walked = list(root.walk())
    assert len(walked) > 25
    for path, parser in walked:
        command = " ".join(("bus", *path))
        assert parser.description, f"`{command} --help` has no description"
        for action in parser.options:
            assert action.help, f"{command} {'/'.join(action.option_strings) or action.dest}"
        for name in parser.subcommands():
            assert parser.commands is not None and parser.commands.summaries.get(name)
        usage = parser.format_usage()
        known = {string for action in parser.options for string in action.option_strings}
        for option in re.findall(r"\[(--?[\w-]+)", usage):
            assert option in known, f"{command}: {option} is not walked"


def test_kafka_stop_and_status_take_no_sasl_option_they_would_ignore() -> None:
    for action in ("stop", "status"):
        result = run_bus("kafka", action, "--sasl")
        assert result.returncode == 2
        assert "unrecognized arguments: --sasl" in result.stderr


def test_the_officials_file_may_be_given_as_an_option(tmp_path: object) -> None:
    result = run_bus("officials", "serve", "--officials", "/nonexistent/officials.yaml")
    assert result.returncode == 2
    assert result.stderr.startswith("bus: error: officials file /nonexistent/officials.yaml")
