"""The command line starts light: what ``--help`` and ``attack info`` load, and the lazy parser.

Speed itself is measured by ``benchmarks/bench_cli.py``; these tests check the causes
(which modules a process imports), which do not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workshop.cli import COMMAND_MODULES, build_parser

PROJECT = Path(__file__).resolve().parent.parent
HEAVY = ("sqlalchemy", "alembic", "streamlit", "pandas", "numpy", "pyarrow", "sigma", "stix2", "workshop.store",
         "workshop.services")  # fmt: skip


def loaded_after(*argv: str) -> set[str]:
    """Top-level and workshop modules imported by a fresh ``workshop ARGV`` process."""
    code = (
        "import sys, json\n"
        "from workshop.cli import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stdout = sys.__stdout__\n"
        "print('\\nMODULES=' + json.dumps(sorted(sys.modules)))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    env.pop("WORKSHOP_ATTACK_BUNDLE", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(json.loads(out.rsplit("MODULES=", 1)[1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_help_imports_nothing_heavy() -> None:
    modules = loaded_after("--help")
    assert "workshop.cli" in modules  # the probe did run the command line
    assert heavy_in(modules) == []


def test_attack_info_builtin_imports_nothing_heavy() -> None:
    modules = loaded_after("attack", "info", "--bundle", "builtin", "--json")
    assert "workshop.attack.builtin" in modules
    assert heavy_in(modules) == []


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_outline_lists_every_command_with_its_help() -> None:
    assert build_parser(["--help"]).format_help() == build_parser().format_help()


@pytest.mark.parametrize("command", sorted(_subparsers(build_parser())))
def test_named_command_gets_its_full_parser(command: str) -> None:
    """A command named on the command line is parsed exactly as with every command built."""
    full = _subparsers(build_parser())[command]
    lazy = _subparsers(build_parser([command]))[command]
    assert lazy.format_help() == full.format_help()
    for name, sub in _subparsers(full).items():
        assert _subparsers(lazy)[name].format_help() == sub.format_help()


def test_every_command_module_declares_its_commands() -> None:
    names = [name for module in COMMAND_MODULES for name in __import__(f"workshop.cli.{module}",
                                                                         fromlist=["COMMANDS"]).COMMANDS]  # fmt: skip
    assert sorted(names) == sorted(_subparsers(build_parser()))


def test_export_help_lists_the_registered_formats(capsys: pytest.CaptureFixture[str]) -> None:
    from workshop.services.exports import EXPORTERS

    with pytest.raises(SystemExit):
        build_parser(["export", "--help"]).parse_args(["export", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert f"one of: {', '.join(EXPORTERS)}" in out


def test_baseline_profile_of_a_csv_does_not_import_pandas(tmp_path: Path) -> None:
    """Profiling a CSV proposes the mapping, counts in DuckDB and derives the figures
    without pandas: its import was a fifth of the command's time on a million events
    (issue 17). Formats parsed in Python may still use it; a plain CSV needs none."""
    sample = tmp_path / "audit.csv"
    rows = ["timestamp,user,action,outcome,source_ip,records"]
    for i in range(60):
        rows.append(
            f"2024-01-{1 + i % 9:02d}T{8 + i % 10:02d}:{i % 60:02d}:00Z,user{i % 7},"
            f"{('login', 'export', 'view_record')[i % 3]},{('success', 'failure')[i % 5 == 0]},"
            f"10.0.{i % 4}.{1 + i % 9},{1 + i % 6}"
        )
    sample.write_text("\n".join(rows) + "\n", encoding="utf-8")
    modules = loaded_after("baseline", "profile", str(sample), "--json")
    assert {"workshop.baseline.engine", "workshop.baseline.derive", "duckdb"} <= modules  # the profile ran
    assert sorted(m for m in modules if m == "pandas" or m.startswith("pandas.")) == []
    assert [m for m in heavy_in(modules) if m.split(".")[0] not in ("numpy", "pyarrow")] == []
