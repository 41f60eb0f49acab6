"""Release requests, their files (snapshots named by content hash) and the checkers' votes.

Status changes go through `business_logic`, never through these models directly.
"""

from django.conf import settings
from django.db import models

from mdp.outputs.enums import Decision, FileKind, RequestStatus, Visibility, Vote
from mdp.registry.models import Project


class ReleaseRequest(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="release_requests")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="release_requests")
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    round = models.PositiveIntegerField(default=0, help_text="Review round: 1 at the first submission, +1 at each resubmission.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    release_sha256 = models.CharField(max_length=64, blank=True, help_text="Hash of the release zip, once released.")

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"request #{self.pk} ({self.project.slug}, {self.author.username}, {self.status})"

    def active_files(self):
        return self.files.filter(withdrawn=False).order_by("relpath")


class RequestFile(models.Model):
    request = models.ForeignKey(ReleaseRequest, on_delete=models.PROTECT, related_name="files")
    relpath = models.CharField(max_length=255, help_text="Path relative to the project's OUT folder.")
    sha256 = models.CharField(max_length=64, help_text="Names the snapshot in the checking store.")
    size = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=8, choices=FileKind.choices)
    context = models.TextField(help_text="What the output is and how it was made.")
    controls = models.TextField(help_text="Disclosure controls applied (suppression, rounding, thresholds...).")
    findings = models.JSONField(default=list, blank=True, help_text="Automated check results (checks.Finding).")
    withdrawn = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True, help_text="When the file was last added, replaced or withdrawn.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "relpath"], name="one_file_per_path")]

    def __str__(self):
        return f"{self.relpath} ({self.sha256[:12]})"

    @property
    def verdict(self) -> str:
        """'fail', 'review' or 'pass': the worst automated finding."""
        severities = {f.get("severity") for f in self.findings}
        return next((s for s in ("fail", "review") if s in severities), "pass")

    def votes_in_round(self, round_: int):
        return self.votes.filter(round=round_)

    def decision(self, round_: int) -> Decision:
        votes = [v.vote for v in self.votes_in_round(round_)]
        if len(votes) < 2:
            return Decision.INCOMPLETE
        if all(v == Vote.APPROVE for v in votes):
            return Decision.APPROVED
        if all(v == Vote.CHANGES for v in votes):
            return Decision.CHANGES
        return Decision.CONFLICTED


class Review(models.Model):
    """One checker's vote on one file in one round, with a comment."""

    file = models.ForeignKey(RequestFile, on_delete=models.PROTECT, related_name="votes")
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="output_votes")
    round = models.PositiveIntegerField()
    vote = models.CharField(max_length=10, choices=Vote.choices)
    comment = models.TextField(blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE)
    sha256 = models.CharField(max_length=64, help_text="The snapshot the checker saw.")
    carried_from = models.PositiveIntegerField(null=True, blank=True, help_text=(
        "The earlier round this approval comes from: the file was unchanged and both checkers had approved it."))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["file", "checker", "round"], name="one_vote_per_round")]
