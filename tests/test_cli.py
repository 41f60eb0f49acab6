"""Bad input to `mdp` gets one clear line, status 2, and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MDP = str(Path(sys.executable).with_name("mdp"))


@pytest.fixture(scope="module")
def mdp(tmp_path_factory):
    """One state directory for the module: every command here must leave it unchanged."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDP_")}
    env["MDP_STATE_DIR"] = str(tmp_path_factory.mktemp("cli"))

    def run(*args, env_extra=None):
        return subprocess.run([MDP, *args], env={**env, **(env_extra or {})}, capture_output=True, text=True)

    run("user", "add", "alice")
    run("project", "create", "MIGAPE", "--title", "t", "--start", "2026-01-01", "--end", "2026-12-31")
    return run


def _one_line_error(proc, needle):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, needle", [
    (["project", "create", "X", "--title", "t", "--start", "2026-05-01", "--end", "2026-01-01"], "before the start date"),
    (["project", "create", "X", "--title", "t", "--start", "2026-13-01", "--end", "2027-01-01"], "is not a date"),
    (["project", "create", "migape", "--title", "t", "--start", "2026-01-01", "--end", "2027-01-01"], "exists already"),
    (["project", "create", "../..", "--title", "t", "--start", "2026-01-01", "--end", "2027-01-01"], "no usable project id"),
    (["project", "add-member", "nosuch", "alice"], "unknown project"),
    (["project", "add-member", "migape", "nobody"], "unknown user"),
    (["project", "set-end", "migape", "2025-01-01"], "before the start date"),
    (["user", "add", "alice"], "exists already"),
    (["user", "add", "Bad/Name"], "not a valid username"),
])
def test_bad_input(mdp, args, needle):
    before = mdp("project", "list").stdout
    _one_line_error(mdp(*args), needle)
    assert mdp("project", "list").stdout == before


def test_bad_setting_is_named(mdp):
    _one_line_error(mdp("project", "list", env_extra={"MDP_TIME_ZONE": "Mars/Olympus"}), "MDP_TIME_ZONE")


def test_stopped_docker_engine_is_one_line(mdp):
    _one_line_error(mdp("images", "build", env_extra={"DOCKER_HOST": "unix:///nonexistent/docker.sock"}),
                    "Docker engine does not answer")


def test_nothing_half_created_when_hub_database_refuses(mdp):
    """The registry account is rolled back if the hub's login database cannot be written."""
    proc = mdp("user", "add", "bruno", env_extra={"MDP_HUB_DATABASE_URL": "sqlite:////proc/no/such/hub.sqlite"})
    _one_line_error(proc, "hub's login database")
    assert "bruno" not in mdp("user", "list").stdout


def test_audit_verify(mdp):
    proc = mdp("audit", "verify")
    assert proc.returncode == 0 and "intact" in proc.stdout
