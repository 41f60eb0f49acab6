"""Desks on a real Docker engine: isolation, refusals, cut-off. Needs root and the desk image."""

from __future__ import annotations

import socket
import threading
import time
from datetime import date, timedelta

import docker
import onetimepass
import pytest

from tests.harness import desk_container, run_in_desk, wait_for

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def alice(platform):
    s = platform.session("alice")
    assert s.login().status_code == 302
    s.start_desk("open1")
    return s


@pytest.fixture(scope="module")
def desk(alice):
    return desk_container("alice", "open1")


@pytest.fixture(scope="module")
def other_network():
    """A second Docker network of the test's own, with a listener container on it."""
    client = docker.from_env()
    for old in client.networks.list(names=["mdp-test-other"]):
        for c in old.containers:
            c.remove(force=True)
        old.remove()
    net = client.networks.create("mdp-test-other", driver="bridge", ipam=docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet="172.31.215.0/24", gateway="172.31.215.1")]))
    yield net
    for c in client.containers.list(all=True, filters={"network": "mdp-test-other"}):
        c.remove(force=True)
    net.remove()


class Listener:
    """A TCP listener on a host address the test chose; records whether anyone connected."""

    def __init__(self, host: str):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        try:
            conn, _ = self.sock.accept()
            self.connected.set()
            conn.close()
        except OSError:
            pass

    def close(self):
        self.sock.close()


CONNECT = """
import socket, sys
s = socket.socket(); s.settimeout(3)
try:
    s.connect(({host!r}, {port})); print("CONNECTED")
except OSError as e:
    print("REFUSED", e)
"""


def test_in_is_read_only_and_out_work_are_writable(desk):
    code, out = run_in_desk(desk, "open('/project/IN/x', 'w')")
    assert code != 0 and ("Read-only file system" in out or "Permission denied" in out), out
    code, out = run_in_desk(desk, "print(open('/project/IN/extract.csv').read())")
    assert code == 0 and "1,2" in out
    for folder in ("OUT", "WORK"):
        code, out = run_in_desk(desk, f"open('/project/{folder}/from-alice.txt', 'w').write('hello')")
        assert code == 0, out


def test_second_member_sees_work(platform, desk):
    run_in_desk(desk, "open('/project/WORK/shared.txt', 'w').write('shared by alice')")
    bruno = platform.session("bruno")
    assert bruno.login().status_code == 302
    bruno.start_desk("open1")
    code, out = run_in_desk(desk_container("bruno", "open1"), "print(open('/project/WORK/shared.txt').read())")
    assert code == 0 and "shared by alice" in out
    bruno.api("DELETE", "/users/bruno/servers/open1")


def test_only_own_project_is_mounted(platform, desk):
    mounts = [m["Source"] for m in desk.attrs["Mounts"]]
    root = str(platform.state_dir / "projects" / "open1")
    assert sorted(mounts) == sorted(f"{root}/{d}" for d in ("IN", "OUT", "WORK"))
    code, out = run_in_desk(desk, """
import os
hits = [os.path.join(d, f) for top in ('/', ) for d, _, fs in os.walk(top)
        if not d.startswith(('/proc', '/sys')) for f in fs if 'other-project-marker' in f]
print(hits)""")
    assert code == 0 and out.strip() == "[]", out


def test_no_capabilities_non_root_hardened(desk):
    code, out = run_in_desk(desk, "print(open('/proc/self/status').read())")
    status = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    assert status["CapEff"].strip() == "0000000000000000"
    assert status["CapPrm"].strip() == "0000000000000000"
    assert status["NoNewPrivs"].strip() == "1"
    assert status["Uid"].split()[0] == "1000"
    host = desk.attrs["HostConfig"]
    assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
    assert host["PidsLimit"] == 512 and host["Memory"] == 1024 * 1024 * 1024
    assert "/var/run/docker.sock" not in str(desk.attrs["Mounts"])
    code, out = run_in_desk(desk, "open('/usr/local/evil', 'w')")
    assert code != 0 and "Read-only file system" in out


def test_hub_api_is_the_only_host_port(platform, desk):
    code, out = run_in_desk(desk, f"""
import urllib.request
print(urllib.request.urlopen('http://{platform.gateway}:18081/hub/api/').status)""")
    assert code == 0 and out.strip() == "200", out
    listener = Listener(platform.gateway)
    try:
        code, out = run_in_desk(desk, CONNECT.format(host=platform.gateway, port=listener.port))
        assert "REFUSED" in out and not listener.connected.is_set(), out
    finally:
        listener.close()


def test_other_host_addresses_and_containers_are_unreachable(desk, other_network):
    listener = Listener("172.31.215.1")  # the host's address on the test's second network
    try:
        code, out = run_in_desk(desk, CONNECT.format(host="172.31.215.1", port=listener.port))
        assert "REFUSED" in out and not listener.connected.is_set(), out
    finally:
        listener.close()
    client = docker.from_env()
    peer = client.containers.run(desk.image.id, ["python3", "-m", "http.server", "8080", "--bind", "0.0.0.0"],
                                 detach=True, network="mdp-test-other", name="mdp-test-peer", remove=False)
    try:
        peer.reload()
        ip = peer.attrs["NetworkSettings"]["Networks"]["mdp-test-other"]["IPAddress"]
        wait_for(lambda: peer.exec_run(["python3", "-c", "import urllib.request;urllib.request.urlopen('http://127.0.0.1:8080')"]).exit_code == 0,
                 30, "the peer's web server")
        code, out = run_in_desk(desk, CONNECT.format(host=ip, port=8080))
        assert "REFUSED" in out, out
    finally:
        peer.remove(force=True)


