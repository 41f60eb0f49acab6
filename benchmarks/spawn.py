"""Spawn time and idle memory: hardened project desk vs stock DockerSpawner, side by side.

Runs two hubs one after the other on this machine, with the same desk image:
  A. the platform (`mdp run`): registry check, hardened container, internal network, firewall;
  B. a stock JupyterHub + DockerSpawner config (no hardening, no hooks, default bridge).
For each, it logs in once, then starts and stops one named server N times, timing
from the spawn request to the hub reporting the server ready (what a user waits
for after pressing Start). Then it leaves one desk idle and reads its memory.
Prints medians and the ratios hardened/stock. Needs root and the desk image.

    .venv/bin/python benchmarks/spawn.py [--runs 10] [--idle 20]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mdp import images  # noqa: E402
from tests.harness import HubSession, make_platform, wait_for  # noqa: E402

STOCK_CONFIG = """
c = get_config()
c.JupyterHub.bind_url = "http://127.0.0.1:19000"
c.JupyterHub.hub_ip = "172.17.0.1"
c.JupyterHub.hub_port = 19081
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:19001"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = "benchmark-password"
c.JupyterHub.allow_named_servers = True
c.JupyterHub.redirect_to_server = False
c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = {image!r}
c.DockerSpawner.remove = True
c.JupyterHub.cleanup_servers = True
"""


def time_spawns(session, runs: int, name: str) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = session.spawn(name)
        assert resp.status_code in (201, 202), resp.text
        wait_for(lambda: (session.server(name) or {}).get("ready"), 180, "ready", interval=0.05)
        times.append(time.perf_counter() - t0)
        session.api("DELETE", f"/users/{session.username}/servers/{name}")
        wait_for(lambda: session.server(name) is None, 60, "stopped", interval=0.1)
    return times


def idle_memory_mib(container_name: str, idle: float) -> float:
    time.sleep(idle)  # a benchmark measures an idle desk: let start-up work settle
    stats = docker.from_env().containers.get(container_name).stats(stream=False)
    mem = stats["memory_stats"]
    cache = mem.get("stats", {}).get("cache", 0) or mem.get("stats", {}).get("inactive_file", 0)
    return (mem["usage"] - cache) / 2**20


def bench_platform(runs: int, idle: float):
    p = make_platform()
    p.add_user("bench")
    p.mdp("project", "create", "BENCH", "--title", "Benchmark", "--start", "2000-01-01", "--end", "2099-12-31")
    p.mdp("project", "add-member", "bench", "bench")
    p.start()
    try:
        s = p.session("bench")
        s.login()
        times = time_spawns(s, runs, "bench")
        s.start_desk("bench")
        mem = idle_memory_mib("mdp-desk-bench-bench", idle)
        s.api("DELETE", "/users/bench/servers/bench")
    finally:
        p.stop()
    return times, mem


class StockSession(HubSession):
    def login(self, code=None):
        self.http.get(f"{self.p.base}/hub/login")
        return self.http.post(f"{self.p.base}/hub/login", allow_redirects=False, data={
            "username": self.username, "password": "benchmark-password",
            "_xsrf": self.http.cookies.get("_xsrf", path="/hub/")})


def bench_stock(runs: int, idle: float):
    tmp = Path(tempfile.mkdtemp(prefix="mdp-bench-stock-"))
    chp = Path(__file__).resolve().parents[1] / ".tools/node_modules/.bin/configurable-http-proxy"
    (tmp / "jupyterhub_config.py").write_text(STOCK_CONFIG.format(chp=str(chp), image=images.current_desk_image()))
    log = open(tmp / "hub.log", "w")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDP_")}
    hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", "jupyterhub_config.py"], cwd=tmp, env=env,
                           stdout=log, stderr=subprocess.STDOUT)

    class P:
        base = "http://127.0.0.1:19000"

    try:
        wait_for(lambda: _up(P.base), 60, "the stock hub")
        s = StockSession(P, "bench")
        s.login()
        times = time_spawns(s, runs, "bench")
        s.spawn("bench")
        wait_for(lambda: (s.server("bench") or {}).get("ready"), 180, "ready")
        mem = idle_memory_mib("jupyter-bench--bench", idle)
        s.api("DELETE", "/users/bench/servers/bench")
    finally:
        hub.send_signal(signal.SIGTERM)
        hub.wait(60)
    return times, mem


def _up(base):
    try:
        return requests.get(f"{base}/hub/login", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--idle", type=float, default=20, help="seconds a desk idles before its memory is read")
    args = ap.parse_args()
    hard_t, hard_m = bench_platform(args.runs, args.idle)
    stock_t, stock_m = bench_stock(args.runs, args.idle)
    hm, sm = statistics.median(hard_t), statistics.median(stock_t)
    print(f"\n{'':28}{'hardened desk':>16}{'stock DockerSpawner':>22}{'ratio':>8}")
    print(f"{'spawn to ready, median (s)':28}{hm:16.2f}{sm:22.2f}{hm / sm:8.2f}")
    print(f"{'spawn to ready, min (s)':28}{min(hard_t):16.2f}{min(stock_t):22.2f}{min(hard_t) / min(stock_t):8.2f}")
    print(f"{'idle memory (MiB)':28}{hard_m:16.1f}{stock_m:22.1f}{hard_m / stock_m:8.2f}")
    print(f"({args.runs} spawns each; same image {images.current_desk_image()})")


if __name__ == "__main__":
    main()
