"""Every change to an application goes through here: check the policy, change, audit, in one transaction.

The state machine lives in two tables: `TRANSITIONS` (which status may follow
which) and `OWNERS` (who acts in each status). Views never set a status
themselves. Saving a section keeps what the applicant typed even when it is
invalid (nothing typed is lost) and returns the problems to show next to the
fields; only submission requires a problem-free application.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mdp import dictionary, settings, texts
from mdp.applications import form_policy, policies
from mdp.applications.enums import Criterion, Decision, Status
from mdp.applications.models import Application, Document, Transition, VariableDecision
from mdp.audit import trail
from mdp.audit.enums import Action
from mdp.errors import PlatformError
from mdp.extraction import spec as extraction_spec
from mdp.registry import business_logic as registry
from mdp.registry.models import CompensatingMeasure

TRANSITIONS = {
    Status.DRAFT: {Status.SUBMITTED},
    Status.SUBMITTED: {Status.IN_REVIEW},
    Status.IN_REVIEW: {Status.CHANGES_REQUESTED, Status.APPROVED, Status.REJECTED},
    Status.CHANGES_REQUESTED: {Status.RESUBMITTED},
    Status.RESUBMITTED: {Status.IN_REVIEW},
    Status.APPROVED: set(),
    Status.REJECTED: set(),
}
OWNERS = {
    "applicant": {Status.DRAFT, Status.CHANGES_REQUESTED},
    "reviewer": {Status.SUBMITTED, Status.IN_REVIEW, Status.RESUBMITTED},
    "nobody": {Status.APPROVED, Status.REJECTED},
}
MEMBER_FIELDS = ("name", "institution", "role", "email", "username", "luxembourg", "expertise")
SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._ -]+")


class ApplicationError(PlatformError, ValueError):
    """A change was refused because of its content; str(exc) says why."""


def _transition(actor, application: Application, to: Status, comment: str = "") -> None:
    if to not in TRANSITIONS[Status(application.status)]:
        raise ApplicationError(_("An application that is {status} cannot become {to}.").format(
            status=application.get_status_display(), to=Status(to).label))
    before = application.status
    application.status = to
    application.save()
    Transition.objects.create(application=application, from_status=before, to_status=to, actor=actor, comment=comment)
    trail.record(actor.username, Action.APPLICATION_STATUS, application.project.slug if application.project else "",
                 application=application.pk, acronym=application.acronym, before=before, after=str(to),
                 round=application.round)


# --- the applicant ---------------------------------------------------------------------------------------------------

def create_application(user) -> Application:
    """A new draft, with the applicant already listed as the first member."""
    with transaction.atomic():
        application = Application.objects.create(owner=user, members=[{
            "name": user.get_full_name() or user.username, "institution": "", "role": "", "email": user.email,
            "username": user.username, "luxembourg": False, "expertise": ""}])
        trail.record(user.username, Action.APPLICATION_CREATED, application=application.pk)
    return application


def save_answers(user, application: Application, section_key: str, data: dict) -> dict:
    """Store a plain section's answers as given; return {field: problem}."""
    policies.check_can_edit(user, application)
    section = form_policy.get().section(section_key)
    if section is None or section.kind != "fields":
        raise ApplicationError(_("There is no section {key!r} of questions in this form.").format(key=section_key))
    answers = dict(application.answers)
    for f in section.fields:
        value = data.get(f.key)
        if f.type == "boolean":
            value = value in (True, "on", "true", "1", "yes")
        elif f.type == "multichoice":
            value = [v for v in (value or []) if isinstance(v, str)]
        else:
            value = (value or "").strip() if isinstance(value, str) else ""
        answers[f.key] = value
    with transaction.atomic():
        application.answers = answers
        application.save()
    return section.check(answers)


