"""README's two opening commands install into the project's own virtual environment,
so they work on Debian's and Ubuntu's own Python (externally-managed-environment) and
never touch whatever python3 is first on PATH."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_and_test_run_everything_from_the_venv():
    shown = subprocess.run(["make", "-n", "-B", "demo", "test", "PYTHON=/some/python3"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    assert "/some/python3 -m venv .venv" in shown  # made with the standard library's venv
    commands = [line for line in shown.splitlines() if re.search(r"\b(pip|pytest|jit-workbook)\b", line)
                and "echo" not in line]
    assert any("pytest" in c for c in commands) and any("jit-workbook demo" in c for c in commands)
    # every install, the tests and the demo run from .venv, none from PATH's python3
    for c in commands:
        assert re.search(r"(^|\s)\.venv/bin/(python|jit-workbook)\b", c), c
        assert "/some/python3 -m pip" not in c and not re.match(r"\s*(python3?|pip3?) ", c), c


def test_readme_opens_with_the_two_commands_and_the_windows_steps():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```")[1]
    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()] == ["make demo", "make test"]
    windows = text.split("```")[3]
    assert "py -m venv .venv" in windows and ".venv\\Scripts\\jit-workbook demo" in windows
    assert ".venv\\Scripts\\python -m pytest -q" in windows
