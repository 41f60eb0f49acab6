"""Every change to a release request goes through here: check, change, audit, in one transaction.

The states and who may move a request out of each live in two tables,
`TRANSITIONS` and `OWNERS`; `_move` is the only code that changes a status.
Each public function checks the policy (`policies`), makes the change and
writes the audit event (who, what, the files' hashes; the trail adds when).
A refusal raises `OutputRefused` with its sentence and is itself recorded.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from mdp import settings
from mdp.audit import trail
from mdp.audit.enums import Action
from mdp.outputs import checks, intake, rules
from mdp.outputs.enums import Decision, Owner, RequestStatus, Visibility, Vote
from mdp.outputs.models import ReleaseRequest, RequestFile, Review
from mdp.outputs.policies import OutputRefused
from mdp.outputs import policies
from mdp.registry.business_logic import project_dir

S = RequestStatus

TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    S.PENDING: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.PARTIALLY_REVIEWED, S.RETURNED}),
    S.PARTIALLY_REVIEWED: frozenset({S.REVIEWED, S.RETURNED}),
    S.REVIEWED: frozenset({S.APPROVED, S.REJECTED, S.RETURNED}),
    S.RETURNED: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.RELEASED}),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.RELEASED: frozenset(),
}

OWNERS: dict[Owner, frozenset[RequestStatus]] = {
    Owner.AUTHOR: frozenset({S.PENDING, S.RETURNED}),
    Owner.CHECKER: frozenset({S.SUBMITTED, S.PARTIALLY_REVIEWED, S.REVIEWED}),
    Owner.SYSTEM: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN, S.RELEASED}),
}

STATUS_ACTION = {
    S.SUBMITTED: Action.OUTPUT_SUBMITTED, S.PARTIALLY_REVIEWED: Action.OUTPUT_REVIEWED,
    S.REVIEWED: Action.OUTPUT_REVIEWED, S.RETURNED: Action.OUTPUT_RETURNED, S.APPROVED: Action.OUTPUT_APPROVED,
    S.REJECTED: Action.OUTPUT_REJECTED, S.WITHDRAWN: Action.OUTPUT_WITHDRAWN, S.RELEASED: Action.OUTPUT_RELEASED,
}


# The steps named in "it cannot be … now", as participles agreeing with "request" in the page's language.
STEP_WORDS = {
    "changed": pgettext_lazy("a request cannot be ... now", "changed"),
    "submitted": pgettext_lazy("a request cannot be ... now", "submitted"),
    "withdrawn": pgettext_lazy("a request cannot be ... now", "withdrawn"),
    "reviewed": pgettext_lazy("a request cannot be ... now", "reviewed"),
    "released": pgettext_lazy("a request cannot be ... now", "released"),
}


class InvalidTransition(OutputRefused):
    """The request's state does not allow this step."""


def owner_of(status: RequestStatus) -> Owner:
    return next(owner for owner, states in OWNERS.items() if status in states)


def release_dir() -> Path:
    return settings.get().state_dir / "outputs" / "releases"


def _file_hashes(request: ReleaseRequest) -> dict[str, str]:
    return {f.relpath: f.sha256 for f in request.active_files()}


def _check_turn(request: ReleaseRequest, owner: Owner, what: str) -> None:
    status = RequestStatus(request.status)
    if status not in OWNERS[owner]:
        raise InvalidTransition(_("Request #%(request)s is %(status)s: it cannot be %(step)s now "
                                  "(it is in the hands of %(owner)s).")
                                % {"request": request.pk, "status": status.label, "step": STEP_WORDS[what],
                                   "owner": owner_of(status).label})


