"""Template context every portal page gets: the roles the signed-in user holds (for the navigation bar)."""

from mdp.registry.enums import Role
from mdp.registry.permissions import has_role


def roles(request):
    user = getattr(request, "user", None)
    return {"is_reviewer": has_role(user, Role.REVIEWER), "is_output_checker": has_role(user, Role.OUTPUT_CHECKER)}
