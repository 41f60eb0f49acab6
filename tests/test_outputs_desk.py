"""Output checking end to end: tables written in a real desk leave only through the portal's checks.

The researcher's code runs in the desk (docker exec as the desk user), every
portal step goes over HTTP through the hub's single sign-on, as a browser would.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import zipfile
from datetime import date, timedelta

import pytest
import requests

from tests.harness import desk_container, open_desk, run_in_desk

pytestmark = pytest.mark.docker
AUTHOR, PROJECT = "hana", "outchk"  # hana: her own account (test_desks disables others)
OUTPUTS = "/services/portal/outputs/"

WRITE_OUTPUTS = """
import os, pandas as pd
out = "/project/OUT"
pd.DataFrame({"region": ["North", "South"], "men": [25, 40], "women": [31, 12]}).to_csv(f"{out}/safe.csv", index=False)
pd.DataFrame({"region": ["North", "South"], "men": [25, 40], "women": [31, 3]}).to_csv(f"{out}/risky.csv", index=False)
os.symlink("/project/IN/extract.csv", f"{out}/extract.csv")      # a link to the project's data
pd.DataFrame({"wage": [1.5, 2.5]}).to_stata(f"{out}/wages.csv")     # Stata data renamed to pass as a table
from acro import ACRO                                             # ACRO, as researchers use it in desks
records = pd.DataFrame({"year": [2023] * 40 + [2024] * 26, "grant": ["G"] * 30 + ["R"] * 10 + ["G"] * 22 + ["R"] * 4})
session = ACRO(suppress=False)
session.crosstab(records.year, records.grant)
session.finalise(f"{out}/acro", "json")
print("written")
"""


class Portal:
    """One person's portal session, signed in through the hub (password, TOTP, OAuth)."""

    def __init__(self, platform, username: str):
        hub = platform.session(username)
        assert hub.login().status_code == 302
        self.base, self.http = platform.base, hub.http
        page = self.http.get(self.base + OUTPUTS, timeout=30)
        assert page.status_code == 200 and page.url == self.base + OUTPUTS, page.text[:300]

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + OUTPUTS + path, timeout=30)

    def post(self, url: str, **data) -> requests.Response:
        token = self.http.cookies.get("csrftoken", path="/services/portal/")
        return self.http.post(self.base + OUTPUTS + url, data={"csrfmiddlewaretoken": token, **data},
                              allow_redirects=False, timeout=60)


def audit(platform, action: str) -> list[tuple[str, dict]]:
    with sqlite3.connect(platform.state_dir / "mdp.sqlite") as db:
        rows = db.execute("SELECT actor, detail FROM audit_auditevent WHERE project = ? AND action = ? ORDER BY id",
                          (PROJECT, action)).fetchall()
    return [(actor, json.loads(detail)) for actor, detail in rows]


def file_ids(page: str) -> dict[str, int]:
    return {path: int(fid) for path, fid in
            re.findall(r'<tr data-path="([^"]+)">\s*<td><a href="[^"]*/files/(\d+)/">', page)}


@pytest.fixture(scope="module")
def project(platform):
    today = date.today()
    platform.add_user(AUTHOR)
    platform.mdp("project", "create", "OUTCHK", "--title", "Output checking", "--start",
                 (today - timedelta(days=1)).isoformat(), "--end", (today + timedelta(days=30)).isoformat())
    platform.mdp("project", "add-member", PROJECT, AUTHOR)
    (platform.state_dir / "projects" / PROJECT / "IN" / "extract.csv").write_text("individual,wage\n1,1520\n")
    desk = platform.session(AUTHOR)
    desk.login()
    open_desk(desk, PROJECT)
    code, out = run_in_desk(desk_container(AUTHOR, PROJECT), WRITE_OUTPUTS)
    assert code == 0 and "written" in out, out
    yield platform
    desk.api("DELETE", f"/users/{AUTHOR}/servers/{PROJECT}")


