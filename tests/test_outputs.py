"""Output checking without containers: state machine, policies, intake, automated checks, release."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections import deque
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from mdp.audit.models import AuditEvent
from mdp.outputs import business_logic as bl
from mdp.outputs import checks, intake, rules
from mdp.outputs.enums import FileKind, Owner, RequestStatus, Visibility, Vote
from mdp.outputs.policies import OutputRefused
from mdp.registry import business_logic as registry
from mdp.registry.enums import Role

SAFE = "region,men,women\nNorth,25,31\nSouth,40,12\n"
RISKY = "region,men,women\nNorth,25,3\nSouth,40,0\n"


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    """Projects' data and the checking store in this test's own folder."""
    from mdp import settings

    monkeypatch.setenv("MDP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MDP_DATA_ROOT", str(tmp_path / "data"))
    settings.get.cache_clear()
    rules.get.cache_clear()
    yield tmp_path
    settings.get.cache_clear()


@pytest.fixture
def world(db):
    """alice and bruno in MIGAPE (open), two output checkers, a project that ended."""
    users = {name: User.objects.create(username=name) for name in ("alice", "bruno", "olga", "pavel", "zoe")}
    for name in ("olga", "pavel", "bruno"):
        registry.set_role("t", users[name], Role.OUTPUT_CHECKER)
    today = date.today()
    project = registry.create_project("t", acronym="MIGAPE", title="t", start=today - timedelta(days=5),
                                      end=today + timedelta(days=50))
    ended = registry.create_project("t", acronym="OLD", title="t", start=today - timedelta(days=50),
                                    end=today - timedelta(days=1))
    for name in ("alice", "bruno"):
        registry.add_member("t", project, users[name])
    registry.add_member("t", ended, users["alice"])
    out = registry.project_dir(project) / "OUT"
    (out / "safe.csv").write_text(SAFE)
    (out / "risky.csv").write_text(RISKY)
    return {**users, "project": project, "ended": ended, "out": out}


def refusal(reason_part: str) -> AuditEvent:
    """The audit event recording a refusal whose reason contains reason_part."""
    events = [e for e in AuditEvent.objects.filter(action="output_refused") if reason_part in e.detail["reason"]]
    assert events, f"no refusal recorded containing {reason_part!r}"
    return events[-1]


def submitted(world, *names):
    request = bl.create_request(world["alice"], world["project"])
    for name in names:
        bl.add_file(world["alice"], request, name, "Pensions by region", "Counts below 10 suppressed")
    bl.submit(world["alice"], request)
    return request


# --- the state machine -----------------------------------------------------------------------------

def test_every_state_has_transitions_and_exactly_one_owner():
    assert set(bl.TRANSITIONS) == set(RequestStatus)
    owned = [s for states in bl.OWNERS.values() for s in states]
    assert sorted(owned) == sorted(RequestStatus)  # disjoint and complete: each state once
    assert set(bl.OWNERS) == set(Owner)


def test_every_state_is_reachable_from_pending_and_final_states_stay_final():
    seen, todo = {RequestStatus.PENDING}, deque([RequestStatus.PENDING])
    while todo:
        for nxt in bl.TRANSITIONS[todo.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(RequestStatus)
    for final in bl.OWNERS[Owner.SYSTEM] - {RequestStatus.APPROVED}:
        assert not bl.TRANSITIONS[final]


def test_invalid_transitions_are_refused(world):
    request = bl.create_request(world["alice"], world["project"])
    with pytest.raises(bl.InvalidTransition, match="cannot become released"):
        bl._move("alice", request, RequestStatus.RELEASED, Owner.AUTHOR)
    with pytest.raises(bl.InvalidTransition, match="cannot become returned"):
        bl.return_request(world["olga"], request)
    with pytest.raises(OutputRefused, match="has no files"):
        bl.submit(world["alice"], request)
    bl.add_file(world["alice"], request, "safe.csv", "c", "k")
    bl.submit(world["alice"], request)
    with pytest.raises(bl.InvalidTransition, match="in the hands of the output checkers"):
        bl.withdraw(world["alice"], request)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


# --- the whole path, and the policies ---------------------------------------------------------------

def test_submit_vote_release_download(world):
    request = submitted(world, "safe.csv", "risky.csv")
    files = {f.relpath: f for f in request.active_files()}
    assert files["safe.csv"].sha256 == hashlib.sha256(SAFE.encode()).hexdigest()
    assert files["safe.csv"].verdict == "pass" and files["risky.csv"].verdict == "fail"
    bl.vote(world["olga"], files["safe.csv"], Vote.APPROVE)
    bl.vote(world["olga"], files["risky.csv"], Vote.CHANGES, "Suppress the 3 and the 0", Visibility.PUBLIC)
    request.refresh_from_db()
    assert request.status == RequestStatus.PARTIALLY_REVIEWED
    # Blind: pavel sees none of olga's votes, alice none of the public comment, until both reviews are in.
    assert bl.visible_reviews(world["pavel"], files["risky.csv"]) == []
    assert bl.visible_reviews(world["alice"], files["risky.csv"]) == []
    bl.vote(world["pavel"], files["safe.csv"], Vote.APPROVE)
    bl.vote(world["pavel"], files["risky.csv"], Vote.CHANGES)
    request.refresh_from_db()
    assert request.status == RequestStatus.REVIEWED
    assert len(bl.visible_reviews(world["pavel"], files["risky.csv"])) == 2
    assert bl.visible_reviews(world["alice"], files["risky.csv"]) == []  # still in the checkers' hands
    path = bl.release(world["olga"], request)
    request.refresh_from_db()
    assert [r.comment for r in bl.visible_reviews(world["alice"], files["risky.csv"])] == ["Suppress the 3 and the 0"]
    assert request.status == RequestStatus.RELEASED
    with zipfile.ZipFile(path) as z:
        assert hashlib.sha256(z.read("files/safe.csv")).hexdigest() == files["safe.csv"].sha256
        assert "files/risky.csv" not in z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        assert [f["relpath"] for f in manifest["not_released"]] == ["risky.csv"]
        assert "Suppress the 3 and the 0" in z.read("review-summary.txt").decode()
    assert bl.download_release(world["alice"], request) == Path(path)
    download = AuditEvent.objects.get(action="output_downloaded")
    assert download.actor == "alice" and download.detail["files"] == {"safe.csv": files["safe.csv"].sha256}
    with pytest.raises(OutputRefused, match="Only members"):
        bl.download_release(world["olga"], request)
    actions = list(AuditEvent.objects.filter(project="migape").values_list("action", flat=True))
    for action in ("output_request_created", "output_file_added", "output_submitted", "output_voted",
                   "output_reviewed", "output_approved", "output_released"):
        assert action in actions
    submit_event = AuditEvent.objects.get(action="output_submitted")
    assert submit_event.detail["files"]["risky.csv"] == files["risky.csv"].sha256


def test_the_author_and_project_members_never_check(world):
    request = submitted(world, "safe.csv")
    file = request.active_files().get()
    with pytest.raises(OutputRefused, match="Only output checkers"):
        bl.vote(world["alice"], file, Vote.APPROVE)
    with pytest.raises(OutputRefused, match="never checks their own project"):
        bl.vote(world["bruno"], file, Vote.APPROVE)  # a checker, but a member of MIGAPE
    assert refusal("never checks their own project").actor == "bruno"
    assert not file.votes.exists()


def test_a_checker_votes_once_per_file_per_round(world):
    request = submitted(world, "safe.csv")
    file = request.active_files().get()
    bl.vote(world["olga"], file, Vote.CHANGES)
    with pytest.raises(OutputRefused, match="already voted on safe.csv in review round 1"):
        bl.vote(world["olga"], file, Vote.APPROVE)
    assert refusal("already voted").detail["path"] == "safe.csv"
    bl.vote(world["pavel"], file, Vote.CHANGES)
    bl.return_request(world["olga"], request)
    bl.submit(world["alice"], request)  # round 2: a new vote is due
    request.refresh_from_db()
    assert request.round == 2 and request.status == RequestStatus.SUBMITTED
    bl.vote(world["olga"], file, Vote.APPROVE)


def test_unchanged_files_both_checkers_approved_keep_their_approvals_in_the_next_round(world):
    (world["out"] / "table.csv").write_text(SAFE)
    request = submitted(world, "safe.csv", "risky.csv", "table.csv")
    safe, risky, table = (request.active_files().get(relpath=n) for n in ("safe.csv", "risky.csv", "table.csv"))
    for checker in ("olga", "pavel"):
        bl.vote(world[checker], safe, Vote.APPROVE, "Fine.")
        bl.vote(world[checker], risky, Vote.CHANGES, "Suppress the small cells.")
        bl.vote(world[checker], table, Vote.APPROVE)
    bl.return_request(world["olga"], request)
    (world["out"] / "risky.csv").write_text(SAFE.replace("25", "26"))
    (world["out"] / "table.csv").write_text(SAFE.replace("40", "41"))  # approved, then changed: reviewed again
    for name in ("risky.csv", "table.csv"):
        bl.add_file(world["alice"], request, name, "Pensions by region", "Counts below 10 suppressed")
    bl.submit(world["alice"], request)
    request.refresh_from_db()
    assert request.round == 2 and request.status == RequestStatus.SUBMITTED
    carried = safe.votes_in_round(2)
    assert sorted(v.checker.username for v in carried) == ["olga", "pavel"]
    assert all(v.carried_from == 1 and v.vote == Vote.APPROVE and v.comment == "Fine." for v in carried)
    assert not risky.votes_in_round(2).exists() and not table.votes_in_round(2).exists()
    assert AuditEvent.objects.filter(action="output_voted", detail__carried_from=1).count() == 2
    with pytest.raises(OutputRefused, match="already voted on safe.csv in review round 2"):
        bl.vote(world["olga"], safe, Vote.CHANGES)
    for checker in ("olga", "pavel"):  # only what changed is left to review
        for file in (risky, table):
            bl.vote(world[checker], file, Vote.APPROVE)
    request.refresh_from_db()
    assert request.status == RequestStatus.REVIEWED
    assert set(bl.decisions(request).values()) == {bl.Decision.APPROVED}


def test_a_request_whose_files_all_carry_their_approvals_is_reviewed_at_once(world):
    request = submitted(world, "safe.csv")
    for checker in ("olga", "pavel"):
        bl.vote(world[checker], request.active_files().get(), Vote.APPROVE)
    bl.return_request(world["pavel"], request)  # say, for a better description of the output
    bl.submit(world["alice"], request)
    request.refresh_from_db()
    assert request.status == RequestStatus.REVIEWED and request.round == 2
    assert AuditEvent.objects.filter(action="output_reviewed", actor="output-checking").exists()


def test_only_members_of_an_open_project_ask(world):
    with pytest.raises(OutputRefused, match="not a member"):
        bl.create_request(world["zoe"], world["project"])
    with pytest.raises(OutputRefused, match="ended on"):
        bl.create_request(world["alice"], world["ended"])
    request = bl.create_request(world["alice"], world["project"])
    with pytest.raises(OutputRefused, match="Only alice"):
        bl.add_file(world["bruno"], request, "safe.csv", "c", "k")
    assert refusal("not a member").actor == "zoe"


def test_the_release_summary_stays_english_whoever_releases(world):
    """The zip's review summary is English, labels included, even when released from a French page."""
    from django.utils import translation

    request = submitted(world, "safe.csv")
    f = request.active_files().get()
    for checker in ("olga", "pavel"):
        bl.vote(world[checker], f, Vote.APPROVE)
    request.refresh_from_db()
    with translation.override("fr"):
        path = bl.release(world["olga"], request)
    with zipfile.ZipFile(path) as z:
        summary = z.read("review-summary.txt").decode()
    assert "safe.csv  sha256" in summary and "approved by two checkers" in summary and "approve\n" in summary
    assert "approuv" not in summary

