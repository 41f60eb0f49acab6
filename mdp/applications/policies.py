"""Who may do what with an application: checks that explain themselves.

`check_can_x` raises `ApplicationRefused` carrying a sentence for the user;
`can_x` is the same rule as a bool for templates. Views, business logic and
tests all go through these.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from mdp.applications.enums import Status
from mdp.applications.models import Application
from mdp.errors import PlatformError
from mdp.registry.enums import Role
from mdp.registry.permissions import has_role

EDITABLE = (Status.DRAFT, Status.CHANGES_REQUESTED)
REVIEWABLE = (Status.SUBMITTED, Status.IN_REVIEW, Status.RESUBMITTED)


class ApplicationRefused(PlatformError, PermissionError):
    """An action on an application is not allowed; str(exc) says why."""


def is_member(user, application: Application) -> bool:
    """The applicant, or a person listed in the members section (by platform account or e-mail)."""
    if not user or not user.is_authenticated:
        return False
    if application.owner_id == user.pk:
        return True
    email = (user.email or "").lower()
    return any(m.get("username") == user.username or (email and (m.get("email") or "").lower() == email)
               for m in application.members)


def check_can_view(user, application: Application) -> None:
    if is_member(user, application):
        return
    if has_role(user, Role.REVIEWER) and application.status != Status.DRAFT:
        return
    raise ApplicationRefused(_("This application is not yours: only its members and the reviewers may open it."))


def check_can_edit(user, application: Application) -> None:
    if application.owner_id != user.pk:
        check_can_view(user, application)
        raise ApplicationRefused(_("Only the applicant who created this application can change it."))
    if application.status not in EDITABLE:
        raise ApplicationRefused(_("This application is {status}: it can be changed only as a draft or when the "
                                   "reviewers ask for changes.").format(status=application.get_status_display()))


def check_can_review(user, application: Application) -> None:
    if not has_role(user, Role.REVIEWER):
        raise ApplicationRefused(_("Only reviewers review applications."))
    if is_member(user, application):
        raise ApplicationRefused(_("You are a member of this application: another reviewer must review it."))
    if application.status not in REVIEWABLE:
        raise ApplicationRefused(_("This application is {status}: there is nothing to review.").format(
            status=application.get_status_display()))


def check_can_decide(user, application: Application) -> None:
    """Per-variable decisions, criteria and the final verdict belong to the lead reviewer."""
    check_can_review(user, application)
    if application.status != Status.IN_REVIEW:
        raise ApplicationRefused(_("Take the application into review first."))
    if application.lead_reviewer_id != user.pk:
        raise ApplicationRefused(_("Only the lead reviewer of this application decides; you may validate the "
                                 "proportionality analysis as the second reviewer."))


def check_can_validate(user, application: Application) -> None:
    """Peer validation of the proportionality analysis: a second reviewer, never the lead."""
    check_can_review(user, application)
    if application.status != Status.IN_REVIEW:
        raise ApplicationRefused(_("Only an application under review can be validated."))
    if application.lead_reviewer_id == user.pk:
        raise ApplicationRefused(_("The proportionality analysis must be validated by a second reviewer, not by you."))


def _bool(check, *args) -> bool:
    try:
        check(*args)
    except ApplicationRefused:
        return False
    return True


def can_view(user, application) -> bool:
    return _bool(check_can_view, user, application)


def can_edit(user, application) -> bool:
    return _bool(check_can_edit, user, application)


def can_review(user, application) -> bool:
    return _bool(check_can_review, user, application)


def can_decide(user, application) -> bool:
    return _bool(check_can_decide, user, application)


def can_validate(user, application) -> bool:
    return _bool(check_can_validate, user, application)
