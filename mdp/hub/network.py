"""The desk network and the host firewall that makes it a wall.

Desks sit on an `--internal` Docker bridge with inter-container traffic off, so
they have no route out and cannot reach each other. Docker does not filter
traffic from such a bridge to the *host* itself (its INPUT chain), so a desk
could still reach any service listening on the host, on the bridge's gateway
address or any other host address. `apply_firewall` closes that: on the desk
bridge, the host accepts only replies to its own connections (the proxy talking
to desks) and new connections to the hub API port on the gateway address; it
drops everything else, DNS included, for IPv4 and IPv6. `mdp run` applies the
rules when the platform starts and removes them when it stops.
"""

from __future__ import annotations

import shutil
import subprocess

import docker
from docker.errors import NotFound

from mdp.errors import PlatformError
from mdp.settings import Settings

CHAIN = "MDP-DESKS"


class NetworkError(PlatformError):
    pass


def ensure_desk_network(client: docker.DockerClient, s: Settings):
    """Create the internal desk network, or check that the existing one is ours."""
    try:
        net = client.networks.get(s.desk_network)
    except NotFound:
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=s.desk_subnet, gateway=s.desk_gateway)])
        return client.networks.create(
            s.desk_network, driver="bridge", internal=True, ipam=ipam,
            options={"com.docker.network.bridge.name": s.desk_bridge,
                     "com.docker.network.bridge.enable_icc": "false"},
            labels={"org.microdata-platform": "desks"},
        )
    attrs = net.attrs
    opts = attrs.get("Options", {})
    subnets = [c.get("Subnet") for c in attrs.get("IPAM", {}).get("Config", [])]
    if not attrs.get("Internal") or opts.get("com.docker.network.bridge.name") != s.desk_bridge \
            or s.desk_subnet not in subnets or opts.get("com.docker.network.bridge.enable_icc") != "false":
        raise NetworkError(
            f"the Docker network {s.desk_network!r} exists but is not an internal bridge {s.desk_bridge} "
            f"on {s.desk_subnet} with inter-container traffic off: remove it (docker network rm) or "
            "set MDP_DESK_NETWORK to another name"
        )
    return net


def _rules(s: Settings, family: int) -> list[list[str]]:
    rules = [["-i", s.desk_bridge, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"]]
    if family == 4:
        rules.append(["-i", s.desk_bridge, "-p", "tcp", "-d", s.desk_gateway, "--dport", str(s.hub_api_port),
                      "-m", "conntrack", "--ctstate", "NEW", "-j", "ACCEPT"])
    rules.append(["-i", s.desk_bridge, "-j", "DROP"])
    return rules


def _tool(family: int) -> str | None:
    return shutil.which("iptables" if family == 4 else "ip6tables")


def _ipt(tool: str, *args: str, check: bool = True) -> bool:
    proc = subprocess.run([tool, "-w", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise NetworkError(f"{tool} {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.returncode == 0


def apply_firewall(s: Settings) -> None:
    """Install (or replace) the desk rules, first in INPUT. Idempotent."""
    if not _tool(4):
        raise NetworkError("iptables is not installed (apt-get install iptables): desks cannot be isolated")
    for family in (4, 6):
        tool = _tool(family)
        if tool is None:
            continue
        if not _ipt(tool, "-n", "-L", CHAIN, check=False):
            _ipt(tool, "-N", CHAIN)
        _ipt(tool, "-F", CHAIN)
        for rule in _rules(s, family):
            _ipt(tool, "-A", CHAIN, *rule)
        jump = ["INPUT", "-i", s.desk_bridge, "-j", CHAIN]
        if not _ipt(tool, "-C", *jump, check=False):
            _ipt(tool, "-I", *jump)


def remove_firewall(s: Settings) -> None:
    for family in (4, 6):
        tool = _tool(family)
        if tool is None:
            continue
        while _ipt(tool, "-D", "INPUT", "-i", s.desk_bridge, "-j", CHAIN, check=False):
            pass
        _ipt(tool, "-F", CHAIN, check=False)
        _ipt(tool, "-X", CHAIN, check=False)


def firewall_active(s: Settings) -> bool:
    tool = _tool(4)
    return bool(tool) and _ipt(tool, "-C", "INPUT", "-i", s.desk_bridge, "-j", CHAIN, check=False)