def test_a_tampered_snapshot_is_not_released(world):
    request = submitted(world, "safe.csv")
    file = request.active_files().get()
    for checker in ("olga", "pavel"):
        bl.vote(world[checker], file, Vote.APPROVE)
    stored = intake.store_dir() / file.sha256
    stored.chmod(0o600)
    stored.write_text("region,men\nNorth,1\n")
    with pytest.raises(OutputRefused, match="no longer matches the hash"):
        bl.release(world["olga"], request)
    request.refresh_from_db()
    assert request.status == RequestStatus.REVIEWED and not list(bl.release_dir().glob("*.zip"))


def test_conflicting_votes_block_release(world):
    request = submitted(world, "safe.csv")
    file = request.active_files().get()
    bl.vote(world["olga"], file, Vote.APPROVE)
    bl.vote(world["pavel"], file, Vote.CHANGES)
    with pytest.raises(OutputRefused, match="checkers disagree on safe.csv"):
        bl.release(world["olga"], request)
    bl.reject(world["pavel"], request)
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED


def test_snapshot_does_not_change_with_out(world):
    request = submitted(world, "safe.csv")
    file = request.active_files().get()
    (world["out"] / "safe.csv").write_text("region,men\nNorth,1\n")
    stored = intake.store_dir() / file.sha256
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == file.sha256
    with pytest.raises(bl.InvalidTransition, match="cannot be changed now"):
        bl.add_file(world["alice"], request, "safe.csv", "c", "k")
    assert refusal("cannot be changed now").detail["step"] == "add_file"
    file.refresh_from_db()
    assert file.sha256 == hashlib.sha256(SAFE.encode()).hexdigest()


