"""The project registry: projects, their members and their desk limits.

People are Django's own `User` (username = the hub login; `is_active=False`
disables an account everywhere; `is_superuser` makes a platform admin).
"""

import re

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

PROJECT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,31}$"
PROJECT_ID_RE = re.compile(PROJECT_ID_PATTERN)


class Project(models.Model):
    slug = models.CharField(
        "project id", max_length=32, unique=True,
        validators=[RegexValidator(PROJECT_ID_PATTERN, "lower-case letters, digits and '-' only")],
        help_text="The desk's server name and the name of the project's data folder.",
    )
    acronym = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=300)
    start_date = models.DateField(help_text="First day on which desks may open.")
    end_date = models.DateField(help_text="Last day on which desks may open (inclusive).")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Set when an admin ends the project early.")
    software = models.CharField(max_length=200, default="python,r", help_text="Comma-separated, e.g. python,r,stata")
    mem_limit_mb = models.PositiveIntegerField("memory limit (MiB)", default=4096, validators=[MinValueValidator(256)])
    cpu_limit = models.DecimalField("CPU limit (cores)", max_digits=4, decimal_places=2, default=1, validators=[MinValueValidator(0.1)])
    pids_limit = models.PositiveIntegerField("process limit", default=512, validators=[MinValueValidator(64)])
    terminals = models.BooleanField(
        default=False, help_text="Allow a terminal in this project's desks (policies/desk.yaml may allow it for all).")
    access_spec = models.JSONField(
        "access specification", default=dict, blank=True,
        help_text="What the extraction delivers: granted variables with their level, period, population, format.")
    requires_agreement = models.BooleanField(
        default=False, help_text="Desks open only for members who signed the confidentiality agreement.")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    class Meta:
        ordering = ["start_date", "acronym"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="end_not_before_start"),
        ]

    def __str__(self):
        return f"{self.acronym} ({self.slug})"


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="one_membership_per_user")]

    def __str__(self):
        return f"{self.user.username} in {self.project.slug}"


class Agreement(models.Model):
    """A member's signed confidentiality agreement for a project (the seeds' "accord de confidentialité")."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="agreements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agreements")
    version = models.CharField(max_length=64, help_text="SHA-256 of the agreement text that was signed")
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="one_agreement_per_member")]


class CompensatingMeasure(models.Model):
    """What a project accepted in exchange for a lifted default protection (set at approval)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="measures")
    register = models.CharField(max_length=64)
    variable = models.CharField(max_length=64)
    description = models.TextField()
    output_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="minimum cell count for outputs that use this variable")