def _move(actor: str, request: ReleaseRequest, to: RequestStatus, by: Owner, **detail) -> None:
    """The only place a status changes: the table allows it, the right side acts, the trail records it."""
    status = RequestStatus(request.status)
    if to not in TRANSITIONS[status]:
        raise InvalidTransition(_("Request #%(request)s is %(status)s: it cannot become %(to)s.")
                                % {"request": request.pk, "status": status.label, "to": to.label})
    if by != Owner.SYSTEM and status not in OWNERS[by]:
        raise InvalidTransition(_("Request #%(request)s is %(status)s: it is in the hands of %(owner)s.")
                                % {"request": request.pk, "status": status.label, "owner": owner_of(status).label})
    request.status = to
    request.save(update_fields=["status", "round", "updated_at", "release_sha256"])
    trail.record(actor, STATUS_ACTION[to], request.project.slug, request=request.pk, status_from=status.value,
                 status_to=to.value, round=request.round, files=_file_hashes(request), **detail)


def _refusals_recorded(step: str):
    """Record a refused step in the audit trail (after its transaction rolled back), then re-raise."""
    def wrap(func):
        @functools.wraps(func)
        def inner(user, target, *args, **kwargs):
            try:
                return func(user, target, *args, **kwargs)
            except (OutputRefused, intake.IntakeRefused) as exc:
                request = target if isinstance(target, ReleaseRequest) else getattr(target, "request", None)
                project = target if request is None else request.project  # create_request's target
                # the reason as the user read it, in the page's language (which is recorded with it)
                detail = {"step": step, "request": request.pk if request else None, "reason": str(exc),
                          "language": translation.get_language() or "en"}
                if isinstance(target, RequestFile):
                    detail["path"] = target.relpath
                elif step == "add_file":
                    detail["path"] = args[0]
                trail.record(user.username, Action.OUTPUT_REFUSED, project.slug, **detail)
                raise
        return inner
    return wrap


@_refusals_recorded("create")
def create_request(user, project) -> ReleaseRequest:
    policies.check_can_create_request(user, project)
    with transaction.atomic():
        request = ReleaseRequest.objects.create(project=project, author=user)
        trail.record(user.username, Action.OUTPUT_REQUEST_CREATED, project.slug, request=request.pk)
    return request


@_refusals_recorded("add_file")
def add_file(user, request: ReleaseRequest, relpath: str, context: str, controls: str) -> RequestFile:
    """Snapshot OUT/relpath into the request and run the automated checks; replaces an earlier copy."""
    policies.check_can_edit_request(user, request)
    _check_turn(request, Owner.AUTHOR, "changed")
    if not context.strip() or not controls.strip():
        raise OutputRefused(_("Say what the output is (context) and which disclosure controls were applied."))
    out_dir = project_dir(request.project) / "OUT"
    sdc = rules.for_project(request.project)
    snap = intake.take(out_dir, relpath, sdc)
    acro = checks.find_acro(out_dir, snap.relpath) if snap.kind.is_table else None
    findings = [f.as_dict() for f in checks.run(snap.path, snap.kind, snap.sha256, sdc, acro)]
    with transaction.atomic():
        file, created = RequestFile.objects.update_or_create(
            request=request, relpath=snap.relpath,
            defaults={"sha256": snap.sha256, "size": snap.size, "kind": snap.kind, "context": context.strip(),
                      "controls": controls.strip(), "findings": findings, "withdrawn": False})
        trail.record(user.username, Action.OUTPUT_FILE_ADDED, request.project.slug, request=request.pk,
                     path=file.relpath, sha256=file.sha256, size=file.size, kind=file.kind, replaced=not created,
                     findings={sev: sum(f["severity"] == sev for f in findings) for sev in ("fail", "review")},
                     acro=acro.results_sha256 if acro else None)
    return file


@_refusals_recorded("withdraw_file")
def withdraw_file(user, file: RequestFile) -> None:
    request = file.request
    policies.check_can_edit_request(user, request)
    _check_turn(request, Owner.AUTHOR, "changed")
    with transaction.atomic():
        file.withdrawn = True
        file.save(update_fields=["withdrawn"])
        trail.record(user.username, Action.OUTPUT_FILE_WITHDRAWN, request.project.slug, request=request.pk,
                     path=file.relpath, sha256=file.sha256)