# --- intake: what may leave OUT -------------------------------------------------------------------

def test_links_special_files_and_escapes_are_refused(world):
    out, sdc = world["out"], rules.get()
    intake.store_dir().mkdir(parents=True)
    in_file = out.parent / "IN" / "extract.csv"
    in_file.write_text("a,b\n1,2\n")
    (out / "link.csv").symlink_to(in_file)
    os.link(out / "safe.csv", out / "hard.csv")
    os.mkfifo(out / "pipe.csv")
    (out / "sub").symlink_to(out.parent / "IN")
    cases = {
        "link.csv": "is a symbolic link",
        "hard.csv": "is a hard link",
        "pipe.csv": "not a regular file",
        "../IN/extract.csv": "leaves OUT",
        "/etc/passwd": "leaves OUT",
        "sub/extract.csv": "is not a plain folder",
        "missing.csv": "no such file",
    }
    for name, reason in cases.items():
        with pytest.raises(intake.IntakeRefused, match=reason):
            intake.take(out, name, sdc)
    assert not list(intake.store_dir().glob(".incoming-*"))  # refused before or after copying: no leftovers


def test_types_are_judged_by_content(world, tmp_path):
    out, sdc = world["out"], rules.get()
    (out / "table.csv").write_bytes(b"<stata_dta><header><release>118</release>\x00\x01")
    (out / "notes.txt").write_bytes(b"PAR1\x15\x04\x00\x00")
    (out / "blob.csv").write_bytes(bytes(range(256)))
    (out / "old.txt").write_bytes(b"r\x02\x01\x00\x02\x00\x02\x00")  # what pandas' to_stata writes (format 114)
    (out / "archive.xlsx").write_bytes(_zip_bytes({"data.csv": "a,b\n"}))
    for name, reason in {"table.csv": "Stata .dta data", "notes.txt": "Parquet data",
                         "blob.csv": "binary data of an unknown type", "old.txt": "Stata .dta data", "archive.xlsx": "zip archive"}.items():
        with pytest.raises(intake.IntakeRefused, match=reason):
            intake.take(out, name, sdc)
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["region", "count"])
    book.active.append(["North", 12])
    book.save(out / "book.xlsx")
    (out / "plot.dat").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    (out / "report.pdf").write_bytes(b"%PDF-1.4\n%...")
    (out / "nb.html").write_text("<!DOCTYPE html><html><body>x</body></html>")
    (out / "log.txt").write_text("Model fitted.\n")
    kinds = {name: intake.take(out, name, sdc).kind for name in
             ("book.xlsx", "plot.dat", "report.pdf", "nb.html", "log.txt", "safe.csv")}
    assert kinds == {"book.xlsx": FileKind.XLSX, "plot.dat": FileKind.IMAGE, "report.pdf": FileKind.PDF,
                     "nb.html": FileKind.HTML, "log.txt": FileKind.TEXT, "safe.csv": FileKind.CSV}


