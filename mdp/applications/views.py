"""Portal pages for applicants and reviewers. Views parse forms and render; rules live in business_logic."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mdp import dictionary
from mdp.applications import business_logic as bl
from mdp.applications import form_policy, pdf, policies
from mdp.applications.enums import Criterion, Decision, Status
from mdp.applications.models import Application
from mdp.registry.enums import Role
from mdp.registry.permissions import has_role
from mdp.texts import in_language


def _application(request, pk: int, check=policies.check_can_view) -> Application:
    application = get_object_or_404(Application, pk=pk)
    try:
        check(request.user, application)
    except policies.ApplicationRefused as refused:
        raise PermissionDenied(str(refused)) from None
    return application


def _sections(application: Application) -> list[dict]:
    """The sidebar: each section with its problems count, then the submit page."""
    found = bl.problems(application)
    return [{"key": s.key, "title": s.title, "kind": s.kind, "problems": len(found.get(s.key, {}))}
            for s in form_policy.get().sections]


def _next_section(key: str) -> str | None:
    keys = [s.key for s in form_policy.get().sections]
    return keys[keys.index(key) + 1] if keys.index(key) + 1 < len(keys) else None


def _after_save(request, application, section_key: str, found: dict):
    """'Save and pause' goes to the application's page; 'Save and continue' to the next section if all is well."""
    if found:
        messages.warning(request, _("Saved. Some answers need attention: see the messages next to the fields."))
    else:
        messages.success(request, _("Saved."))
    if request.POST.get("action") == "pause":
        messages.info(request, _("Your request is paused: everything is saved but nothing is sent until you submit."))
        return redirect("portal:application", pk=application.pk)
    if found:
        return None
    nxt = _next_section(section_key)
    return redirect("portal:application_section", pk=application.pk, section=nxt) if nxt else \
        redirect("portal:application_submit", pk=application.pk)


@login_required
def my_applications(request):
    mine = [a for a in Application.objects.select_related("project") if policies.is_member(request.user, a)]
    return render(request, "applications/list.html", {"applications": mine,
                                                      "reviewer": has_role(request.user, Role.REVIEWER)})


@login_required
@require_POST
def new_application(request):
    application = bl.create_application(request.user)
    return redirect("portal:application_section", pk=application.pk, section=form_policy.get().sections[0].key)


@login_required
def application(request, pk: int):
    app = _application(request, pk)
    return render(request, "applications/detail.html", {
        "app": app, "sections": _sections(app), "lifecycle": bl.lifecycle(app),
        "can_edit": policies.can_edit(request.user, app), "transitions": app.transitions.select_related("actor"),
        "decisions": _public_decisions(app), "summary": _summary(app),
        "population_text": bl.population_text(app.population_where)})


def _public_decisions(app: Application):
    """Reviewers' decisions are shown to the applicant once a verdict or a request for changes is out."""
    if app.status in (Status.CHANGES_REQUESTED, Status.APPROVED, Status.REJECTED):
        return app.decisions.order_by("register", "variable")
    return []


def _summary(app: Application) -> list[dict]:
    """The whole application, section by section, for the detail, review and submit pages (auto-escaped)."""
    regs = {r.name: r for r in dictionary.registers()}
    out = []
    for s in form_policy.get().sections:
        item = {"section": s}
        if s.kind == "fields":
            item["rows"] = [(f, _display(f, app.answers.get(f.key))) for f in s.fields]
        elif s.kind == "variables":
            item["registers"] = [(regs.get(name), name, reqs) for name, reqs in app.variables.items()]
        elif s.kind == "documents":
            item["documents"] = app.documents.all()
        out.append(item)
    return out


def _display(f: form_policy.Field, value):
    if f.type == "boolean":
        return _("yes") if value else _("no")
    if f.type == "choice":
        return in_language(f.choices.get(value, {"en": value or ""}))
    if f.type == "multichoice":
        return ", ".join(in_language(f.choices.get(v, {"en": v})) for v in value or [])
    return value or ""


@login_required
def section(request, pk: int, section: str):
    app = _application(request, pk, policies.check_can_edit)
    sec = form_policy.get().section(section)
    if sec is None:
        raise Http404("no such section")
    if sec.kind == "variables":
        return redirect("portal:application_variables", pk=pk)
    found: dict = {}
    if request.method == "POST":
        if sec.kind == "fields":
            data = {f.key: request.POST.getlist(f.key) if f.type == "multichoice" else request.POST.get(f.key)
                    for f in sec.fields}
            found = bl.save_answers(request.user, app, section, data)
        elif sec.kind == "members":
            found = bl.save_members(request.user, app, _member_rows(request.POST))
        elif sec.kind == "documents":
            found = _documents_post(request, app)
        done = _after_save(request, app, section, found)
        if done:
            return done
    elif sec.kind == "fields":
        found = sec.check(app.answers) if app.answers.keys() & {f.key for f in sec.fields} else {}
    elif sec.kind == "members":
        found = bl.member_problems(app.members) if request.GET.get("check") else {}
    members = app.members + [{} for _ in range(2)]
    return render(request, "applications/section.html", {
        "app": app, "sec": sec, "sections": _sections(app), "found": found, "members": members,
        "answers": app.answers, "documents": app.documents.all(), "form": form_policy.get(), "can_edit": True})


