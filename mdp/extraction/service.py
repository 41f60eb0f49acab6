"""Extraction for a registered project: read its granted specification, deliver, audit.

Called by `mdp extract` (and by the portal's admin pages). A specification passed
by the admin may narrow the grant (fewer variables, coarser levels, fewer months,
a smaller population) but never widen it.
"""

from __future__ import annotations

from mdp.audit import trail
from mdp.audit.enums import Action
from mdp.extraction import run
from mdp.extraction.spec import SpecError, check_within, spec_json, validate
from mdp.registry import business_logic as bl


def granted_spec(project):
    if not project.access_spec:
        raise SpecError(f"project {project.acronym} has no access specification: nothing is granted "
                        f"(set one with `mdp project set-spec {project.slug} FILE`)")
    try:
        return validate(project.access_spec)
    except SpecError as exc:
        raise SpecError(f"project {project.acronym}: its stored specification is no longer valid: {exc}") from None


def extract_project(actor: str, project_id: str, requested: dict | None = None, **options) -> run.Result:
    """Deliver the project's grant (or `requested`, checked to be within it) into its IN folder."""
    project = bl.get_project(project_id)
    spec = granted_spec(project)
    if requested is not None:
        asked = validate(requested)
        check_within(asked, spec)
        spec = asked
    result = run.extract(project.slug, spec, bl.project_dir(project) / "IN", title=project.acronym, **options)
    trail.record(actor, Action.EXTRACTION_DELIVERED, project.slug, files=len(result.parts), rows=result.rows,
                 spec=spec_json(spec), seconds=round(result.seconds, 1))
    return result