def test_microdata_suspicion_is_refused(world, monkeypatch):
    out = world["out"]
    sdc = rules.get()
    (out / "long.csv").write_text("x,n\n" + "".join(f"{i},{i}\n" for i in range(sdc.max_table_rows + 1)))
    (out / "ids.csv").write_text("individual_IDnumber,n\n1,20\n")
    (out / "big.txt").write_text("x" * (sdc.max_file_bytes + 1))
    for name, reason in {"long.csv": "look like microdata", "ids.csv": "named like an identifier",
                         "big.txt": "are refused"}.items():
        with pytest.raises(intake.IntakeRefused, match=reason):
            intake.take(out, name, sdc)
    assert intake.identifier_columns(["EMPLOYER_IDNUMBER", "partner_individual_IDnumber", "person_id", "i_age",
                                      "valid", "n"]) == ["EMPLOYER_IDNUMBER", "partner_individual_IDnumber", "person_id"]


# --- automated checks --------------------------------------------------------------------------------

def _findings(out: Path, name: str):
    snap = intake.take(out, name, rules.get())
    return checks.run(snap.path, snap.kind, snap.sha256, rules.get(), checks.find_acro(out, snap.relpath))


def test_frequency_table_cells_under_threshold_and_zeros_are_flagged(world):
    found = _findings(world["out"], "risky.csv")
    flagged = {(f.check, f.cell) for f in found}
    assert flagged == {("threshold", (0, 2)), ("zero", (1, 2))}  # the 3, then the 0: (body row, column)
    assert all(f.severity == "fail" for f in found)
    assert [f.severity for f in _findings(world["out"], "safe.csv")] == ["info"]


