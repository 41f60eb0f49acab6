"""Every change to the registry goes through here: check, change, audit, in one transaction.

The CLI and the Django admin both call these functions, so a change made either
way is validated the same and leaves the same audit event. Errors are
`RegistryError` with a sentence fit for a one-line CLI message.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from mdp import settings
from mdp.audit import trail
from mdp.audit.enums import Action
from mdp.errors import PlatformError
from mdp.registry.enums import Role
from mdp.registry.models import PROJECT_ID_RE, Agreement, Membership, Project

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
DESK_UID = 1000  # the researcher's uid inside every desk (images/desk/Dockerfile)
DATA_FOLDERS = ("IN", "WORK", "OUT")


class RegistryError(PlatformError, ValueError):
    """A registry change was refused; str(exc) says why."""


def slug_for(acronym: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", acronym.lower()).strip("-")[:32].strip("-")
    if not PROJECT_ID_RE.match(slug):
        raise RegistryError(f"the acronym {acronym!r} gives no usable project id: use letters and digits")
    return slug


def get_project(project_id: str) -> Project:
    project = Project.objects.filter(slug=project_id).first() or Project.objects.filter(acronym=project_id).first()
    if project is None:
        raise RegistryError(f"unknown project {project_id!r} (see `mdp project list`)")
    return project


def get_user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise RegistryError(f"unknown user {username!r} (see `mdp user list`)")
    return user


def project_dir(project: Project | str) -> Path:
    slug = project if isinstance(project, str) else project.slug
    return settings.get().data_root / slug


def _check_dates(start: date, end: date) -> None:
    if end < start:
        raise RegistryError(f"the end date {end} is before the start date {start}")


def _make_data_folders(slug: str) -> None:
    """IN is root's and read-only for desks; WORK and OUT belong to the desk uid."""
    root = project_dir(slug)
    for name in DATA_FOLDERS:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and name != "IN":
            os.chown(folder, DESK_UID, DESK_UID)
        folder.chmod(0o755 if name == "IN" else 0o770)
    root.chmod(0o755)


def create_project(actor: str, *, acronym: str, title: str, start: date, end: date, software: str = "python,r",
                   mem_limit_mb: int = 4096, cpu_limit: float = 1.0, pids_limit: int = 512,
                   terminals: bool = False) -> Project:
    _check_dates(start, end)
    acronym = acronym.strip()
    if not acronym or not title.strip():
        raise RegistryError("a project needs an acronym and a title")
    slug = slug_for(acronym)
    if Project.objects.filter(acronym__iexact=acronym).exists() or Project.objects.filter(slug=slug).exists():
        raise RegistryError(f"a project with acronym {acronym!r} (id {slug!r}) exists already")
    if mem_limit_mb < 256 or cpu_limit < 0.1 or pids_limit < 64:
        raise RegistryError("limits too small: memory ≥ 256 MiB, CPU ≥ 0.1 core, processes ≥ 64")
    with transaction.atomic():
        project = Project.objects.create(
            slug=slug, acronym=acronym, title=title.strip(), start_date=start, end_date=end, software=software,
            mem_limit_mb=mem_limit_mb, cpu_limit=cpu_limit, pids_limit=pids_limit, terminals=terminals,
        )
        trail.record(actor, Action.PROJECT_CREATED, slug, acronym=acronym, title=project.title,
                     start=start, end=end, software=software, mem_limit_mb=mem_limit_mb,
                     cpu_limit=cpu_limit, pids_limit=pids_limit, terminals=terminals)
        try:
            _make_data_folders(slug)
        except OSError as exc:
            raise RegistryError(f"cannot create the data folders under {project_dir(slug)}: {exc.strerror}") from None
    return project


def change_project(actor: str, project: Project, **changes) -> Project:
    """Change dates or limits; `changes` are Project field names."""
    allowed = {"title", "start_date", "end_date", "software", "mem_limit_mb", "cpu_limit", "pids_limit", "terminals"}
    unknown = set(changes) - allowed
    if unknown:
        raise RegistryError(f"cannot change {', '.join(sorted(unknown))}")
    _check_dates(changes.get("start_date", project.start_date), changes.get("end_date", project.end_date))
    before = {k: getattr(project, k) for k in changes}
    with transaction.atomic():
        for key, value in changes.items():
            setattr(project, key, value)
        project.save()
        trail.record(actor, Action.PROJECT_CHANGED, project.slug,
                     changes={k: [before[k], v] for k, v in changes.items()})
    return project


