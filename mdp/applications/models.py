"""An application, its documents, the reviewers' per-variable decisions and its history.

The answers of plain sections live in one JSON field shaped by
policies/application.yaml, so an institution can change its questions without
a migration. Members and requested variables have fixed shapes (the approval
reads them) and are JSON too, validated by `business_logic`.
"""

from django.conf import settings
from django.db import models

from mdp.applications.enums import Decision, Status


class Application(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(default=dict, blank=True, help_text="{field key: value} of the plain sections")
    members = models.JSONField(default=list, blank=True,
                               help_text="[{name, institution, role, email, username, luxembourg, expertise}]")
    variables = models.JSONField(default=dict, blank=True,
                                 help_text="{register: {variable: {level, justification}}}")
    round = models.PositiveIntegerField(default=1, help_text="1 at the first submission, +1 at each resubmission")
    lead_reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="led_reviews")
    criteria = models.JSONField(default=dict, blank=True, help_text="{criterion: note} checked by the lead reviewer")
    proportionality = models.TextField(blank=True, help_text="The lead reviewer's proportionality analysis")
    population_where = models.JSONField(default=list, blank=True, help_text=(
        "[{register, variable, level?, in}]: the lead reviewer's conditions that select the population "
        "(the access specification's population.where); empty: every person in the granted registers"))
    validated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="validated_reviews")
    validated_at = models.DateTimeField(null=True, blank=True)
    project = models.OneToOneField("registry.Project", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="application")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return f"#{self.pk} {self.answers.get('acronym') or '(no acronym yet)'} [{self.status}]"

    @property
    def acronym(self) -> str:
        return self.answers.get("acronym") or f"application {self.pk}"


class Document(models.Model):
    """A PDF attached to an application; stored under the state dir, named by its SHA-256."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(max_length=120, help_text="cleaned file name shown to people")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class VariableDecision(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    register = models.CharField(max_length=64)
    variable = models.CharField(max_length=64)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    level = models.CharField(max_length=64, blank=True, help_text="the granted level, for aggregated variables")
    comment = models.TextField(blank=True, help_text="shown to the applicant")
    measure = models.TextField("compensating measure", blank=True,
                               help_text="what compensates lifting a default protection")
    output_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="a stricter output-check threshold for outputs using this variable")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "register", "variable"],
                                               name="one_decision_per_variable")]


class Transition(models.Model):
    """Every change of status: who, when, and the comment given (public ones are shown to the applicant)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
