"""The pytest plugin (entry point ``cashsocial``) loads in every pytest run of
every project that has the package installed: it must cost nothing there
until one of its fixtures is used, and it must be easy to turn off."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

PLUGIN = "_authlib_cashsocial_pytestplugin"

RECORD_MODULES = """
import json, os, sys

def test_record_modules():
    with open(os.environ["MODULES_OUT"], "w") as out:
        json.dump(sorted(sys.modules), out)
"""

USE_FIXTURE = """
from authlib_cashsocial import CashSocialSession

def test_login(cashsocial_provider):
    site = cashsocial_provider
    session = CashSocialSession(site.app.app_id, site.app.app_secret,
                                base_url=site.base_url)
    url, _ = session.create_authorization_url()
    alice = site.browser.log_in(url, username="alice", password="wonderland")
    session.fetch_token(authorization_response=alice)
    assert session.userinfo()["sub"] == "101"
"""


def _pytest(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """pytest in a project of its own (its own rootdir, no config of ours)."""
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _modules_at_test_time(project: Path, *args: str) -> set[str]:
    (project / "test_modules.py").write_text(RECORD_MODULES, encoding="utf-8")
    out = project / "modules.json"
    done = _pytest(project, "test_modules.py", *args, env={"MODULES_OUT": str(out)})
    assert done.returncode == 0, done.stdout + done.stderr
    return set(json.loads(out.read_text(encoding="utf-8")))


def test_the_plugin_adds_no_module_to_a_run_that_uses_no_fixture(tmp_path: Path):
    with_plugin = _modules_at_test_time(tmp_path)
    without = _modules_at_test_time(tmp_path, "-p", "no:cashsocial")
    assert PLUGIN in with_plugin  # it did load
    assert with_plugin - without == {PLUGIN}
    for heavy in (
        "authlib",
        "authlib_cashsocial",
        "requests",
        "werkzeug",
        "cryptography",
    ):
        assert heavy not in with_plugin


def test_the_fixture_works_and_p_no_cashsocial_turns_the_plugin_off(tmp_path: Path):
    (tmp_path / "test_login.py").write_text(USE_FIXTURE, encoding="utf-8")
    used = _pytest(tmp_path, "test_login.py", "-W", "error")
    assert used.returncode == 0, used.stdout + used.stderr
    assert "1 passed" in used.stdout
    off = _pytest(tmp_path, "test_login.py", "-p", "no:cashsocial")
    assert off.returncode != 0
    assert "fixture 'cashsocial_provider' not found" in off.stdout


def test_importing_the_plugin_takes_well_under_10_ms():
    """pytest is loaded when it imports the plugin; the plugin's own import is
    what each run pays. The best of three runs (a busy machine can pause any
    single one)."""
    timings = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import pytest, {PLUGIN}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        line = next(
            line for line in done.stderr.splitlines() if line.endswith(f"| {PLUGIN}")
        )
        cumulative = int(re.split(r"\s*\|\s*", line)[1])
        timings.append(cumulative)
    assert min(timings) < 10_000, timings  # microseconds