def test_from_desk_to_released_zip(project):
    platform = project
    author, olga, pavel = Portal(platform, AUTHOR), Portal(platform, "olga"), Portal(platform, "pavel")
    created = author.post("new", project=_project_pk(author))
    assert created.status_code == 302
    pk = int(re.search(r"/outputs/(\d+)/$", created.headers["Location"]).group(1))
    context = {"context": "Pensioners by region and sex, 2024", "controls": "none"}

    # Bad input: each refused with its reason, nothing added.
    for path, reason in {"extract.csv": "is a symbolic link", "wages.csv": "is Stata .dta data",
                         "../IN/extract.csv": "the path leaves OUT"}.items():
        resp = author.post(f"{pk}/files", path=path, **context)
        assert resp.status_code == 400 and reason in resp.text, (path, resp.text[-2000:])
    for path in ("safe.csv", "risky.csv", "acro/output_0_0.csv"):
        assert author.post(f"{pk}/files", path=path, **context).status_code == 302
    assert author.post(f"{pk}/submit").status_code == 302
    container = desk_container(AUTHOR, PROJECT)
    with_desk = run_in_desk(container, "import hashlib; print(hashlib.sha256(open('/project/OUT/safe.csv','rb').read()).hexdigest())")
    submitted_sha = with_desk[1].strip()

    # Changed in OUT after submission: the request keeps its snapshot, and cannot be changed now.
    run_in_desk(container, "open('/project/OUT/safe.csv', 'a').write('East,1,1\\n')")
    again = author.post(f"{pk}/files", path="safe.csv", **context)
    assert again.status_code == 403 and "cannot be changed now" in again.text

    # The automated check flags the cell of 3; the author cannot vote, a checker only once.
    ids = file_ids(olga.get(f"{pk}/").text)
    viewer = olga.get(f"{pk}/files/{ids['risky.csv']}/").text
    assert '<td class="flag" title="Row 2, column 3: a count below the threshold of 10.">3</td>' in viewer
    acro_viewer = olga.get(f"{pk}/files/{ids['acro/output_0_0.csv']}/").text
    assert "checksum verified" in acro_viewer and 'title="ACRO MinimumThresholdCheck: row 2, column 3' in acro_viewer
    own = author.post(f"{pk}/files/{ids['safe.csv']}/vote", vote="approve", visibility="private")
    assert own.status_code == 403 and "Only output checkers" in own.text
    for checker in (olga, pavel):
        assert checker.post(f"{pk}/files/{ids['safe.csv']}/vote", vote="approve", visibility="private").status_code == 302
        for risky in ("risky.csv", "acro/output_0_0.csv"):
            assert checker.post(f"{pk}/files/{ids[risky]}/vote", vote="changes", comment="Suppress the 3",
                                visibility="public").status_code == 302
    twice = olga.post(f"{pk}/files/{ids['safe.csv']}/vote", vote="approve", visibility="private")
    assert twice.status_code == 403 and "already voted" in twice.text
    assert olga.post(f"{pk}/release").status_code == 302

    # The researcher downloads the release: the safe table, byte for byte as submitted.
    page = author.get(f"{pk}/").text
    assert 'data-status="released"' in page and "Suppress the 3" in page
    resp = author.get(f"{pk}/release.zip")
    assert resp.status_code == 200
    with zipfile.ZipFile(io.BytesIO(resp.content)) as z:
        assert sorted(z.namelist()) == ["files/safe.csv", "manifest.json", "review-summary.txt"]
        assert hashlib.sha256(z.read("files/safe.csv")).hexdigest() == submitted_sha
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["files"][0]["sha256"] == submitted_sha
    assert [f["relpath"] for f in manifest["not_released"]] == ["acro/output_0_0.csv", "risky.csv"]

    # Every refusal and step is in the audit trail, with who and the file hashes.
    refusals = audit(platform, "output_refused")
    assert {actor for actor, _ in refusals} == {AUTHOR, "olga"}
    reasons = " | ".join(detail["reason"] for _, detail in refusals)
    for reason in ("symbolic link", "Stata .dta", "leaves OUT", "cannot be changed now", "Only output checkers",
                   "already voted"):
        assert reason in reasons
    assert audit(platform, "output_submitted")[0][1]["files"]["safe.csv"] == submitted_sha
    assert [actor for actor, _ in audit(platform, "output_voted")] == ["olga"] * 3 + ["pavel"] * 3
    downloads = [(actor, detail["files"]) for actor, detail in audit(platform, "output_downloaded")]
    assert downloads == [(AUTHOR, {"safe.csv": submitted_sha})]


def _project_pk(portal: Portal) -> str:
    form = portal.get("").text
    return re.search(r'<option value="(\d+)"[^>]*>OUTCHK', form).group(1)
