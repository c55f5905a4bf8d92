"""Docs cannot drift: README's tables come from the contract and every command is documented."""

import re
from pathlib import Path

import pytest

from jit_workbook import contract as K
from jit_workbook.cli import cli
from jit_workbook.docs import update
from jit_workbook.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_tables_match_the_contract():
    assert update(README) == README, "README is stale: run python scripts/update_readme.py"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_a_readme_entry(name):
    command = cli.commands[name]
    assert command.help and len(command.help) > 20
    assert f"`jit-workbook {name}" in README


def test_readme_opens_with_the_demo_and_test_commands_ci_runs():
    first_block = re.search(r"```\n(.*?)```", README, re.S).group(1)
    assert "make demo" in first_block and "make test" in first_block
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_setting_and_default_is_in_readme():
    for label, default, _ in Settings.rows():
        assert f"`{label}`" in README


def test_every_formula_setting_is_explained_in_the_formulas_section():
    formulas = README.split("## The formulas")[1]
    for word in ("History Days", "As Of Date", "Review Period Days", "Service Level A", "Obsolete After Days",
                 "Slow Mover Months", "MOQ", "Case Pack"):
        assert word in formulas, word