def test_dns_does_not_resolve(platform, desk):
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind((platform.gateway, 53))  # where the desk's resolver would forward to
    probe.settimeout(3)
    try:
        code, out = run_in_desk(desk, """
import socket
try:
    print(socket.getaddrinfo('probe.mdp-test', 80))
except socket.gaierror as e:
    print('NO DNS', e)""")
        assert "NO DNS" in out, out
        with pytest.raises(socket.timeout):
            probe.recvfrom(512)  # no query reached the host
    finally:
        probe.close()


@pytest.mark.parametrize("project, reason", [
    ("other", "not a member"),
    ("future", "not open yet"),
    ("ended", "ended on"),
    ("nosuch", "not a member"),
    ("Bad..Name", "not a project id"),
])
def test_spawn_refused_through_the_api(alice, project, reason):
    resp = alice.spawn(project)
    assert resp.status_code == 403, resp.text
    assert reason in resp.json()["message"]


def test_missing_data_folder_is_a_clear_error(platform, alice):
    import shutil

    shutil.rmtree(platform.state_dir / "projects" / "nodata" / "WORK")
    resp = alice.spawn("nodata")
    assert resp.status_code == 503, resp.text
    assert "data folders of project NODATA are missing (WORK" in resp.json()["message"]
    assert not docker.from_env().containers.list(all=True, sparse=True, filters={"name": "mdp-desk-nodata-alice"})


def test_server_name_with_path_characters_is_refused(alice):
    resp = alice.spawn("..%2F..%2Fetc")
    assert resp.status_code in (400, 403, 404), resp.text
    assert not [c for c in docker.from_env().containers.list() if "etc" in c.name]


def test_ending_a_project_cuts_off_its_running_desk(platform, alice):
    alice.start_desk("cutme")
    container = desk_container("alice", "cutme")
    platform.mdp("project", "end", "cutme")
    client = docker.from_env()

    def gone():
        return not client.containers.list(all=True, sparse=True, filters={"name": container.name})

    wait_for(gone, 30, "the cut-off service to remove the desk")
    assert alice.server("cutme") is None
    # The browser session that had the desk open no longer reaches it.
    resp = alice.http.get(f"{platform.base}/user/alice/cutme/api/contents", allow_redirects=False)
    assert resp.status_code != 200
    resp = alice.spawn("cutme")
    assert resp.status_code == 403 and "was ended" in resp.json()["message"]
    audit = platform.mdp("audit", "tail", "--project", "cutme", "-n", "50").stdout
    assert "desk_cut_off" in audit and "project_ended" in audit


def test_disabling_an_account_logs_out_and_closes_desks(platform):
    dora = platform.session("dora")
    assert dora.login().status_code == 302
    dora.start_desk("open1")
    platform.mdp("user", "disable", "dora")
    client = docker.from_env()
    wait_for(lambda: not client.containers.list(all=True, sparse=True, filters={"name": "mdp-desk-open1-dora"}), 30,
             "dora's desk to be removed")
    wait_for(lambda: dora.http.get(f"{platform.base}/hub/home", allow_redirects=False).status_code in (302, 403),
             30, "dora's session to end")
    again = platform.session("dora")
    assert again.login().status_code != 302


def test_wrong_second_factor_is_refused_and_audited(platform):
    carol = platform.session("carol")
    assert carol.login(code="000000").status_code != 302
    assert "login_failed" in platform.mdp("audit", "tail", "-n", "100").stdout


def test_a_code_of_the_adjacent_step_is_accepted_an_older_one_is_not(platform):
    platform.add_user("drift")
    secret = platform.creds["drift"]["totp_secret"]

    def code(steps_ago: int) -> str:
        return f"{onetimepass.get_totp(secret, clock=int(time.time()) - 30 * steps_ago):06d}"

    assert platform.session("drift").login(code=code(3)).status_code != 302
    wait_for(lambda: time.time() % 30 < 25, 10, "a TOTP step with time left")  # code(1) stays one step old
    assert platform.session("drift").login(code=code(1)).status_code == 302


def test_audit_chain_intact_after_the_run(platform):
    out = platform.mdp("audit", "verify").stdout
    assert "intact" in out


def test_end_date_moved_to_the_past_cuts_off(platform, alice):
    alice.start_desk("short")
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    platform.mdp("project", "set-end", "short", yesterday)
    client = docker.from_env()
    wait_for(lambda: not client.containers.list(all=True, sparse=True, filters={"name": "mdp-desk-short-alice"}), 30,
             "the cut-off service to remove the desk")
    resp = alice.spawn("short")
    assert resp.status_code == 403 and "ended on" in resp.json()["message"]
