"""Who may do what with a release request: checks that explain themselves.

Each `check_can_x` raises `OutputRefused` with a sentence fit to show the
person refused; `can_x` is the same rule as a bool. The views, the business
logic and the tests all use these. Which *state* a request must be in for an
action is not here but in `business_logic.TRANSITIONS` and `OWNERS`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from mdp.errors import PlatformError
from mdp.outputs.models import ReleaseRequest, RequestFile
from mdp.registry import clock
from mdp.registry.enums import Role
from mdp.registry.models import Project
from mdp.registry.permissions import has_role
from mdp.registry.policies import DeskRefused, check_project_open


class OutputRefused(PlatformError, PermissionError):
    """An output-checking action was refused; str(exc) says why."""


def _as_bool(check, *args) -> bool:
    try:
        check(*args)
    except OutputRefused:
        return False
    return True


def is_member(user, project: Project) -> bool:
    return project.memberships.filter(user=user).exists()


def is_checker(user) -> bool:
    return has_role(user, Role.OUTPUT_CHECKER)


def check_can_create_request(user, project: Project) -> None:
    """Only members of a project that is open today ask for its outputs."""
    if not user.is_active or not is_member(user, project):
        raise OutputRefused(_("You are not a member of project %(project)s.") % {"project": project.acronym})
    try:
        check_project_open(project, clock.today())
    except DeskRefused as exc:
        raise OutputRefused(_("%(reason)s Outputs are requested while the project is open.")
                            % {"reason": exc}) from None


def check_can_edit_request(user, request: ReleaseRequest) -> None:
    """Only the author changes a request, and only while the project is open."""
    if request.author_id != user.pk:
        raise OutputRefused(_("Only %(author)s, who wrote request #%(request)s, may change it.")
                            % {"author": request.author.username, "request": request.pk})
    check_can_create_request(user, request.project)


def check_can_view_request(user, request: ReleaseRequest) -> None:
    """Project members follow their project's requests; checkers see them all (never the content, see below)."""
    if not (is_member(user, request.project) or is_checker(user)):
        raise OutputRefused(_("Request #%(request)s belongs to a project you are not a member of.")
                            % {"request": request.pk})


def check_can_review(user, request: ReleaseRequest) -> None:
    """Output checkers review, but never outputs of a project they are a member of (the author is one)."""
    if not is_checker(user):
        raise OutputRefused(_("Only output checkers review release requests."))
    if request.author_id == user.pk:
        raise OutputRefused(_("You wrote this request: an author never checks their own outputs."))
    if is_member(user, request.project):
        raise OutputRefused(_("You are a member of project %(project)s: "
                              "a researcher never checks their own project's outputs.")
                            % {"project": request.project.acronym})


def check_can_view_content(user, request: ReleaseRequest) -> None:
    """Unreleased content is shown to reviewing checkers only: the portal is outside the desk."""
    check_can_review(user, request)


def check_can_vote(user, file: RequestFile) -> None:
    """A checker votes once per file per round, on files still in the request."""
    request = file.request
    check_can_review(user, request)
    if file.withdrawn:
        raise OutputRefused(_("%(path)s was withdrawn from the request.") % {"path": file.relpath})
    if file.votes.filter(checker=user, round=request.round).exists():
        raise OutputRefused(_("You have already voted on %(path)s in review round %(round)s: "
                              "a checker votes once per file per round.")
                            % {"path": file.relpath, "round": request.round})


def check_can_download_release(user, request: ReleaseRequest) -> None:
    """Members of the project download what was released."""
    if not is_member(user, request.project):
        raise OutputRefused(_("Only members of project %(project)s download its releases.")
                            % {"project": request.project.acronym})


def can_create_request(user, project: Project) -> bool:
    return _as_bool(check_can_create_request, user, project)


def can_edit_request(user, request: ReleaseRequest) -> bool:
    return _as_bool(check_can_edit_request, user, request)


def can_review(user, request: ReleaseRequest) -> bool:
    return _as_bool(check_can_review, user, request)


def can_vote(user, file: RequestFile) -> bool:
    return _as_bool(check_can_vote, user, file)


def can_download_release(user, request: ReleaseRequest) -> bool:
    return _as_bool(check_can_download_release, user, request)


def can_view_request(user, request: ReleaseRequest) -> bool:
    return _as_bool(check_can_view_request, user, request)
