"""A real platform for the integration tests: `mdp run` on test ports and a test desk network.

Everything it starts is local: the hub and proxy on 127.0.0.1, desks on a
Docker bridge of its own. Accounts and projects are made with the real CLI.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
import onetimepass
import requests

REPO = Path(__file__).resolve().parents[1]
MDP = [str(Path(sys.executable).with_name("mdp"))]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    """Poll until predicate() is truthy (a readiness check, bounded in time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Platform:
    env: dict
    base: str
    gateway: str
    network: str
    state_dir: Path
    proc: subprocess.Popen | None = None
    creds: dict = field(default_factory=dict)

    def mdp(self, *args, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([*MDP, *args], env=self.env, capture_output=True, text=True, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"mdp {' '.join(args)} failed: {proc.stdout}{proc.stderr}")
        return proc

    def add_user(self, username: str, *flags: str) -> None:
        out = self.mdp("user", "add", username, *flags).stdout
        self.creds[username] = {
            "password": re.search(r"password:\s+(\S+)", out).group(1),
            "totp_secret": re.search(r"TOTP secret:\s+(\S+)", out).group(1),
        }

    def start(self) -> None:
        log = open(self.state_dir / "platform.log", "w")
        self.proc = subprocess.Popen([*MDP, "run"], env=self.env, stdout=log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"mdp run exited: {(self.state_dir / 'platform.log').read_text()[-3000:]}")
            try:
                return requests.get(f"{self.base}/hub/login", timeout=2).status_code == 200 and \
                    requests.get(f"{self.base}/services/portal/login", timeout=2, allow_redirects=False).status_code == 302
            except requests.ConnectionError:
                return False

        wait_for(ready, 90, "the hub and portal to answer")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def log(self) -> str:
        return (self.state_dir / "platform.log").read_text()

    def session(self, username: str) -> "HubSession":
        return HubSession(self, username)


class HubSession:
    """A logged-in browser-like session (cookies + xsrf), as a user would have."""

    def __init__(self, platform: Platform, username: str):
        self.p, self.username = platform, username
        self.http = requests.Session()

    def login(self, code: str | None = None) -> requests.Response:
        creds = self.p.creds[self.username]
        self.http.get(f"{self.p.base}/hub/login")
        code = code or totp(creds["totp_secret"])
        return self.http.post(f"{self.p.base}/hub/login", allow_redirects=False, data={
            "username": self.username, "password": creds["password"], "2fa": code,
            "_xsrf": self.http.cookies.get("_xsrf", path="/hub/")})

    def api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"X-XSRFToken": self.http.cookies.get("_xsrf", path="/hub/") or ""}
        return self.http.request(method, f"{self.p.base}/hub/api{path}", headers=headers, timeout=30, **kw)

    def spawn(self, project: str) -> requests.Response:
        return self.api("POST", f"/users/{self.username}/servers/{project}")

    def server(self, project: str) -> dict | None:
        resp = self.api("GET", f"/users/{self.username}")
        return (resp.json().get("servers") or {}).get(project) if resp.ok else None

    def start_desk(self, project: str, timeout: float = 150) -> None:
        if (self.server(project) or {}).get("ready"):
            return
        resp = self.spawn(project)
        assert resp.status_code in (201, 202), f"spawn {project}: {resp.status_code} {resp.text}"
        wait_for(lambda: (self.server(project) or {}).get("ready"), timeout, f"desk {project} to be ready")


def open_desk(session: HubSession, project: str) -> tuple[requests.Session, str, dict, str]:
    """Start a desk and reach it as a browser does (hub OAuth): (http, desk URL, xsrf headers, lab page)."""
    session.start_desk(project)
    root = f"{session.p.base}/user/{session.username}/{project}"
    lab = session.http.get(f"{root}/lab")
    assert lab.status_code == 200, lab.text[:500]
    xsrf = session.http.cookies.get("_xsrf", path=f"/user/{session.username}/{project}/")
    return session.http, root, {"X-XSRFToken": xsrf}, lab.text


def desk_container(username: str, project: str):
    return docker.from_env().containers.get(f"mdp-desk-{project}-{username}")


def run_in_desk(container, code: str) -> tuple[int, str]:
    """Run Python inside the desk as the desk's own user (exec inherits its limits)."""
    res = container.exec_run(["python3", "-c", code], demux=False)
    return res.exit_code, res.output.decode(errors="replace")


def make_platform() -> Platform:
    state = Path(tempfile.mkdtemp(prefix="mdp-it-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDP_")}
    env.update({
        "MDP_STATE_DIR": str(state),
        "MDP_PUBLIC_PORT": "18000",
        "MDP_HUB_API_PORT": "18081",
        "MDP_DESK_NETWORK": "mdp-test-desks",
        "MDP_DESK_BRIDGE": "mdp-tdesk0",
        "MDP_DESK_SUBNET": "172.31.214.0/24",
        "MDP_CUTOFF_INTERVAL": "1",
        "MDP_AUTH_REFRESH_AGE": "1",
    })
    return Platform(env=env, base="http://127.0.0.1:18000", gateway="172.31.214.1",
                    network="mdp-test-desks", state_dir=state)


def totp(secret: str) -> str:
    """The current TOTP code (the hub also takes the previous step's: a code read late still works)."""
    return f"{onetimepass.get_totp(secret):06d}"


