"""The desk's server refuses the browser's ways out, through the hub's proxy with a real session."""

from __future__ import annotations

import base64
import json

import docker
import pytest

from tests.harness import desk_container, open_desk, run_in_desk, wait_for

pytestmark = pytest.mark.docker

MAKE_FILES = """
import pandas as pd, shutil, json
import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
df = pd.DataFrame({"individual_IDnumber": range(50), "i_age": [i % 10 for i in range(50)]})
df.to_stata("/project/WORK/panel.dta", write_index=False)
shutil.copy("/project/WORK/panel.dta", "/project/WORK/renamed.txt")
open("/project/WORK/big.csv", "w").write("a,b\\n" + "1,2\\n" * 60000)
open("/project/WORK/small.txt", "w").write("hello from the desk\\n")
plt.plot([1, 2, 3]); plt.savefig("/project/WORK/plot.png")
nb = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
json.dump(nb, open("/project/WORK/nb.ipynb", "w"))
"""


@pytest.fixture(scope="module")
def desk(platform):
    """erik's desk, and an HTTP session that reached it the way a browser does (hub OAuth)."""
    s = platform.session("erik")
    assert s.login().status_code == 302
    opened = open_desk(s, "open1")
    code, out = run_in_desk(desk_container("erik", "open1"), MAKE_FILES)
    assert code == 0, out
    yield opened
    s.api("DELETE", "/users/erik/servers/open1")


@pytest.mark.parametrize("path", [
    "/files/WORK/small.txt",
    "/files/WORK/small.txt?download=1",
    "/view/WORK/plot.png",
    "/nbconvert/html/WORK/nb.ipynb",
    "/nbconvert/html/WORK/nb.ipynb?download=true",
    "/api/nbconvert",
    "/api/contents/WORK/small.txt?download=1",
])
def test_download_view_and_export_endpoints_are_refused(desk, path):
    http, root, _, _ = desk
    resp = http.get(root + path, allow_redirects=False)
    assert resp.status_code == 403, (path, resp.status_code, resp.text[:300])
    assert "closed on this desk" in resp.json()["message"]


@pytest.mark.parametrize("path, why", [
    ("WORK/panel.dta", "is a data file"),
    ("WORK/renamed.txt", "is a data file"),  # a .dta under another name: the bytes decide
    ("WORK/big.csv", "above the desk's limit"),
    ("IN/extract.csv?format=base64&type=file", "cannot be read as raw bytes"),
])
def test_data_files_are_not_handed_to_the_browser(desk, path, why):
    http, root, _, _ = desk
    resp = http.get(f"{root}/api/contents/{path}")
    assert resp.status_code == 403 and why in resp.json()["message"], resp.text[:300]


def test_notebooks_text_images_and_listings_still_open(desk):
    http, root, _, _ = desk
    assert "hello from the desk" in http.get(f"{root}/api/contents/WORK/small.txt").json()["content"]
    assert http.get(f"{root}/api/contents/WORK/nb.ipynb?type=notebook").json()["content"]["nbformat"] == 4
    png = http.get(f"{root}/api/contents/WORK/plot.png?type=file&format=base64").json()
    assert base64.b64decode(png["content"]).startswith(b"\x89PNG")
    listing = http.get(f"{root}/api/contents/WORK").json()
    assert {"panel.dta", "big.csv"} <= {f["name"] for f in listing["content"]}
    assert http.get(f"{root}/api/contents/WORK/panel.dta?content=0").status_code == 200


def test_saves_work_and_uploads_are_refused(desk):
    http, root, headers, _ = desk
    nb = {"type": "notebook", "content": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}}
    assert http.put(f"{root}/api/contents/WORK/saved.ipynb", json=nb, headers=headers).status_code in (200, 201)
    text = {"type": "file", "format": "text", "content": "print('hi')\n"}
    assert http.put(f"{root}/api/contents/WORK/script.py", json=text, headers=headers).status_code in (200, 201)
    upload = {"type": "file", "format": "base64", "content": base64.b64encode(b"a,b\n1,2\n").decode()}
    resp = http.put(f"{root}/api/contents/WORK/uploaded.csv", json=upload, headers=headers)
    assert resp.status_code == 403 and "Uploading files" in resp.json()["message"]
    chunked = {**upload, "chunk": 1}
    assert http.put(f"{root}/api/contents/WORK/chunk.csv", json=chunked, headers=headers).status_code == 403
    listing = {f["name"] for f in http.get(f"{root}/api/contents/WORK").json()["content"]}
    assert "uploaded.csv" not in listing and "chunk.csv" not in listing


