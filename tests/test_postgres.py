"""The registry and audit trail on PostgreSQL (the production database), with a real server.

Starts a throw-away cluster of Debian's PostgreSQL on a Unix socket of its own.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
MDP = str(Path(sys.executable).with_name("mdp"))


@pytest.fixture(scope="module")
def pg_url():
    assert PG_BIN is not None, "Debian's postgresql package is not installed (make setup installs it)"
    owner = pwd.getpwnam("postgres")
    root = Path(tempfile.mkdtemp(prefix="mdp-pg-"))
    os.chown(root, owner.pw_uid, owner.pw_gid)
    as_pg = lambda *cmd: subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True,  # noqa: E731
                                        capture_output=True, text=True)
    as_pg(str(PG_BIN / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "postgres")
    as_pg(str(PG_BIN / "pg_ctl"), "-D", str(root / "data"), "-w", "-l", str(root / "log"),
          "-o", f"-k {root} -p 55432 -c listen_addresses=''", "start")
    try:
        as_pg(str(PG_BIN / "createdb"), "-h", str(root), "-p", "55432", "mdp")
        yield f"postgres://postgres@/mdp?host={root}&port=55432"
    finally:
        as_pg(str(PG_BIN / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_registry_and_audit_on_postgres(pg_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDP_")}
    env.update(MDP_STATE_DIR=str(tmp_path), MDP_DATABASE_URL=pg_url)
    run = lambda *a: subprocess.run([MDP, *a], env=env, capture_output=True, text=True)  # noqa: E731
    assert run("user", "add", "alice").returncode == 0
    assert run("project", "create", "MIGAPE", "--title", "t", "--start", "2026-01-01", "--end", "2026-12-31").returncode == 0
    assert run("project", "add-member", "migape", "alice").returncode == 0
    bad = run("project", "set-end", "migape", "2025-01-01")
    assert bad.returncode == 2 and "before the start date" in bad.stdout
    verify = run("audit", "verify")
    assert verify.returncode == 0 and "(3 events)" in verify.stdout, verify.stdout + verify.stderr
    import psycopg

    with psycopg.connect(pg_url.replace("postgres://", "postgresql://")) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE audit_auditevent SET actor = 'mallory' WHERE id = 1")
        conn.rollback()
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("DELETE FROM audit_auditevent WHERE id = 1")
