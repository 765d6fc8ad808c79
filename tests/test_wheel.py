"""The production install: the wheel in a fresh venv, and the systemd units.

Once per run (module fixture): the working tree is copied (no venv, caches,
build output or tests), `python -m build` makes the sdist and, from it, the
wheel, and `pip install -c constraints.txt 'WHEEL[postgres]'` puts it
into a new virtual environment. Every command then runs that venv's `sagsflow`
with its working directory outside the source tree and no PYTHONPATH, so a file
the wheel lacks (a workflow, a letter template, a migration, a page's template or
stylesheet) fails a test here rather than in production. The build backend
(setuptools) and pip's downloads are held to constraints.txt through
PIP_CONSTRAINT; both reach the package index as `.ci/run` does (pip's cache
makes later runs quick).

The units in examples/ pass `systemd-analyze verify` (their ExecStart pointed at
a real `sagsflow`: verify wants the file) and `systemd-analyze security` with an
exposure of at most 2.0 ("OK"), where systemd-analyze is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

import tests.processes
from tests.postgres import create_database, drop_database, require_admin_url
from tests.processes import SagsflowProcess

ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = shutil.ignore_patterns(
    ".*", "build", "dist", "*.egg-info", "__pycache__", "*.db", "node_modules", "tests"
)
TIMEOUT_S = 900  # building and installing with a cold pip cache
HEAD = max(  # the newest migration: `init` must reach it from the wheel's copies
    p.name[:4] for p in (ROOT / "storage" / "migrations" / "versions").glob("0*.py")
)


@dataclass(frozen=True)
class Installed:
    """The venv the wheel went into, and a directory outside the source tree."""

    venv: Path
    cwd: Path

    @property
    def sagsflow(self) -> Path:
        return self.venv / "bin" / "sagsflow"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SAGSFLOW_")
            and key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
        }
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env | extra

    def run(self, *argv: str, db: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.sagsflow), "--db", db, *argv],
            cwd=self.cwd,
            env=self.env(SAGSFLOW_LANGUAGE="en"),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        assert result.returncode == 0, f"sagsflow {' '.join(argv)}:\n{result.stderr}"
        return result


def _step(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert result.returncode == 0, f"{argv[:4]}:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    source, dist, venv, cwd = (base / n for n in ("source", "dist", "venv", "run"))
    shutil.copytree(ROOT, source, ignore=NOT_SHIPPED)
    cwd.mkdir()
    constraints = str(ROOT / "constraints.txt")
    env = Installed(venv, cwd).env(PIP_CONSTRAINT=constraints)
    _step(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(source)], base, env
    )
    (wheel,) = dist.glob("sagsflow-*.whl")
    _step([sys.executable, "-m", "venv", str(venv)], base, env)
    requirement = f"{wheel}[postgres]"  # as the README's install names it
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    _step([*pip, "-c", constraints, requirement], base, env)
    return Installed(venv, cwd)


@pytest.mark.slow
def test_the_installed_package_is_the_wheel_not_the_source(
    installed: Installed,
) -> None:
    python = installed.venv / "bin" / "python"
    code = "import engine, service, storage, workflows, demo; print(service.__file__)"
    result = subprocess.run(
        [str(python), "-c", code],
        cwd=installed.cwd,
        env=installed.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(result.stdout.strip()).is_relative_to(installed.venv)


@pytest.mark.slow
def test_init_then_a_letter_rendered_from_the_bundled_templates(
    installed: Installed,
) -> None:
    db = "sqlite:///office.db"
    assert HEAD in installed.run("init", db=db).stdout  # every migration shipped
    installed.run("user", "add", "bra", "--role", "advisor", db=db)
    installed.run("user", "add", "jur", "--role", "caseworker", "--actor", "bra", db=db)
    opened = installed.run(
        *("case", "open", "ombudsman-inquiry", "--actor", "bra", "--title", "Test"),
        *("--party", "authority=Socialforvaltningen", "--data", "own_initiative=true"),
        "--json",
        db=db,
    )
    number = json.loads(opened.stdout)["number"]
    installed.run(
        *("case", "fire", number, "send_inquiry", "--actor", "jur"),
        *("--document", "Brev med opklarende spørgsmål"),
        db=db,
    )
    installed.run(
        *("document", "get", f"{number}-1", "--out", "letter.pdf", "--actor", "jur"),
        db=db,
    )
    assert (installed.cwd / "letter.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.slow
def test_demo_sweep_and_audit_verify(installed: Installed) -> None:
    db = "sqlite:///demo.db"
    demo = installed.run(
        *("demo", "--cases", "20", "--seed", "1", "--start", "2026-11-24"), db=db
    )
    assert "2024-0283489" in demo.stdout
    swept = json.loads(installed.run("sweep", "--force", "--json", db=db).stdout)
    assert swept["examined"] >= 0
    installed.run("audit", "verify", db=db)
    assert installed.run("workflow", "list", db=db).stdout.count("\n") >= 2


@pytest.mark.slow
def test_the_api_serves_health_docs_and_the_pages_stylesheet(
    installed: Installed, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = "sqlite:///api.db"
    installed.run("init", db=db)
    monkeypatch.setattr(tests.processes, "SAGSFLOW", installed.sagsflow)
    env = installed.env(SAGSFLOW_DATABASE_URL=db, SAGSFLOW_LOG_FORMAT="json")
    env["SAGSFLOW_LOG_LEVEL"] = "info"
    api = SagsflowProcess(env, ("api", "--port", "0"), cwd=installed.cwd)
    try:
        port = api.wait_for_event("api_started")["port"]
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}") as http:
            health = http.get("/health")
            docs = http.get("/docs")
            style = http.get("/ui/static/style.css")
            login = http.get("/ui/login")
    finally:
        code = api.terminate()
    assert code == 0, api.tail()
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert style.status_code == 200
    assert style.headers["content-type"].startswith("text/css")
    assert login.status_code == 200


@pytest.mark.slow
def test_init_on_postgresql_with_the_postgres_extra(installed: Installed) -> None:
    admin = require_admin_url()
    url = create_database(admin)
    try:
        rendered = url.render_as_string(hide_password=False)
        assert HEAD in installed.run("init", db=rendered).stdout
        installed.run("audit", "verify", db=rendered)
    finally:
        drop_database(admin, str(url.database))


UNITS = sorted((ROOT / "examples").glob("*.service"))
EXEC = "/opt/sagsflow/venv/bin/sagsflow"  # the venv the README's install builds
needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


def test_the_units_run_the_venv_the_install_builds() -> None:
    assert [unit.name for unit in UNITS] == [
        "sagsflow-api.service",
        "sagsflow-serve.service",
    ]
    for unit in UNITS:
        lines = unit.read_text(encoding="utf-8").splitlines()
        command = unit.stem.removeprefix("sagsflow-")  # serve, api
        assert any(line.startswith(f"ExecStart={EXEC} {command} ") for line in lines)
        for setting in (
            "User=sagsflow",
            "StateDirectory=sagsflow",
            "ProtectSystem=strict",
            "ReadWritePaths=/var/lib/sagsflow",
            "NoNewPrivileges=yes",
            "PrivateTmp=yes",
            "ProtectHome=yes",
            "CapabilityBoundingSet=",
        ):
            assert setting in lines, (unit.name, setting)


@needs_systemd
@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_systemd_analyze_verifies_the_unit(unit: Path, tmp_path: Path) -> None:
    real = Path(sys.executable).with_name("sagsflow")  # verify wants the file there
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text(encoding="utf-8").replace(EXEC, str(real)))
    for argv in (
        ["verify", "--man=no", str(copy)],
        ["security", "--offline=true", "--threshold=20", str(copy)],
    ):
        result = subprocess.run(
            ["systemd-analyze", *argv], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
        if argv[0] == "verify":  # an unknown or misspelt setting is only a warning
            assert result.stderr == "", result.stderr