def member_problems(members: list) -> dict:
    """{row index: {field: problem}}; the eligibility rules of the seeds."""
    User = get_user_model()
    problems: dict = {}
    if not members:
        return {0: {"name": _("List at least one member.")}}
    usernames = [m.get("username") for m in members]
    for i, m in enumerate(members):
        row = {}
        for key in ("name", "institution", "role", "expertise"):
            if not m.get(key):
                row[key] = _("This field is required.")
        if not form_policy.EMAIL_RE.match(m.get("email") or ""):
            row["email"] = _("Enter an e-mail address such as name@institution.lu.")
        if not m.get("username"):
            row["username"] = _("Each member needs an account on the platform: enter its user name.")
        elif not User.objects.filter(username=m["username"], is_active=True).exists():
            row["username"] = _("There is no active account {name!r}: ask this member to create one.").format(
                name=m["username"])
        elif usernames.count(m["username"]) > 1:
            row["username"] = _("This account is listed twice.")
        if not m.get("luxembourg"):
            row["luxembourg"] = _("Members must belong to an institution based in Luxembourg.")
        for key in ("name", "institution", "role", "expertise"):
            if len(m.get(key) or "") > 300:
                row[key] = _("At most 300 characters.")
        if row:
            problems[i] = row
    return problems


def save_members(user, application: Application, rows: list[dict]) -> dict:
    """Replace the members table (blank rows dropped); return its problems."""
    policies.check_can_edit(user, application)
    members = []
    for raw in rows:
        member = {k: (raw.get(k) or "").strip() if k != "luxembourg" else raw.get(k) in (True, "on", "true", "1")
                  for k in MEMBER_FIELDS}
        if any(v for k, v in member.items() if k != "luxembourg"):
            members.append(member)
    with transaction.atomic():
        application.members = members
        application.save()
    return member_problems(members)


def _level_rank(variable: dictionary.Variable, level: str) -> int:
    """Levels are listed from the coarsest to the finest in the dictionary."""
    return [lv.name for lv in variable.levels].index(level)


def default_level(variable: dictionary.Variable) -> str:
    return next((lv.name for lv in variable.levels if lv.default), "")


def variable_problems(register: dictionary.Register, requested: dict) -> dict:
    """{variable: problem} for one register's requested variables (need to know: one justification each)."""
    minimum = form_policy.get().justification
    problems = {}
    for name, req in requested.items():
        var = register.variable(name)
        if var is None:
            problems[name] = _("This variable is no longer in the data dictionary: untick it.")
            continue
        level = req.get("level") or ""
        justification = (req.get("justification") or "").strip()
        if var.levels and level not in [lv.name for lv in var.levels]:
            problems[name] = _("Choose one of the levels offered.")
            continue
        if var.protection == "restricted":
            need, why = minimum["restricted"], _("a variable not provided by default")
        elif var.levels and _level_rank(var, level) > _level_rank(var, default_level(var)):
            need, why = minimum["finer_level"], _("a level finer than the default")
        else:
            need, why = minimum["default_level"], _("each variable")
        if len(justification) < need:
            problems[name] = (_("Justify {what} in at least {n} characters (need to know).") if justification
                              else _("A justification is required for {what}.")).format(what=why, n=need)
        elif len(justification) > 2000:
            problems[name] = _("At most 2000 characters.")
    return problems


def save_variables(user, application: Application, register_name: str, rows: dict) -> dict:
    """Replace one register's requested variables with the ticked rows; return their problems."""
    policies.check_can_edit(user, application)
    register = next((r for r in dictionary.registers() if r.name == register_name), None)
    if register is None:
        raise ApplicationError(_("There is no register {name!r} in the data dictionary.").format(name=register_name))
    requested = {}
    for name, row in rows.items():
        var = register.variable(name)
        if var is None or not row.get("ticked"):
            continue
        requested[name] = {"level": row.get("level") or default_level(var) if var.levels else "",
                           "justification": (row.get("justification") or "").strip()}
    with transaction.atomic():
        variables = dict(application.variables)
        if requested:
            variables[register_name] = requested
        else:
            variables.pop(register_name, None)
        application.variables = variables
        application.save()
    return variable_problems(register, requested)


