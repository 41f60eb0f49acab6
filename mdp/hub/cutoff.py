"""The cut-off service: closes desks that may no longer be open.

Runs as a JupyterHub service whose token can list users and stop, remove and
revoke, nothing else (see `ROLE` and jupyterhub_config.py). Every
`MDP_CUTOFF_INTERVAL` seconds it asks the hub which desks run, asks the registry
(the same `check_can_open_desk` the spawner uses) whether each may still be
open today, and stops and removes those that may not: project ended (by date
or by an admin), member removed, account disabled. Stopping a server makes the
hub delete its API token and its OAuth client (so the browser's access to that
desk goes too) and DockerSpawner remove the container. A disabled account's own
API tokens are revoked as well. Each action is written to the audit trail.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

import requests

from mdp import djangosetup, settings

djangosetup.setup()

from mdp.audit import trail  # noqa: E402
from mdp.audit.enums import Action  # noqa: E402
from mdp.registry import clock, policies  # noqa: E402

SERVICE_NAME = "mdp-cutoff"
ROLE = {
    "name": "mdp-cutoff",
    "description": "Stop, remove and revoke desks whose project or account is closed",
    "scopes": ["list:users", "read:users:name", "read:servers", "servers", "delete:servers", "tokens"],
    "services": [SERVICE_NAME],
}

log = logging.getLogger("mdp.cutoff")


class HubAPI:
    def __init__(self, url: str, token: str):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def _req(self, method: str, path: str, **kwargs):
        resp = self.session.request(method, f"{self.url}{path}", timeout=30, **kwargs)
        resp.raise_for_status()
        return resp.json() if resp.content else None

    def running_desks(self):
        """(username, server name) of every desk that is running or starting."""
        for user in self._req("GET", "/users", params={"state": "active"}) or []:
            for name in (user.get("servers") or {}):
                if name:
                    yield user["name"], name

    def remove_server(self, username: str, name: str) -> None:
        self._req("DELETE", f"/users/{username}/servers/{name}", json={"remove": True})

    def revoke_tokens(self, username: str) -> int:
        tokens = (self._req("GET", f"/users/{username}/tokens") or {}).get("api_tokens", [])
        for token in tokens:
            self._req("DELETE", f"/users/{username}/tokens/{token['id']}")
        return len(tokens)


def _disabled(username: str) -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username, is_active=False).exists()


def sweep(hub: HubAPI) -> int:
    """One pass; returns how many desks were cut off."""
    cut = 0
    for username, name in list(hub.running_desks()):
        reason = policies.desk_refusal(username, name, clock.today())
        if reason is None:
            continue
        hub.remove_server(username, name)
        revoked = hub.revoke_tokens(username) if _disabled(username) else 0
        trail.record(SERVICE_NAME, Action.DESK_CUT_OFF, name[:32], user=username,
                     reason=reason, user_tokens_revoked=revoked)
        log.info("cut off desk %s of %s: %s", name, username, reason)
        cut += 1
    return cut


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(asctime)s %(name)s] %(message)s")
    interval = settings.get().cutoff_interval
    hub = HubAPI(os.environ["JUPYTERHUB_API_URL"], os.environ["JUPYTERHUB_API_TOKEN"])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log.info("checking running desks every %s s", interval)
    while not stop.is_set():
        try:
            sweep(hub)
        except requests.RequestException as exc:
            log.warning("hub API unreachable, will retry: %s", exc)
        stop.wait(interval)


if __name__ == "__main__":
    main()
