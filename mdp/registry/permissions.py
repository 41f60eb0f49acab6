"""Who holds which role. One place, so the portal, the CLI and the hub agree."""

from mdp.registry.enums import Role


def has_role(user, role: Role) -> bool:
    """Active users in the role's group. Admins do not get roles implicitly: separation of duties."""
    return bool(user and user.is_authenticated and user.is_active and user.groups.filter(name=role.value).exists())