def _member_rows(post) -> list[dict]:
    rows = []
    for i in range(int(post.get("member_count", 0) or 0)):
        rows.append({k: post.get(f"m-{i}-{k}", "") for k in bl.MEMBER_FIELDS})
    return rows


def _documents_post(request, app) -> dict:
    if request.POST.get("remove"):
        doc = get_object_or_404(app.documents, pk=request.POST["remove"])
        bl.remove_document(request.user, app, doc)
        return {}
    found = {}
    for upload in request.FILES.getlist("document"):
        try:
            bl.add_document(request.user, app, upload)
        except bl.ApplicationError as exc:
            found[bl.clean_file_name(upload.name)] = str(exc)
    return found


@login_required
def variables(request, pk: int, register: str | None = None):
    """One page per register: tick, level, justification."""
    app = _application(request, pk, policies.check_can_edit)
    regs = dictionary.registers()
    if register is None:
        return render(request, "applications/variables_index.html", {
            "app": app, "sections": _sections(app), "registers": regs, "sec": form_policy.get().section("variables"),
            "found": bl.problems(app).get("variables", {}), "can_edit": True})
    reg = next((r for r in regs if r.name == register), None)
    if reg is None:
        raise Http404("no such register")
    requested = app.variables.get(register, {})
    found = bl.variable_problems(reg, requested) if requested else {}
    if request.method == "POST":
        rows = {v.name: {"ticked": request.POST.get(f"tick-{v.name}") == "on",
                         "level": request.POST.get(f"level-{v.name}", ""),
                         "justification": request.POST.get(f"just-{v.name}", "")} for v in reg.variables}
        found = bl.save_variables(request.user, app, register, rows)
        messages.warning(request, _("Saved. Some variables need attention.")) if found else \
            messages.success(request, _("Saved."))
        if request.POST.get("action") == "pause":
            return redirect("portal:application", pk=pk)
        if not found:
            names = [r.name for r in regs]
            nxt = names.index(register) + 1
            if nxt < len(names):
                return redirect("portal:application_register", pk=pk, register=names[nxt])
            after = _next_section("variables")
            return redirect("portal:application_section", pk=pk, section=after) if after else \
                redirect("portal:application_submit", pk=pk)
        requested = app.variables.get(register, {})
    return render(request, "applications/variables.html", {
        "app": app, "sections": _sections(app), "reg": reg, "requested": requested, "found": found,
        "sec": form_policy.get().section("variables"), "defaults": {v.name: bl.default_level(v) for v in reg.variables},
        "justification": form_policy.get().justification, "can_edit": True})


@login_required
def submit(request, pk: int):
    app = _application(request, pk)
    if request.method == "POST":
        try:
            bl.submit(request.user, app)
        except policies.ApplicationRefused as refused:
            raise PermissionDenied(str(refused)) from None
        except bl.ApplicationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your application was submitted. The reviewers will be in touch here."))
            return redirect("portal:application", pk=pk)
    return render(request, "applications/submit.html", {
        "app": app, "sections": _sections(app), "problems": bl.problems(app), "summary": _summary(app),
        "can_edit": policies.can_edit(request.user, app)})