def _document_store(application: Application) -> Path:
    return settings.get().state_dir / "applications" / str(application.pk)


def document_path(document: Document) -> Path:
    return _document_store(document.application) / f"{document.sha256}.pdf"


def clean_file_name(name: str) -> str:
    """The last path component, with anything but letters, digits, '.', '_', ' ' and '-' replaced."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    return SAFE_NAME_RE.sub("_", base)[-120:] or "document.pdf"


def add_document(user, application: Application, upload) -> Document:
    """Keep an uploaded PDF, after checking its size, count and content (not just its name)."""
    policies.check_can_edit(user, application)
    form = form_policy.get()
    name = clean_file_name(upload.name)
    if application.documents.count() >= form.max_documents:
        raise ApplicationError(_("At most {n} documents per application.").format(n=form.max_documents))
    if upload.size > form.max_document_mb * 1024 * 1024:
        raise ApplicationError(_("{name} is {size:.1f} MB: documents may be at most {limit} MB.").format(
            name=name, size=upload.size / 1024 / 1024, limit=form.max_document_mb))
    if not name.lower().endswith(".pdf"):
        raise ApplicationError(f"{name} is not a PDF: only .pdf documents are accepted.")
    digest = hashlib.sha256()
    store = _document_store(application)
    store.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=store, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            first = b""
            for chunk in upload.chunks():
                if not first:
                    first = chunk[:5]
                    if first != b"%PDF-":
                        raise ApplicationError(_("{name} is named like a PDF but its content is not a PDF.").format(
                            name=name))
                digest.update(chunk)
                out.write(chunk)
        sha = digest.hexdigest()
        os.replace(tmp, store / f"{sha}.pdf")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    with transaction.atomic():
        document = Document.objects.create(application=application, name=name, sha256=sha, size=upload.size,
                                           uploaded_by=user)
        trail.record(user.username, Action.APPLICATION_DOCUMENT_ADDED, application=application.pk, name=name,
                     sha256=sha, size=upload.size)
    return document


def remove_document(user, application: Application, document: Document) -> None:
    policies.check_can_edit(user, application)
    with transaction.atomic():
        document.delete()
        trail.record(user.username, Action.APPLICATION_DOCUMENT_REMOVED, application=application.pk,
                     name=document.name, sha256=document.sha256)
    if not application.documents.filter(sha256=document.sha256).exists():
        document_path(document).unlink(missing_ok=True)


def problems(application: Application) -> dict:
    """{section key: problems} over the whole form; empty when the application may be submitted."""
    form = form_policy.get()
    found = {}
    for section in form.sections:
        if section.kind == "fields":
            section_problems = section.check(application.answers)
        elif section.kind == "members":
            section_problems = member_problems(application.members)
        elif section.kind == "variables":
            section_problems = {}
            by_name = {r.name: r for r in dictionary.registers()}
            for register_name, requested in application.variables.items():
                if register_name not in by_name:
                    section_problems[register_name] = {"*": _("This register is no longer in the data dictionary.")}
                    continue
                bad = variable_problems(by_name[register_name], requested)
                if bad:
                    section_problems[register_name] = bad
            if not any(application.variables.values()):
                section_problems["*"] = _("Tick at least one variable.")
        else:
            section_problems = {}
        if section_problems:
            found[section.key] = section_problems
    return found


def submit(user, application: Application) -> None:
    policies.check_can_edit(user, application)
    found = problems(application)
    if found:
        sections = ", ".join(texts.in_language(form_policy.get().section(k).title) for k in found)
        raise ApplicationError(_("The application is not complete: see {sections}.").format(sections=sections))
    with transaction.atomic():
        resubmission = application.status == Status.CHANGES_REQUESTED
        if resubmission:
            application.round += 1
            application.validated_by, application.validated_at = None, None
            _drop_stale_decisions(application)
        application.submitted_at = timezone.now()
        _transition(user, application, Status.RESUBMITTED if resubmission else Status.SUBMITTED)


def _drop_stale_decisions(application: Application) -> None:
    """On resubmission, a decision on a variable no longer requested, or now requested at another level, is void."""
    for d in application.decisions.all():
        req = application.variables.get(d.register, {}).get(d.variable)
        if req is None or (d.decision == Decision.GRANT and d.level != (req.get("level") or "")):
            d.delete()


# --- the reviewers ---------------------------------------------------------------------------------------------------

def take_for_review(reviewer, application: Application) -> None:
    """The reviewer becomes the lead reviewer of this round."""
    policies.check_can_review(reviewer, application)
    with transaction.atomic():
        application.lead_reviewer = reviewer
        _transition(reviewer, application, Status.IN_REVIEW)


def _requested(application: Application, register: str, variable: str) -> dict:
    req = application.variables.get(register, {}).get(variable)
    if req is None:
        raise ApplicationError(f"{register}.{variable} was not requested in this application.")
    return req


def decide(reviewer, application: Application, register: str, variable: str, decision: str, *, level: str = "",
           comment: str = "", measure: str = "", output_threshold: int | None = None) -> VariableDecision:
    """Grant, refuse or grant at a coarser level one requested variable. Any change voids the peer validation."""
    policies.check_can_decide(reviewer, application)
    req = _requested(application, register, variable)
    var = next(r for r in dictionary.registers() if r.name == register).variable(variable)
    if decision not in Decision.values:
        raise ApplicationError(_("{decision!r} is not a decision: grant, coarser or refuse.").format(decision=decision))
    if decision == Decision.GRANT:
        level = req.get("level") or ""
    elif decision == Decision.COARSER:
        if not var.levels:
            raise ApplicationError(_("{variable} has no levels: grant it or refuse it.").format(variable=variable))
        if level not in [lv.name for lv in var.levels] or _level_rank(var, level) >= _level_rank(var, req["level"]):
            coarser = [lv.name for lv in var.levels[:_level_rank(var, req["level"])]]
            raise ApplicationError(_("Choose a level of {variable} coarser than the one requested ({levels}).").format(
                variable=variable, levels=", ".join(coarser) or _("there is none: grant it or refuse it")))
    else:
        level = ""
    if decision != Decision.GRANT and not comment.strip():
        raise ApplicationError(_("Say why {variable} is refused or coarsened: the applicant reads this comment.").format(
            variable=variable))
    if output_threshold is not None and not 1 <= output_threshold <= 1000:
        raise ApplicationError(_("The output-check threshold must be between 1 and 1000."))
    with transaction.atomic():
        d, _ = VariableDecision.objects.update_or_create(
            application=application, register=register, variable=variable,
            defaults={"decision": decision, "level": level, "comment": comment.strip(), "measure": measure.strip(),
                      "output_threshold": output_threshold, "reviewer": reviewer})
        _void_validation(application)
        trail.record(reviewer.username, Action.APPLICATION_VARIABLE_DECIDED, application=application.pk,
                     register=register, variable=variable, decision=decision, level=level,
                     measure=measure.strip(), output_threshold=output_threshold)
    return d


POPULATION_LINE = re.compile(r"^(?P<register>[\w-]+)\.(?P<variable>[\w-]+)(?:\s+at\s+(?P<level>\w+))?"
                             r"\s+in\s+(?P<values>.+)$")


def parse_population(text: str) -> list[dict]:
    """The reviewer's population conditions, one a line: `register.variable [at level] in value, value …`.

    Lines must all hold (for the person, that month). Empty lines and lines starting
    with # are ignored. Each condition is checked against the dictionary; an error
    names its line.
    """
    where = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = POPULATION_LINE.match(line)
        if not match:
            raise ApplicationError(_("Line {number}: write register.variable in value, value (for example "
                                     "individuals.i_residence_country in FR, BE, DE).").format(number=number))
        values = [v.strip() for v in match["values"].split(",") if v.strip()]
        cond = {"register": match["register"], "variable": match["variable"], "in": values}
        if match["level"]:
            cond["level"] = match["level"]
        try:
            extraction_spec.population_conditions([cond])
        except extraction_spec.SpecError as exc:
            message = str(exc).removeprefix("population condition 1").lstrip(": ").lstrip()
            raise ApplicationError(_("Line {number}: {problem}.").format(number=number, problem=message)) from None
        where.append(cond)
    return where


def population_text(where: list[dict]) -> str:
    """Conditions as the reviewer writes them (the inverse of parse_population)."""
    return "\n".join(f"{c['register']}.{c['variable']}" + (f" at {c['level']}" if c.get("level") else "")
                     + " in " + ", ".join(c["in"]) for c in where)


def set_population(reviewer, application: Application, text: str) -> None:
    """The lead reviewer turns the applicant's description of the population into conditions the extraction applies.

    Like any decision, a change voids the peer validation.
    """
    policies.check_can_decide(reviewer, application)
    where = parse_population(text)
    if where == application.population_where:
        return
    with transaction.atomic():
        application.population_where = where
        _void_validation(application)
        application.save()
        trail.record(reviewer.username, Action.APPLICATION_POPULATION_SET, application=application.pk, where=where)


def assess(reviewer, application: Application, criteria: dict, proportionality: str) -> None:
    """The lead reviewer's notes on each criterion and the proportionality analysis."""
    policies.check_can_decide(reviewer, application)
    notes = {c.value: (criteria.get(c.value) or "").strip()[:2000] for c in Criterion}
    with transaction.atomic():
        application.criteria = notes
        application.proportionality = proportionality.strip()[:10000]
        _void_validation(application)
        application.save()