@_refusals_recorded("submit")
def submit(user, request: ReleaseRequest) -> None:
    policies.check_can_edit_request(user, request)
    _check_turn(request, Owner.AUTHOR, "submitted")
    if not request.active_files().exists():
        raise OutputRefused(_("Request #%(request)s has no files: add the outputs to release first.")
                            % {"request": request.pk})
    with transaction.atomic():
        request.round += 1
        _move(user.username, request, S.SUBMITTED, Owner.AUTHOR)
        _carry_approvals(request)


CARRIED = "output-checking"  # the audit actor of moves made by approvals carried from an earlier round


def _carry_approvals(request: ReleaseRequest) -> None:
    """A file both checkers approved in the last round, unchanged since, keeps their approvals in the new round.

    Checkers then review only what the author changed or added (as in OpenSAFELY
    airlock). Unchanged means the same bytes (SHA-256) as the approved snapshot;
    anything else is reviewed again from scratch.
    """
    previous = request.round - 1
    for file in request.active_files():
        votes = list(file.votes_in_round(previous))
        if file.decision(previous) != Decision.APPROVED or any(v.sha256 != file.sha256 for v in votes):
            continue
        for old in votes:
            _cast(file, old.checker, Vote(old.vote), old.comment, Visibility(old.visibility), carried_from=previous)
    _advance(CARRIED, request, Owner.SYSTEM)  # every file carried: the reviews are in already


def _check_withdraw(user, request: ReleaseRequest) -> None:
    """The author withdraws while the request is in their hands, even after the project ended."""
    if request.author_id != user.pk:
        raise OutputRefused(_("Only %(author)s, who wrote request #%(request)s, may withdraw it.")
                            % {"author": request.author.username, "request": request.pk})
    _check_turn(request, Owner.AUTHOR, "withdrawn")


@_refusals_recorded("withdraw")
def withdraw(user, request: ReleaseRequest) -> None:
    _check_withdraw(user, request)
    with transaction.atomic():
        _move(user.username, request, S.WITHDRAWN, Owner.AUTHOR)


def completed_reviews(request: ReleaseRequest) -> int:
    """How many checkers have voted on every file of the request in its current round."""
    files = list(request.active_files())
    voters: dict[int, int] = {}
    for vote in Review.objects.filter(file__in=files, round=request.round):
        voters[vote.checker_id] = voters.get(vote.checker_id, 0) + 1
    return sum(1 for n in voters.values() if n == len(files))


@_refusals_recorded("vote")
def vote(user, file: RequestFile, decision: Vote, comment: str = "",
         visibility: Visibility = Visibility.PRIVATE) -> Review:
    request = file.request
    policies.check_can_vote(user, file)
    _check_turn(request, Owner.CHECKER, "reviewed")
    with transaction.atomic():
        review = _cast(file, user, Vote(decision), comment.strip(), Visibility(visibility))
        _advance(user.username, request, Owner.CHECKER)
    return review


def _cast(file: RequestFile, checker, vote_: Vote, comment: str, visibility: Visibility,
          carried_from: int | None = None) -> Review:
    """Store one vote on the file's current snapshot in the request's round, and audit it."""
    request = file.request
    review = Review.objects.create(file=file, checker=checker, round=request.round, vote=vote_, comment=comment,
                                   visibility=visibility, sha256=file.sha256, carried_from=carried_from)
    trail.record(checker.username, Action.OUTPUT_VOTED, request.project.slug, request=request.pk,
                 path=file.relpath, sha256=file.sha256, vote=review.vote, round=request.round,
                 visibility=review.visibility, **({"carried_from": carried_from} if carried_from else {}))
    return review


def _advance(actor: str, request: ReleaseRequest, by: Owner) -> None:
    """Partially reviewed once one checker has voted on every file, reviewed once two have."""
    done = completed_reviews(request)
    if done >= 1 and request.status == S.SUBMITTED:
        _move(actor, request, S.PARTIALLY_REVIEWED, by)
    if done >= 2 and request.status == S.PARTIALLY_REVIEWED:
        _move(actor, request, S.REVIEWED, by)


