"""Output-checking pages in the portal: researchers ask and download, checkers review.

Views never change a status themselves: they call `business_logic`, which
checks the policy and records the event. A refusal is shown with its sentence
(403), or as a form field error when it is about what was typed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mdp.outputs import business_logic as bl
from mdp.outputs import intake, policies, tables
from mdp.outputs.enums import FileKind, RequestStatus
from mdp.outputs.forms import AddFileForm, NewRequestForm, VoteForm
from mdp.outputs.models import ReleaseRequest, RequestFile
from mdp.outputs.policies import OutputRefused
from mdp.registry.business_logic import project_dir

MAX_ROWS_SHOWN = 500
MAX_TEXT_SHOWN = 200_000
RAW_TYPES = {FileKind.IMAGE: None, FileKind.PDF: "application/pdf", FileKind.HTML: "text/html; charset=utf-8"}


def _refused(request, exc: Exception):
    return render(request, "outputs/refused.html", {"reason": str(exc)}, status=403)


def _get_request(user, pk: int) -> ReleaseRequest:
    """The request if the user may see it; 404 otherwise, so that others' requests stay unknown."""
    release = get_object_or_404(ReleaseRequest.objects.select_related("project", "author"), pk=pk)
    if not policies.can_view_request(user, release):
        raise Http404("No such request.")
    return release


@login_required
def index(request):
    mine = ReleaseRequest.objects.filter(project__memberships__user=request.user).select_related("project", "author")
    return render(request, "outputs/index.html", {
        "requests": mine, "form": NewRequestForm(request.user), "is_checker": policies.is_checker(request.user)})


@login_required
@require_POST
def new_request(request):
    form = NewRequestForm(request.user, request.POST)
    if not form.is_valid():
        return render(request, "outputs/index.html", {"form": form, "requests": []}, status=400)
    try:
        release = bl.create_request(request.user, form.cleaned_data["project"])
    except OutputRefused as exc:
        return _refused(request, exc)
    return redirect("outputs:request", pk=release.pk)


@login_required
def queue(request):
    if not policies.is_checker(request.user):
        return _refused(request, OutputRefused(_("Only output checkers see the review queue.")))
    waiting = [r for r in ReleaseRequest.objects.filter(status__in=bl.OWNERS[bl.Owner.CHECKER])
               .select_related("project", "author").order_by("id") if policies.can_review(request.user, r)]
    recent = ReleaseRequest.objects.exclude(status__in=bl.OWNERS[bl.Owner.CHECKER]).exclude(
        status=RequestStatus.PENDING).select_related("project", "author")[:50]
    return render(request, "outputs/queue.html", {"waiting": waiting, "recent": recent})


def _request_context(request, release: ReleaseRequest, form=None) -> dict:
    user = request.user
    files = list(release.active_files())
    rows = []
    for f in files:
        counts = {}
        for finding in f.findings:
            counts[finding["check"]] = counts.get(finding["check"], 0) + 1
        rows.append({"file": f, "decision": f.decision(release.round), "counts": counts,
                     "reviews": bl.visible_reviews(user, f)})
    out_files = []
    can = bl.refusals(user, release)
    if can["edit"] is None:
        out_files = intake.list_out(project_dir(release.project) / "OUT")
    return {"release": release, "rows": rows, "can": can, "out_files": out_files,
            "form": form or AddFileForm(), "reviewer": policies.can_review(user, release),
            "completed": bl.completed_reviews(release),
            "owner": bl.owner_of(RequestStatus(release.status)).label}


@login_required
def request_page(request, pk: int):
    release = _get_request(request.user, pk)
    return render(request, "outputs/request.html", _request_context(request, release))


@login_required
@require_POST
def add_file(request, pk: int):
    release = _get_request(request.user, pk)
    form = AddFileForm(request.POST)
    if form.is_valid():
        try:
            f = bl.add_file(request.user, release, form.cleaned_data["path"], form.cleaned_data["context"],
                            form.cleaned_data["controls"])
        except intake.IntakeRefused as exc:
            form.add_error("path", str(exc))
        except OutputRefused as exc:
            return _refused(request, exc)
        else:
            messages.success(request, _("%(path)s added (sha256 %(sha)s…).")
                             % {"path": f.relpath, "sha": f.sha256[:12]})
            return redirect("outputs:request", pk=pk)
    return render(request, "outputs/request.html", _request_context(request, release, form), status=400)


@login_required
@require_POST
def withdraw_file(request, pk: int, file_id: int):
    release = _get_request(request.user, pk)
    try:
        bl.withdraw_file(request.user, get_object_or_404(RequestFile, pk=file_id, request=release))
    except OutputRefused as exc:
        return _refused(request, exc)
    return redirect("outputs:request", pk=pk)


