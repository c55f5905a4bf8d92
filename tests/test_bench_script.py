"""scripts/bench.py's backtest takes the owner's settings as typed (--setting, --sku-service-level)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), "--shop", "tiny", "--backtest-only", *args],
                          capture_output=True, text=True, timeout=300)


def overall_target(out: str) -> str:
    return re.search(r"overall: target (\S+),", out).group(1)


@pytest.mark.slow
def test_settings_typed_on_the_command_line_set_the_backtests_targets():
    own = bench()
    assert own.returncode == 0, own.stderr
    assert overall_target(own.stdout) != "99.0%"  # the tiny shop's own class levels (98/95/90%)

    every_class = bench("--setting", "Service Level A=99%", "--setting", "Service Level B = 0.99",
                        "--setting", "Service Level C=99")  # three ways an owner types 99%
    assert every_class.returncode == 0, every_class.stderr
    assert "setting changed for this backtest: Service Level A=99%" in every_class.stdout
    assert overall_target(every_class.stdout) == "99.0%"

    every_row = bench("--sku-service-level", "97%")
    assert every_row.returncode == 0, every_row.stderr
    assert "Service Level 97.0% typed in every Stock row" in every_row.stdout
    assert overall_target(every_row.stdout) == "97.0%"


@pytest.mark.slow
def test_a_setting_that_cannot_be_used_is_named_in_plain_words():
    typo = bench("--setting", "Service Levle A=99%")
    assert typo.returncode == 1
    assert "'Service Levle A=99%': expected NAME=VALUE with NAME a Settings row" in typo.stderr
    bad = bench("--setting", "Service Level A=abc")
    assert bad.returncode == 1
    assert 'Service Level A "abc" is not a percentage' in bad.stderr
    assert "Traceback" not in typo.stderr + bad.stderr