def test_magnitude_tables_and_free_text(world):
    out = world["out"]
    (out / "means.csv").write_text("region,mean_pension\nNorth,1520.5\nSouth,1432.1\n")
    (out / "ols.txt").write_text("OLS Regression Results\nDf Residuals:   7\n")
    assert [(f.check, f.severity) for f in _findings(out, "means.csv")] == [("dominance", "review")]
    assert [(f.check, f.severity) for f in _findings(out, "ols.txt")] == [("manual", "review"), ("residual_dof", "fail")]


def _acro_folder(out: Path, table: str, checksum: str) -> None:
    """An ACRO output folder as ACRO's finalise() writes it (results.json, checksums/)."""
    folder = out / "acro"
    (folder / "checksums").mkdir(parents=True)
    (folder / "output_0_0.csv").write_text(table)
    (folder / "checksums" / "output_0_0.csv.txt").write_text(checksum)
    (folder / "results.json").write_text(json.dumps({"version": "1.0.2", "tool": {"name": "ACRO"}, "results": {
        "output_0": {"uid": "output_0", "status": "fail", "type": "table",
                     "files": [{"name": "output_0_0.csv", "sdc": {"summary": {"MinimumThresholdCheck": 1},
                                                                  "cells": {"MinimumThresholdCheck": [[1, 2]]}}}],
                     "outcome": {"G": {"2010": "ok", "2011": "ok"}, "N": {"2010": "ok", "2011": "ok"},
                                 "R": {"2010": "ok", "2011": "MinimumThresholdCheck; "}}}}}))


