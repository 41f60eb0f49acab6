"""The hub's home page lists the user's projects from the registry."""

from __future__ import annotations

from mdp.hub import registry_access
from mdp.registry import clock, policies
from mdp.registry.models import Project


def _rows(username: str) -> list[dict]:
    today = clock.today()
    rows = []
    for project in Project.objects.filter(memberships__user__username=username).order_by("-start_date"):
        reason = policies.desk_refusal(username, project.slug, today) or ""
        rows.append({"id": project.slug, "acronym": project.acronym, "title": project.title,
                     "start": project.start_date.isoformat(), "end": project.end_date.isoformat(),
                     "open": not reason, "reason": reason})
    return rows


def projects_for(user) -> list[dict]:
    """Template variable `mdp_projects` (JupyterHub calls it with the page's user)."""
    if user is None:
        return []
    rows = registry_access.call_blocking(_rows, user.name)
    for row in rows:
        spawner = user.spawners.get(row["id"])
        row["active"] = bool(spawner and spawner.active)
        row["ready"] = bool(spawner and spawner.ready)
    return rows