def _void_validation(application: Application) -> None:
    if application.validated_by_id:
        application.validated_by, application.validated_at = None, None
        application.save()


def review_gaps(application: Application) -> list[str]:
    """What is missing before the proportionality analysis can be validated and the application approved."""
    gaps = []
    decided = set(application.decisions.values_list("register", "variable"))
    undecided = [f"{r}.{v}" for r, vs in application.variables.items() for v in vs if (r, v) not in decided]
    if undecided:
        gaps.append(_("decide on {variables}").format(variables=", ".join(undecided)))
    missing = [c.label for c in Criterion if not (application.criteria.get(c.value) or "").strip()]
    if missing:
        gaps.append(_("note the criteria: {criteria}").format(criteria=", ".join(str(m) for m in missing)))
    if not application.proportionality.strip():
        gaps.append(_("write the proportionality analysis"))
    return gaps


def validate(reviewer, application: Application) -> None:
    """Peer validation of the proportionality analysis by a second reviewer."""
    policies.check_can_validate(reviewer, application)
    gaps = review_gaps(application)
    if gaps:
        raise ApplicationError(_("Nothing to validate yet: the lead reviewer must {todo}.").format(todo="; ".join(gaps)))
    with transaction.atomic():
        application.validated_by, application.validated_at = reviewer, timezone.now()
        application.save()
        trail.record(reviewer.username, Action.APPLICATION_VALIDATED, application=application.pk,
                     lead=application.lead_reviewer.username)


