"""Who may open which desk, and when, and whether a new account may be created: checks that explain themselves.

`check_can_open_desk` raises `DeskRefused` with a sentence for the user;
`can_open_desk` is the same rule as a bool. The hub (spawn), the cut-off
service, the home page and the tests all use these, so the rule lives once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from mdp import settings
from mdp.registry.models import PROJECT_ID_RE, Project

SELF_REGISTRATION = "self-registration"  # the actor of accounts people create themselves


class DeskRefused(Exception):
    """A desk may not open; str(exc) is the reason, fit to show the user."""


def check_can_open_desk(username: str, project_id: str, today: date) -> Project:
    if not project_id:
        raise DeskRefused("There is no personal desk: start the desk of one of your projects from the home page.")
    if not PROJECT_ID_RE.match(project_id):
        raise DeskRefused(f"'{project_id}' is not a project id: desks are named after their project.")
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise DeskRefused(f"The account '{username}' is disabled or unknown.")
    project = Project.objects.filter(slug=project_id).first()
    if project is None or not project.memberships.filter(user=user).exists():
        # Same message for both: a non-member learns nothing about other projects.
        raise DeskRefused(f"You are not a member of a project '{project_id}'.")
    check_project_open(project, today)
    if project.requires_agreement and not project.agreements.filter(user=user).exists():
        raise DeskRefused(f"Sign the confidentiality agreement of {project.acronym} in the portal before its desk opens.")
    return project


def check_project_open(project: Project, today: date) -> None:
    if project.ended_at is not None:
        raise DeskRefused(f"Project {project.acronym} was ended on {project.ended_at:%Y-%m-%d}: its desks are closed.")
    if today < project.start_date:
        raise DeskRefused(f"Project {project.acronym} starts on {project.start_date:%Y-%m-%d}: its desk is not open yet.")
    if today > project.end_date:
        raise DeskRefused(f"Project {project.acronym} ended on {project.end_date:%Y-%m-%d}: its desks are closed.")


def desk_refusal(username: str, project_id: str, today: date) -> str | None:
    """None if the desk may open, else the sentence saying why not."""
    try:
        check_can_open_desk(username, project_id, today)
    except DeskRefused as refusal:
        return str(refusal)
    return None


def can_open_desk(username: str, project_id: str, today: date) -> bool:
    return desk_refusal(username, project_id, today) is None


def is_project_open(project: Project, today: date) -> bool:
    try:
        check_project_open(project, today)
    except DeskRefused:
        return False
    return True


class RegistrationRefused(Exception):
    """Self-registration is closed or busy; str(exc) is the reason, fit to show the user."""


def check_can_self_register(now: datetime) -> None:
    """At most MDP_SELF_REGISTRATIONS_PER_HOUR new accounts by self-registration in any hour (0: closed).

    Counted platform-wide from the audit trail, which every portal process shares and
    nobody can rewrite: a script creating accounts in bulk stops at the limit, whatever
    address it comes from. Admins' `mdp user add` is not limited.
    """
    from mdp.audit.enums import Action
    from mdp.audit.models import AuditEvent

    limit = settings.get().self_registrations_per_hour
    if limit == 0:
        raise RegistrationRefused(_("Accounts are not created here: ask the platform's administrators for one."))
    recent = AuditEvent.objects.filter(actor=SELF_REGISTRATION, action=Action.ACCOUNT_CREATED,
                                       at__gte=now - timedelta(hours=1)).count()
    if recent >= limit:
        raise RegistrationRefused(_("Too many accounts were created in the last hour: please try again later."))
