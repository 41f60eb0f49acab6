"""The host firewall is what stops a desk reaching host services: shown with and without it.

Docker's `--internal` networks do not filter traffic to the host itself, so a
container reaches a listener on the bridge gateway unless `apply_firewall` runs.
Uses a network and bridge of its own, so it never touches a running platform's.
"""

from __future__ import annotations

import socket

import docker
import pytest

from mdp import images
from mdp.hub import network
from mdp.settings import from_env

pytestmark = pytest.mark.docker


@pytest.fixture
def fw_settings(monkeypatch):
    monkeypatch.setenv("MDP_DESK_NETWORK", "mdp-test-fw")
    monkeypatch.setenv("MDP_DESK_BRIDGE", "mdp-tfw0")
    monkeypatch.setenv("MDP_DESK_SUBNET", "172.31.216.0/24")
    monkeypatch.setenv("MDP_HUB_API_PORT", "18181")
    s = from_env()
    client = docker.from_env()
    net = network.ensure_desk_network(client, s)
    yield s
    network.remove_firewall(s)
    net.remove()


def _reaches_host(s, port_of_listener=None) -> str:
    client = docker.from_env()
    srv = socket.socket()
    srv.bind((s.desk_gateway, port_of_listener or 0))
    srv.listen()
    port = srv.getsockname()[1]
    code = ("import socket\ns = socket.socket(); s.settimeout(3)\n"
            f"try:\n    s.connect(('{s.desk_gateway}', {port})); print('CONNECTED')\n"
            "except OSError as e:\n    print('REFUSED', e)")
    try:
        out = client.containers.run(images.current_desk_image(client), ["python3", "-c", code],
                                    network=s.desk_network, remove=True, user="1000")
    finally:
        srv.close()
    return out.decode()


def test_internal_network_alone_leaks_to_the_host_and_the_firewall_closes_it(fw_settings):
    assert "CONNECTED" in _reaches_host(fw_settings)  # Docker's --internal is not enough
    network.apply_firewall(fw_settings)
    assert network.firewall_active(fw_settings)
    assert "REFUSED" in _reaches_host(fw_settings)
    assert "CONNECTED" in _reaches_host(fw_settings, fw_settings.hub_api_port)  # the hub API port stays open
    network.remove_firewall(fw_settings)
    assert not network.firewall_active(fw_settings)


def test_apply_is_idempotent(fw_settings):
    network.apply_firewall(fw_settings)
    network.apply_firewall(fw_settings)
    import subprocess

    rules = subprocess.run(["iptables", "-S", "INPUT"], capture_output=True, text=True).stdout
    assert rules.count(f"-i {fw_settings.desk_bridge} -j {network.CHAIN}") == 1


def test_existing_network_with_other_settings_is_refused(fw_settings, monkeypatch):
    monkeypatch.setenv("MDP_DESK_SUBNET", "172.31.217.0/24")
    with pytest.raises(network.NetworkError, match="is not an internal bridge"):
        network.ensure_desk_network(docker.from_env(), from_env())