def request_changes(reviewer, application: Application, comment: str) -> None:
    policies.check_can_decide(reviewer, application)
    if not comment.strip():
        raise ApplicationError(_("Tell the applicant which changes are needed."))
    with transaction.atomic():
        _transition(reviewer, application, Status.CHANGES_REQUESTED, comment.strip())


def reject(reviewer, application: Application, comment: str) -> None:
    policies.check_can_decide(reviewer, application)
    if not comment.strip():
        raise ApplicationError(_("Give the applicant the reason for the rejection."))
    with transaction.atomic():
        _transition(reviewer, application, Status.REJECTED, comment.strip())


def access_spec(application: Application) -> dict:
    """The machine-readable access specification that the extraction consumes."""
    registers = {}
    for d in application.decisions.exclude(decision=Decision.REFUSE).order_by("register", "variable"):
        registers.setdefault(d.register, {"delivery": "monthly", "variables": {}})
        registers[d.register]["variables"][d.variable] = {"level": d.level} if d.level else {}
    return {
        "version": 1,
        "period": {"first": application.answers["period_first"], "last": application.answers["period_last"]},
        "population": {"description": application.answers.get("population", ""),
                       "where": application.population_where},
        "format": "dta",
        "registers": registers,
    }


def approve(reviewer, application: Application, comment: str = ""):
    """Create the project with its members, dates, access specification and compensating measures."""
    policies.check_can_decide(reviewer, application)
    gaps = review_gaps(application)
    if gaps:
        raise ApplicationError(_("Before approval, {todo}.").format(todo="; ".join(gaps)))
    if application.validated_by_id is None:
        raise ApplicationError(_("A second reviewer must validate the proportionality analysis before approval."))
    if not application.decisions.exclude(decision=Decision.REFUSE).exists():
        raise ApplicationError(_("Every variable is refused: reject the application instead."))
    member_issues = member_problems(application.members)
    if member_issues:
        raise ApplicationError(_("The members section has problems (for example an account that no longer exists); "
                               "request changes from the applicant."))
    from datetime import date

    a = application.answers
    User = get_user_model()
    try:
        with transaction.atomic():
            project = registry.create_project(
                reviewer.username, acronym=a["acronym"], title=a["title"], start=date.fromisoformat(a["start"]),
                end=date.fromisoformat(a["end"]), software=",".join(a.get("software") or ["python"]))
            project.access_spec = spec = access_spec(application)
            extraction_spec.validate(spec)  # the extraction must be able to read what the approval grants
            project.requires_agreement = True
            project.save(update_fields=["access_spec", "requires_agreement"])
            for m in application.members:
                registry.add_member(reviewer.username, project, User.objects.get(username=m["username"]))
            for d in application.decisions.exclude(measure="", output_threshold=None):
                CompensatingMeasure.objects.create(project=project, register=d.register, variable=d.variable,
                                                   description=d.measure, output_threshold=d.output_threshold)
            application.project = project
            _transition(reviewer, application, Status.APPROVED, comment.strip())
    except (registry.RegistryError, extraction_spec.SpecError) as exc:
        raise ApplicationError(_("The project could not be created: {reason}.").format(reason=exc)) from None
    return project


def lifecycle(application: Application) -> list[tuple[str, str]]:
    """The seeds' steps with 'done', 'current' or 'todo' each, for the applicant's page."""
    from mdp.registry import clock
    from mdp.registry.policies import is_project_open

    status = Status(application.status)
    project = application.project
    extracted = bool(project and any((registry.project_dir(project) / "IN").glob("*")))
    members = project.memberships.count() if project else 0
    signed = bool(project and members and project.agreements.count() >= members)
    steps = [
        ("submitted", status != Status.DRAFT),
        ("review", status in (Status.APPROVED, Status.REJECTED)),
        ("desk_preparation", project is not None),
        ("extraction", extracted),
        ("contract", signed),
        ("desk_open", bool(project and signed and extracted and is_project_open(project, clock.today()))),
    ]
    result, current_given = [], False
    for key, done in steps:
        state = "done" if done else ("todo" if current_given else "current")
        current_given = current_given or not done
        result.append((key, state))
    if status == Status.REJECTED:
        result = [(k, s if k in ("submitted", "review") else "todo") for k, s in result]
    return result
