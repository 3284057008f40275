"""``bus completion bash|zsh``: the scripts complete commands, options and their values in a
real shell, as a user pressing Tab would see them."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from bus.cli.main import build_parser
from bus.supervise import run_bus

TOP = ["kafka", "topics", "worker", "registry", "schemas", "audit", "replay", "completion"]


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("completion")
    found = {}
    for shell in ("bash", "zsh"):
        result = run_bus("completion", shell)
        assert result.returncode == 0, result.stderr
        found[shell] = folder / f"bus.{shell}"
        found[shell].write_text(result.stdout)
    return found


def bash_offers(script: Path, line: str, cwd: Path | None = None) -> list[str]:
    """COMPREPLY after COMP_WORDS/COMP_CWORD as bash sets them for ``line`` (cursor at its end;
    ``=`` is a word of its own, as COMP_WORDBREAKS makes it)."""
    words = line.replace("=", " = ").split() + ([""] if line.endswith((" ", "=")) else [])
    program = "\n".join(
        [
            f"source {shlex.quote(str(script))}",
            f"COMP_WORDS=({' '.join(shlex.quote(word) for word in words)})",
            f"COMP_CWORD={len(words) - 1}",
            f"COMP_LINE={shlex.quote(line)}",
            f"COMP_POINT={len(line)}",
            "_bus",
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ]
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=30,
        check=True,
    )
    return [word for word in result.stdout.splitlines() if word]


def test_the_bash_script_registers_a_completion_function_for_bus(scripts: dict[str, Path]) -> None:
    program = f"source {shlex.quote(str(scripts['bash']))} && complete -p bus"
    result = subprocess.run(["bash", "--norc", "-c", program], capture_output=True, text=True)
    assert result.stdout.strip() == "complete -F _bus bus", result.stderr


def test_bash_completes_the_commands_and_each_commands_subcommands(
    scripts: dict[str, Path],
) -> None:
    offered = bash_offers(scripts["bash"], "bus ")
    assert set(TOP) <= set(offered) and "start" not in offered
    assert bash_offers(scripts["bash"], "bus ka") == ["kafka"]
    assert set(bash_offers(scripts["bash"], "bus kafka ")) >= {"start", "stop", "status"}
    assert bash_offers(scripts["bash"], "bus completion ")[:2] == ["bash", "zsh"]


def test_bash_completes_options_and_finds_the_command_past_option_values(
    scripts: dict[str, Path],
) -> None:
    assert {"--port", "--data-dir", "--brokers", "--sasl", "--bootstrap-servers"} <= set(
        bash_offers(scripts["bash"], "bus kafka start --")
    )
    assert bash_offers(scripts["bash"], "bus kafka stop --sa") == []
    assert bash_offers(scripts["bash"], "bus --bootstrap-servers k1:9092 topics ap") == ["apply"]
    assert bash_offers(scripts["bash"], "bus replay --topic kafka --ty") == ["--type"]


def test_bash_completes_option_values_from_choices_and_folders(
    scripts: dict[str, Path], tmp_path: Path
) -> None:
    assert bash_offers(scripts["bash"], "bus replay --format ") == ["jsonl", "avro"]
    assert bash_offers(scripts["bash"], "bus replay --format=j") == ["jsonl"]
    assert bash_offers(scripts["bash"], "bus kafka start --port ") == []
    (tmp_path / "archive-2026").mkdir()
    (tmp_path / "archive.txt").write_text("")
    offered = bash_offers(scripts["bash"], "bus audit verify --archive arch", cwd=tmp_path)
    assert offered == ["archive-2026"]


def test_every_command_is_in_both_scripts(scripts: dict[str, Path]) -> None:
    bash, zsh = scripts["bash"].read_text(), scripts["zsh"].read_text()
    for path, _ in build_parser().walk():
        if path:
            assert f"'{' '.join(path)}')" in bash
            assert f"_bus__{'__'.join(path).replace('-', '_')}()" in zsh


# zsh offers completions only inside its line editor: a zsh on a pseudo-terminal types the
# line and a Tab, with compadd wrapped to print each match between two \x1f.
ZSH_SETUP = r"""
PROMPT=''
autoload -U compinit && compinit -u -D
source $BUS_COMPLETION
M=$'\x1f'
compadd() {
    [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]] && { builtin compadd "$@"; return }
    local -a hits; builtin compadd -A hits "$@"
    local h; for h in $hits; do print -r -- "$M$h$M"; done
}
_done() { print -r -- "${M}END$M" }
comppostfuncs=(_done)
bindkey '^I' complete-word
"""
ZSH_TYPE = r"""
zmodload zsh/zpty
zpty z BUS_COMPLETION=${(q)1} zsh -f -i
zpty -w z "source ${(q)2}"
zpty -w z "$3"$'\t'
local out M=$'\x1f'
zpty -r z out "*${M}END${M}*" || exit 2
for line in ${(f)out}; do
    [[ $line == *$M*$M* && $line != *${M}END${M}* ]] || continue
    line=${line#*$M}
    print -r -- ${line%%$M*}
done
zpty -d z
"""


def test_zsh_completes_commands_options_and_values(
    scripts: dict[str, Path], tmp_path: Path
) -> None:
    setup, type_line = tmp_path / "setup.zsh", tmp_path / "type.zsh"
    setup.write_text(ZSH_SETUP)
    type_line.write_text(ZSH_TYPE)

    def offers(line: str) -> list[str]:
        argv = ["zsh", "-f", str(type_line), str(scripts["zsh"]), str(setup), line]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
        return result.stdout.splitlines()

    assert set(TOP) <= set(offers("bus "))
    assert offers("bus ka") == ["kafka"]
    assert {"--port", "--brokers", "--sasl"} <= set(offers("bus kafka start --"))
    assert offers("bus kafka stop --sa") == []
    assert offers("bus replay --format ") == ["jsonl", "avro"]
    assert offers("bus --bootstrap-servers k1:9092 topics ") == ["apply"]