@_refusals_recorded("return")
def return_request(user, request: ReleaseRequest) -> None:
    """Back to the author for changes; the next submission starts a new review round."""
    policies.check_can_review(user, request)
    with transaction.atomic():
        _move(user.username, request, S.RETURNED, Owner.CHECKER)


@_refusals_recorded("reject")
def reject(user, request: ReleaseRequest) -> None:
    policies.check_can_review(user, request)
    with transaction.atomic():
        _move(user.username, request, S.REJECTED, Owner.CHECKER)


def decisions(request: ReleaseRequest) -> dict[RequestFile, Decision]:
    return {f: f.decision(request.round) for f in request.active_files()}


@_refusals_recorded("release")
def release(user, request: ReleaseRequest) -> Path:
    """Approve and release the files both checkers approved; the others stay behind, listed in the manifest."""
    policies.check_can_review(user, request)
    _check_turn(request, Owner.CHECKER, "released")
    if request.status != S.REVIEWED:
        raise InvalidTransition(_("Request #%(request)s is %(status)s: it is released once both reviews are in.")
                                % {"request": request.pk, "status": RequestStatus(request.status).label})
    by_file = decisions(request)
    conflicted = [f.relpath for f, d in by_file.items() if d == Decision.CONFLICTED]
    if conflicted:
        raise OutputRefused(_("The checkers disagree on %(paths)s: return the request "
                              "or reject it, it cannot be released as it stands.") % {"paths": ", ".join(conflicted)})
    approved = [f for f, d in by_file.items() if d == Decision.APPROVED]
    if not approved:
        raise OutputRefused(_("No file was approved by both checkers: return or reject the request."))
    with transaction.atomic():
        _move(user.username, request, S.APPROVED, Owner.CHECKER)
        path, sha = _write_release_zip(user, request, by_file)
        request.release_sha256 = sha
        _move(user.username, request, S.RELEASED, Owner.SYSTEM, zip_sha256=sha,
              released={f.relpath: f.sha256 for f in approved})
    return path


