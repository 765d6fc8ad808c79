"""examples/alerts.yml: Prometheus's own tools check the rules and test them.

`promtool check rules` reads the file; `promtool test rules` evaluates every
rule on the synthetic series of tests/alerts/*_test.yml and compares the
alerts that fire (labels and annotations) with the expected ones; `promtool
check config` reads examples/prometheus.yml (its scrape jobs) with the rules.
Without promtool these skip, unless SAGSFLOW_TEST_BROWSER=required (CI) makes
them fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "examples" / "alerts.yml"
CONFIG = ROOT / "examples" / "prometheus.yml"
TESTS = sorted((ROOT / "tests" / "alerts").glob("*_test.yml"))
METRICS = ROOT / "service" / "api" / "metrics.py"


def promtool(*argv: str) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    if tool is None:
        if os.environ.get("SAGSFLOW_TEST_BROWSER") == "required":
            pytest.fail("promtool is missing (Debian: prometheus) and CI requires it")
        pytest.skip("promtool is not installed (Debian: prometheus)")
    return subprocess.run(
        [tool, *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", str(RULES.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout


def test_promtool_checks_the_scrape_config_with_the_rules(tmp_path: Path) -> None:
    etc = "/etc/prometheus/"  # where the config names its files: here, tmp_path
    config = tmp_path / "prometheus.yml"
    config.write_text(CONFIG.read_text(encoding="utf-8").replace(etc, f"{tmp_path}/"))
    shutil.copy(RULES, tmp_path / "sagsflow-alerts.yml")
    (tmp_path / "sagsflow.token").write_text("sgf_example\n", encoding="utf-8")
    result = promtool("check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout
    jobs = {
        job["job_name"] for job in yaml.safe_load(config.read_text())["scrape_configs"]
    }
    assert jobs == {"sagsflow", "sagsflow-health"}


def test_promtool_tests_every_rule_on_synthetic_series() -> None:
    result = promtool("test", "rules", *(str(t.relative_to(ROOT)) for t in TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(TESTS) == 2
    tested = {
        case["alertname"]
        for path in TESTS
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]  # a case where the alert fires, not only stays quiet
    }
    assert tested == set(_alerts())


def test_the_rules_use_metrics_sagsflow_exports() -> None:
    exported = METRICS.read_text(encoding="utf-8")
    for name in (
        "sagsflow_oldest_chase_lag_days",
        "sagsflow_outbox_notifications",
        "sagsflow_sweep_duration_seconds",
    ):
        assert f'"{name}"' in exported
        assert name in RULES.read_text(encoding="utf-8")


def _alerts() -> list[str]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"]]