def test_terminals_are_off(desk):
    http, root, headers, _ = desk
    assert http.post(f"{root}/api/terminals", headers=headers).status_code in (403, 404)


def test_a_project_policy_may_allow_terminals(platform):
    s = platform.session("erik")
    assert s.login().status_code == 302
    http, root, headers, _ = open_desk(s, "terms")
    try:
        resp = http.post(f"{root}/api/terminals", headers=headers)
        assert resp.status_code == 200 and resp.json()["name"]
    finally:
        s.api("DELETE", "/users/erik/servers/terms")


def _page_config(html: str) -> dict:
    start = html.index('id="jupyter-config-data"')
    body = html[html.index(">", start) + 1: html.index("</script>", start)]
    return json.loads(body)


def test_lab_plugins_are_disabled_and_user_overrides_change_nothing(platform, desk):
    http, root, _, html = desk
    disabled = _page_config(html)["disabledExtensions"]
    for plugin in ("@jupyterlab/docmanager-extension:download", "@jupyterlab/filebrowser-extension:download",
                   "@jupyterlab/notebook-extension:export", "@jupyterlab/apputils-extension:print",
                   "@jupyterlab/filebrowser-extension:open-browser-tab"):
        assert plugin in disabled
    # The researcher tries to switch it all back on from inside the desk, then reloads.
    code, out = run_in_desk(desk_container("erik", "open1"), """
import os, json
for d in ("~/.jupyter/labconfig", "~/.local/etc/jupyter/labconfig", "/project/WORK/.jupyter/labconfig"):
    d = os.path.expanduser(d); os.makedirs(d, exist_ok=True)
    json.dump({"disabledExtensions": {}, "lockedExtensions": {}}, open(d + "/page_config.json", "w"))
open(os.path.expanduser("~/.jupyter/jupyter_server_config.py"), "w").write(
    "c.ServerApp.jpserver_extensions = {'mdp_desk_lockdown': False}\\n")
print(os.environ.get("PYTHONNOUSERSITE"), os.environ.get("JUPYTER_CONFIG_DIR"))
try:
    open("/etc/jupyter/labconfig/page_config.json", "w")
except OSError as e:
    print("ETC", type(e).__name__)
""")
    assert code == 0 and "1 /etc/jupyter" in out and "ETC" in out, out
    again = _page_config(http.get(f"{root}/lab").text)["disabledExtensions"]
    assert again == disabled
    assert http.get(f"{root}/files/WORK/small.txt").status_code == 403


REACH_THE_SERVER = """
import ctypes, errno, os, socket
libc = ctypes.CDLL(None, use_errno=True)
server = next(pid for pid in os.listdir("/proc") if pid.isdigit() and pid != "1"
              and b"jupyterhub-singleuser" in open(f"/proc/{pid}/cmdline", "rb").read())
for name, pid in (("tini", "1"), ("server", server)):
    try:
        os.open(f"/proc/{pid}/mem", os.O_RDONLY); print(name, "mem: opened")
    except OSError as exc:
        print(name, "mem:", errno.errorcode[exc.errno])
    print(name, "ptrace:", "attached" if libc.ptrace(16, int(pid), 0, 0) == 0 else errno.errorcode[ctypes.get_errno()])
try:
    socket.create_server(("0.0.0.0", 8888)); print("port 8888: bound")
except OSError as exc:
    print("port 8888:", errno.errorcode[exc.errno])
print("server:", server)
"""


def test_code_in_the_desk_cannot_reach_into_the_server_and_stopping_it_closes_the_desk(platform):
    """The desk's user (as which every kernel runs) cannot read the memory of the server or of PID 1, attach a
    debugger to them or take the server's port; killing the server ends the container, so no unlocked server can
    take its place."""
    s = platform.session("erik")
    assert s.login().status_code == 302
    open_desk(s, "terms")
    container = desk_container("erik", "terms")
    code, out = run_in_desk(container, REACH_THE_SERVER)
    assert code == 0, out
    for process in ("tini", "server"):  # PID 1 and the Jupyter server
        assert f"{process} mem: EACCES" in out and f"{process} ptrace: EPERM" in out, out
    assert "port 8888: EADDRINUSE" in out, out
    server = out.split("server: ")[1].strip()
    run_in_desk(container, f"import os, signal; os.kill({server}, signal.SIGKILL)")
    client = docker.from_env()
    wait_for(lambda: not client.containers.list(sparse=True, filters={"name": "mdp-desk-terms-erik"}), 30,
             "the desk's container to stop with its server")
    wait_for(lambda: not (s.server("terms") or {}).get("ready"), 75,
             "the hub to see the desk gone (it polls every 30 s)")