def _write_release_zip(user, request: ReleaseRequest, by_file: dict) -> tuple[Path, str]:
    """The release: approved files, a manifest with checksums and the review summary; written atomically."""
    now = timezone.now()
    stamp = now.timetuple()[:6]
    manifest = {
        "request": request.pk, "project": request.project.slug, "author": request.author.username,
        "released_by": user.username, "released_at": now.isoformat(), "round": request.round,
        "files": [], "not_released": [],
    }
    summary = [f"Release of request #{request.pk}, project {request.project.acronym}, "
               f"review round {request.round}, released {now:%Y-%m-%d %H:%M} UTC by {user.username}.", ""]
    folder = release_dir()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.NamedTemporaryFile(dir=folder, prefix=".release-", delete=False)
    try:
        with tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for file, decision in sorted(by_file.items(), key=lambda kv: kv[0].relpath):
                entry = {"relpath": file.relpath, "sha256": file.sha256, "size": file.size,
                         "decision": decision.value}
                with translation.override("en"):  # the labels in English like the rest, whoever releases
                    summary.append(f"{file.relpath}  sha256 {file.sha256}  {decision.label}")
                    for review in file.votes_in_round(request.round):
                        public = review.comment if review.visibility == Visibility.PUBLIC else ""
                        summary.append(f"    {Vote(review.vote).label}" + (f": {public}" if public else ""))
                if decision == Decision.APPROVED:
                    entry["path"] = f"files/{file.relpath}"
                    info = zipfile.ZipInfo(entry["path"], stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(info, _stored_copy(file))
                    manifest["files"].append(entry)
                else:
                    manifest["not_released"].append(entry)
            z.writestr(zipfile.ZipInfo("manifest.json", stamp), json.dumps(manifest, indent=2) + "\n")
            z.writestr(zipfile.ZipInfo("review-summary.txt", stamp), "\n".join(summary) + "\n")
        final = folder / f"request-{request.pk}.zip"
        os.replace(tmp.name, final)
    except BaseException:
        Path(tmp.name).unlink(missing_ok=True)
        raise
    return final, hashlib.sha256(final.read_bytes()).hexdigest()


def _stored_copy(file: RequestFile) -> bytes:
    """The snapshot's bytes, refused if they no longer match the hash the checkers reviewed."""
    data = (intake.store_dir() / file.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != file.sha256:
        raise OutputRefused(_("The stored copy of %(path)s no longer matches the hash that was reviewed: "
                              "nothing is released; tell the platform's administrators.") % {"path": file.relpath})
    return data


@_refusals_recorded("download")
def download_release(user, request: ReleaseRequest) -> Path:
    policies.check_can_download_release(user, request)
    if request.status != S.RELEASED:
        raise OutputRefused(_("Request #%(request)s is %(status)s: only released requests can be downloaded.")
                            % {"request": request.pk, "status": RequestStatus(request.status).label})
    path = release_dir() / f"request-{request.pk}.zip"
    trail.record(user.username, Action.OUTPUT_DOWNLOADED, request.project.slug, request=request.pk,
                 zip_sha256=request.release_sha256, files=_released_hashes(path))
    return path


def _released_hashes(path: Path) -> dict:
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
    return {f["relpath"]: f["sha256"] for f in manifest["files"]}


@_refusals_recorded("view_file")
def view_file(user, file: RequestFile) -> Path:
    """A checker reads a snapshot (recorded): the path of the stored copy."""
    policies.check_can_view_content(user, file.request)
    trail.record(user.username, Action.OUTPUT_FILE_VIEWED, file.request.project.slug, request=file.request.pk,
                 path=file.relpath, sha256=file.sha256)
    return intake.store_dir() / file.sha256


def visible_reviews(user, file: RequestFile) -> list[Review]:
    """Blind review: during a round a checker sees only their own votes; the author sees public comments after it."""
    request = file.request
    reviews = list(file.votes.select_related("checker"))
    in_round = RequestStatus(request.status) in (S.SUBMITTED, S.PARTIALLY_REVIEWED)
    if policies.can_review(user, request):
        return [r for r in reviews if not (in_round and r.round == request.round and r.checker_id != user.pk)]
    if policies.is_member(user, request.project):
        return [r for r in reviews if r.visibility == Visibility.PUBLIC
                and not (owner_of(RequestStatus(request.status)) == Owner.CHECKER and r.round == request.round)]
    return []


def refusals(user, request: ReleaseRequest) -> dict[str, str | None]:
    """For each step on this request: None if the user may take it now, else the sentence why not (for the UI)."""
    def why(func, *args):
        try:
            func(*args)
        except OutputRefused as exc:
            return str(exc)
        return None

    def author_step(step):
        policies.check_can_edit_request(user, request)
        _check_turn(request, Owner.AUTHOR, step)

    def checker_step(to):
        policies.check_can_review(user, request)
        status = RequestStatus(request.status)
        if to not in TRANSITIONS[status]:
            raise InvalidTransition(_("Request #%(request)s is %(status)s.")
                                    % {"request": request.pk, "status": status.label})

    def download_step():
        policies.check_can_download_release(user, request)
        if request.status != S.RELEASED:
            raise OutputRefused(_("Only released requests can be downloaded."))

    return {
        "edit": why(author_step, "changed"),
        "submit": why(author_step, "submitted"),
        "withdraw": why(_check_withdraw, user, request),
        "vote": why(_check_turn, request, Owner.CHECKER, "reviewed") or why(policies.check_can_review, user, request),
        "return": why(checker_step, S.RETURNED),
        "reject": why(checker_step, S.REJECTED),
        "release": why(checker_step, S.APPROVED),
        "download": why(download_step),
    }