def test_acro_results_are_read_when_its_checksum_matches(world):
    table = "year,G,N,R\n2010,53,75,26\n2011,64,63,4\n"
    _acro_folder(world["out"], table, hashlib.sha256(table.encode()).hexdigest())
    found = _findings(world["out"], "acro/output_0_0.csv")
    assert found[0].check == "acro" and "checksum verified" in found[0].message
    assert [(f.check, f.cell) for f in found[1:]] == [("acro:MinimumThresholdCheck", (1, 3))]


def test_acro_checksum_mismatch_is_detected(world):
    table = "year,G,N,R\n2010,53,75,26\n2011,64,63,4\n"
    _acro_folder(world["out"], table, hashlib.sha256(b"what ACRO saw").hexdigest())
    found = _findings(world["out"], "acro/output_0_0.csv")
    assert found[0].check == "acro_checksum" and found[0].severity == "fail"
    assert ("threshold", (1, 3)) in {(f.check, f.cell) for f in found}  # our own checks ran instead


def test_real_acro_output_is_understood(world):
    acro = pytest.importorskip("acro")
    import pandas as pd

    df = pd.DataFrame({"year": [2010] * 30 + [2011] * 14, "grant": ["G"] * 25 + ["R"] * 5 + ["G"] * 11 + ["R"] * 3})
    session = acro.ACRO(suppress=False)
    session.crosstab(df.year, df.grant)
    session.finalise(str(world["out"] / "acro"), "json")
    found = _findings(world["out"], "acro/output_0_0.csv")
    assert "checksum verified" in found[0].message
    assert {f.cell for f in found[1:] if f.check == "acro:MinimumThresholdCheck"} == {(0, 2), (1, 2)}


# --- the rules file ------------------------------------------------------------------------------------

def test_shipped_rules_are_acros_defaults():
    r = rules.get()
    assert (r.threshold, r.dominance_n, r.dominance_k, r.p_ratio, r.zeros_are_disclosive, r.residual_dof) == \
        (10, 2, 0.9, 0.1, True, 10)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["disclosure"].update(threshold="ten"), "disclosure.threshold is 'ten'"),
    (lambda d: d["disclosure"].pop("p_ratio"), "disclosure.p_ratio is missing"),
    (lambda d: d["submission"].update(max_rows=3), "submission.max_rows is not a known key"),
    (lambda d: d["disclosure"].update(dominance_k=1.5), "disclosure.dominance_k is 1.5"),
])
def test_bad_rules_name_file_and_key(tmp_path, change, message):
    import yaml

    data = yaml.safe_load((Path(__file__).resolve().parents[1] / "policies" / "sdc.yaml").read_text())
    change(data)
    path = tmp_path / "sdc.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(rules.RulesError, match=f"{path}: {message}"):
        rules.load(path)


def _zip_bytes(members: dict) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def test_a_compensating_measure_raises_the_projects_threshold(world):
    """A reviewer lifted a protection in exchange for a threshold of 30: the safe table's 25 and 12 now fail."""
    from mdp.registry.models import CompensatingMeasure

    CompensatingMeasure.objects.create(project=world["project"], register="individuals", variable="i_age",
                                       description="age in years", output_threshold=30)
    request = bl.create_request(world["alice"], world["project"])
    file = bl.add_file(world["alice"], request, "safe.csv", "Pensions by region", "none")
    failed = [f for f in file.findings if f["check"] == "threshold" and f["severity"] == "fail"]
    assert {tuple(f["cell"]) for f in failed} == {(0, 1), (1, 2)}
    assert all("threshold of 30" in f["message"] for f in failed)
    assert rules.for_project(world["ended"]).threshold == 10
