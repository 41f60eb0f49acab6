"""`mdp demo`, the data behind the README's first command: accounts, roles, an application, an extraction."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

MDP = [str(Path(sys.executable).parent / "mdp")]


def test_demo_seeds_everything_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDP_")}
    env["MDP_STATE_DIR"] = str(tmp_path)
    first = subprocess.run([*MDP, "demo"], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    creds = json.loads((tmp_path / "demo-credentials.json").read_text())
    assert set(creds) == {"admin", "alice", "bruno", "rita", "paul", "olga", "pavel"}
    with sqlite3.connect(tmp_path / "mdp.sqlite") as db:
        roles = set(db.execute("SELECT u.username, g.name FROM auth_user u JOIN auth_user_groups ug ON ug.user_id = u.id "
                               "JOIN auth_group g ON g.id = ug.group_id"))
        status, = db.execute("SELECT status FROM applications_application").fetchone()
    assert roles == {("rita", "reviewer"), ("paul", "reviewer"), ("olga", "output-checker"),
                     ("pavel", "output-checker")}
    assert status == "submitted"
    in_dir = tmp_path / "projects" / "migape" / "IN"
    manifest = json.loads((in_dir / "manifest.json").read_text())
    assert manifest["files"] and all((in_dir / f["name"]).exists() for f in manifest["files"])
    before = {p.name: p.stat().st_mtime_ns for p in in_dir.iterdir()}
    second = subprocess.run([*MDP, "demo"], env=env, capture_output=True, text=True)
    assert second.returncode == 0 and creds["alice"]["password"] in second.stdout
    assert {p.name: p.stat().st_mtime_ns for p in Path(in_dir).iterdir()} == before  # nothing done twice