STEPS = {"submit": bl.submit, "withdraw": bl.withdraw, "return": bl.return_request, "reject": bl.reject,
         "release": bl.release}


@login_required
@require_POST
def step(request, pk: int, step: str):
    if step not in STEPS:
        raise Http404("No such step.")
    release = _get_request(request.user, pk)
    try:
        STEPS[step](request.user, release)
    except OutputRefused as exc:
        return _refused(request, exc)
    messages.success(request, _("Request #%(request)s is now %(status)s.")
                     % {"request": pk, "status": RequestStatus(release.status).label})
    return redirect("outputs:request", pk=pk)


def _table_view(path, kind, findings) -> list[dict]:
    """Sheets with each cell's findings attached, for highlighting."""
    flags: dict[tuple, list[str]] = {}
    for finding in findings:
        if finding.get("cell"):
            key = (finding.get("sheet"), *finding["cell"])
            flags.setdefault(key, []).append(finding["message"])
    sheets = []
    for sheet in tables.read(path, kind):
        name = sheet.name if kind == FileKind.XLSX else None
        rows = [[(value, " ".join(flags.get((name, r, c), []))) for c, value in enumerate(row)]
                for r, row in enumerate(sheet.rows[:MAX_ROWS_SHOWN])]
        sheets.append({"name": sheet.name, "header": sheet.header, "rows": rows,
                       "cut": len(sheet.rows) > MAX_ROWS_SHOWN})
    return sheets


@login_required
def file_page(request, pk: int, file_id: int, form=None, status=200):
    release = _get_request(request.user, pk)
    f = get_object_or_404(RequestFile, pk=file_id, request=release)
    try:
        path = bl.view_file(request.user, f)
    except OutputRefused as exc:
        return _refused(request, exc)
    kind = FileKind(f.kind)
    context = {"release": release, "f": f, "kind": kind.value, "findings": f.findings,
               "reviews": bl.visible_reviews(request.user, f), "can_vote": policies.can_vote(request.user, f),
               "vote_refusal": bl.refusals(request.user, release)["vote"], "form": form or VoteForm()}
    if kind.is_table:
        context["sheets"] = _table_view(path, kind, f.findings)
    elif kind in (FileKind.TEXT, FileKind.ACRO):
        context["text"] = path.read_bytes()[:MAX_TEXT_SHOWN].decode("utf-8", errors="replace")
    return render(request, "outputs/file.html", context, status=status)


@login_required
@require_POST
def vote(request, pk: int, file_id: int):
    release = _get_request(request.user, pk)
    f = get_object_or_404(RequestFile, pk=file_id, request=release)
    form = VoteForm(request.POST)
    if not form.is_valid():
        return file_page(request, pk, file_id, form=form, status=400)
    try:
        bl.vote(request.user, f, form.cleaned_data["vote"], form.cleaned_data["comment"],
                form.cleaned_data["visibility"])
    except OutputRefused as exc:
        return _refused(request, exc)
    messages.success(request, _("Your vote on %(path)s is recorded.") % {"path": f.relpath})
    return redirect("outputs:request", pk=pk)


@login_required
@xframe_options_sameorigin
def raw(request, pk: int, file_id: int):
    """An image, PDF or HTML snapshot for the checker's viewer; HTML runs in a sandbox without scripts."""
    release = _get_request(request.user, pk)
    f = get_object_or_404(RequestFile, pk=file_id, request=release)
    kind = FileKind(f.kind)
    if kind not in RAW_TYPES:
        raise Http404("Shown on the file's page.")
    try:
        path = bl.view_file(request.user, f)
    except OutputRefused as exc:
        return _refused(request, exc)
    content_type = RAW_TYPES[kind] or _image_type(path)
    response = FileResponse(open(path, "rb"), content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    if kind == FileKind.HTML:
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response


def _image_type(path) -> str:
    head = path.read_bytes()[:8]
    if head.startswith(b"\x89PNG"):
        return "image/png"
    return "image/jpeg" if head.startswith(b"\xff\xd8") else "image/gif"


@login_required
def download(request, pk: int):
    release = _get_request(request.user, pk)
    try:
        path = bl.download_release(request.user, release)
    except OutputRefused as exc:
        return _refused(request, exc)
    response = FileResponse(open(path, "rb"), content_type="application/zip", as_attachment=True,
                            filename=f"{release.project.slug}-release-{release.pk}.zip")
    response["Cache-Control"] = "no-store"
    return response