def end_project_now(actor: str, project: Project) -> Project:
    if project.ended_at is not None:
        raise RegistryError(f"project {project.acronym} was already ended on {project.ended_at:%Y-%m-%d %H:%M}")
    with transaction.atomic():
        project.ended_at = timezone.now()
        project.save(update_fields=["ended_at"])
        trail.record(actor, Action.PROJECT_ENDED, project.slug)
    return project


def add_member(actor: str, project: Project, user) -> Membership:
    if Membership.objects.filter(project=project, user=user).exists():
        raise RegistryError(f"{user.username} is already a member of {project.acronym}")
    with transaction.atomic():
        membership = Membership.objects.create(project=project, user=user)
        trail.record(actor, Action.MEMBER_ADDED, project.slug, user=user.username)
    return membership


def remove_member(actor: str, project: Project, user) -> None:
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(project=project, user=user).delete()
        if not deleted:
            raise RegistryError(f"{user.username} is not a member of {project.acronym}")
        trail.record(actor, Action.MEMBER_REMOVED, project.slug, user=user.username)


def create_account(actor: str, *, username: str, full_name: str = "", email: str = "", admin: bool = False,
                   password: str | None = None) -> tuple[object, str, str]:
    """Create the registry person and the hub login (password + TOTP) together.

    Returns (user, password, totp_secret). Both stores are written or neither.
    """
    from mdp.hub import credentials  # the hub's database; imported late to keep Django apps light

    if not USERNAME_RE.match(username or ""):
        raise RegistryError(f"{username!r} is not a valid username: 2-32 of a-z 0-9 . _ -, starting with a letter")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise RegistryError(f"a user {username!r} exists already")
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise RegistryError(f"{email!r} is not an e-mail address")
    password = password or secrets.token_urlsafe(12)
    if len(password) < 10:
        raise RegistryError("the password must be at least 10 characters long")
    first, _, last = full_name.strip().partition(" ")
    with transaction.atomic():
        try:
            user = User.objects.create_user(username, email=email, password=None, first_name=first, last_name=last,
                                            is_staff=admin, is_superuser=admin)
        except IntegrityError:
            raise RegistryError(f"a user {username!r} exists already") from None
        trail.record(actor, Action.ACCOUNT_CREATED, user=username, admin=admin)
        # Last: if the hub's database refuses, the registry rolls back too.
        totp_secret = credentials.create_login(username, password, email)
    return user, password, totp_secret


def set_account_active(actor: str, user, active: bool) -> None:
    if user.is_active == active:
        raise RegistryError(f"the account {user.username} is already {'enabled' if active else 'disabled'}")
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        trail.record(actor, Action.ACCOUNT_ENABLED if active else Action.ACCOUNT_DISABLED, user=user.username)


def set_role(actor: str, user, role: Role, granted: bool = True) -> None:
    """Give or take a role (reviewer, output checker); the group is created on first use."""
    group, _ = Group.objects.get_or_create(name=role.value)
    if user.groups.filter(pk=group.pk).exists() == granted:
        raise RegistryError(f"{user.username} {'already has' if granted else 'does not have'} the role {role.value}")
    with transaction.atomic():
        (user.groups.add if granted else user.groups.remove)(group)
        trail.record(actor, Action.ROLE_GRANTED if granted else Action.ROLE_REVOKED, user=user.username,
                     role=role.value)


def agreement_text() -> tuple[str, str]:
    """The confidentiality agreement (policies/agreement.md) and its version: the SHA-256 of that text."""
    path = settings.get().policies_dir / "agreement.md"
    try:
        text = path.read_text()
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the confidentiality agreement ({exc.strerror})") from None
    return text, hashlib.sha256(text.encode()).hexdigest()


def sign_agreement(user, project: Project, signed_name: str) -> Agreement:
    """A member signs the project's confidentiality agreement by typing their name."""
    if not Membership.objects.filter(project=project, user=user).exists():
        raise RegistryError(f"you are not a member of {project.acronym}")
    if Agreement.objects.filter(project=project, user=user).exists():
        raise RegistryError(f"you have already signed the agreement of {project.acronym}")
    signed_name = " ".join(signed_name.split())
    if len(signed_name) < 3:
        raise RegistryError("type your full name to sign")
    _, version = agreement_text()
    with transaction.atomic():
        agreement = Agreement.objects.create(project=project, user=user, version=version, signed_name=signed_name[:200])
        trail.record(user.username, Action.AGREEMENT_SIGNED, project.slug, version=version, signed_name=signed_name)
    return agreement