@login_required
def download_pdf(request, pk: int):
    app = _application(request, pk)
    response = HttpResponse(pdf.render(app, _summary(app)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="application-{app.pk}.pdf"'
    return response


@login_required
def document(request, pk: int, doc: int):
    app = _application(request, pk)
    d = get_object_or_404(app.documents, pk=doc)
    return FileResponse(open(bl.document_path(d), "rb"), as_attachment=True, filename=d.name,
                        content_type="application/pdf")


# --- reviewers -------------------------------------------------------------------------------------------------------

@login_required
def review_queue(request):
    if not has_role(request.user, Role.REVIEWER):
        raise PermissionDenied(_("Only reviewers see the review queue."))
    apps = Application.objects.exclude(status=Status.DRAFT).select_related("owner", "lead_reviewer")
    rows = [(a, policies.is_member(request.user, a)) for a in apps]
    return render(request, "applications/queue.html", {"rows": rows})


REVIEW_ACTIONS = {
    "take": lambda u, a, p: bl.take_for_review(u, a),
    "validate": lambda u, a, p: bl.validate(u, a),
    "request_changes": lambda u, a, p: bl.request_changes(u, a, p.get("comment", "")),
    "reject": lambda u, a, p: bl.reject(u, a, p.get("comment", "")),
    "approve": lambda u, a, p: bl.approve(u, a, p.get("comment", "")),
    "population": lambda u, a, p: bl.set_population(u, a, p.get("population_where", "")),
    "assess": lambda u, a, p: bl.assess(u, a, {c.value: p.get(f"crit-{c.value}", "") for c in Criterion},
                                        p.get("proportionality", "")),
}


@login_required
def review(request, pk: int):
    app = get_object_or_404(Application, pk=pk)
    if not has_role(request.user, Role.REVIEWER):
        raise PermissionDenied(_("Only reviewers review applications."))
    if policies.is_member(request.user, app):
        raise PermissionDenied(_("You are a member of this application: another reviewer must review it."))
    if app.status == Status.DRAFT:
        raise Http404("not submitted")
    row_errors, failed = {}, False
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "decide":
                row_errors = _decide_rows(request, app)
            elif action in REVIEW_ACTIONS:
                REVIEW_ACTIONS[action](request.user, app, request.POST)
                messages.success(request, _("Done."))
            else:
                raise Http404("unknown action")
        except (bl.ApplicationError, policies.ApplicationRefused) as exc:
            messages.error(request, str(exc))
            failed = True
        if not failed and not row_errors:
            return redirect("portal:review", pk=pk)
    app.refresh_from_db()
    regs = {r.name: r for r in dictionary.registers()}
    decisions = {(d.register, d.variable): d for d in app.decisions.all()}
    rows = []
    for register, reqs in app.variables.items():
        for name, req in reqs.items():
            var = regs[register].variable(name) if register in regs else None
            coarser = [lv.name for lv in var.levels[:[lv.name for lv in var.levels].index(req["level"])]] \
                if var and var.levels and req.get("level") in [lv.name for lv in var.levels] else []
            rows.append({"register": register, "name": name, "var": var, "req": req, "coarser": coarser,
                         "decision": decisions.get((register, name)), "error": row_errors.get(f"{register}.{name}")})
    return render(request, "applications/review.html", {
        "app": app, "rows": rows, "summary": _summary(app), "criteria": Criterion, "decision_choices": Decision,
        "gaps": bl.review_gaps(app), "can_decide": policies.can_decide(request.user, app),
        "can_validate": policies.can_validate(request.user, app), "can_take": app.status in (
            Status.SUBMITTED, Status.RESUBMITTED) and policies.can_review(request.user, app),
        "transitions": app.transitions.select_related("actor"), "documents": app.documents.all(),
        # what the reviewer typed stays on the page when it was refused
        "population_text": request.POST.get("population_where", "")
        if failed and request.POST.get("action") == "population" else bl.population_text(app.population_where)})


def _decide_rows(request, app) -> dict:
    """Apply every row whose decision radio is set; return {register.variable: problem}."""
    errors = {}
    for register, reqs in app.variables.items():
        for name in reqs:
            key = f"{register}.{name}"
            choice = request.POST.get(f"d-{key}")
            if not choice:
                continue
            threshold = request.POST.get(f"t-{key}", "").strip()
            try:
                bl.decide(request.user, app, register, name, choice, level=request.POST.get(f"l-{key}", ""),
                          comment=request.POST.get(f"c-{key}", ""), measure=request.POST.get(f"m-{key}", ""),
                          output_threshold=int(threshold) if threshold.isdigit() else None)
            except bl.ApplicationError as exc:
                errors[key] = str(exc)
            except policies.ApplicationRefused as refused:
                raise PermissionDenied(str(refused)) from None
    if errors:
        messages.error(request, _("Some decisions were not saved: see the messages in the table."))
    else:
        messages.success(request, _("Decisions saved."))
    return errors


def public_projects(request):
    """The public table of projects, as the seeds publish it (no sign-in).

    Every project of the registry is listed; the requesting body, subcontractor
    and domain come from its application when it was created by one.
    """
    from mdp.registry.models import Project

    domain = form_policy.get().field("domain")
    rows = []
    for project in Project.objects.select_related("application").order_by("-start_date", "acronym"):
        answers = getattr(project, "application", None) and project.application.answers or {}
        rows.append({"year": project.start_date.year, "body": answers.get("requesting_body", ""),
                     "acronym": project.acronym, "subject": project.title,
                     "subcontractor": answers.get("subcontractor", ""), "domain": answers.get("domain", ""),
                     "domain_label": domain.choices.get(answers.get("domain"), {}) if domain else {}})
    return render(request, "applications/public_projects.html", {"rows": rows})
