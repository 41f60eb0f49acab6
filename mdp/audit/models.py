"""The append-only audit trail: who did what, when, on which project.

Each event carries the hash of the one before it, so that changing or removing an
event breaks the chain (`mdp audit verify`). The database refuses UPDATE and
DELETE on the table (triggers in the migration); `AuditHead` records the last
event, so that cutting events off the end is detected too, and its row is the
lock that serialises writers.
"""

from django.db import models

from mdp.audit.enums import Action


class AuditEvent(models.Model):
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, help_text="user or service name that acted")
    # No `choices` here: a new Action then needs no migration; trail.record checks the name.
    action = models.CharField(max_length=40)
    project = models.CharField(max_length=32, blank=True, help_text="project id, if any")
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["project", "id"]), models.Index(fields=["actor", "id"])]

    def get_action_display(self) -> str:
        return Action(self.action).label if self.action in Action.values else self.action

    def __str__(self):
        return f"#{self.id} {self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.project}"


class AuditHead(models.Model):
    """A single row: the id and hash of the newest event."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
