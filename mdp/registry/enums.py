"""Names the registry gives to roles."""

from django.db import models


class Role(models.TextChoices):
    """Roles beyond project membership; each is a Django group of the same name.

    Platform admins are `is_superuser` users, not a group: the hub and the
    Django admin both already understand that flag.
    """

    REVIEWER = "reviewer", "application reviewer"
    OUTPUT_CHECKER = "output-checker", "output checker"
