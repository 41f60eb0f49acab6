"""The names output checking gives to states, votes and who acts.

Audit event names live with the others in `mdp.audit.enums.Action`.
"""

from django.db import models


class RequestStatus(models.TextChoices):
    """Where a release request is; `business_logic.TRANSITIONS` says how it moves."""

    PENDING = "pending", "pending (being prepared)"
    SUBMITTED = "submitted", "submitted"
    PARTIALLY_REVIEWED = "partially_reviewed", "partially reviewed (one review in)"
    REVIEWED = "reviewed", "reviewed (both reviews in)"
    RETURNED = "returned", "returned to the researcher"
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"
    WITHDRAWN = "withdrawn", "withdrawn"
    RELEASED = "released", "released"


class Owner(models.TextChoices):
    """Who may act on a request in a given state."""

    AUTHOR = "author", "the researcher who wrote the request"
    CHECKER = "checker", "the output checkers"
    SYSTEM = "system", "no one (a final state, or one the platform moves on by itself)"


class Vote(models.TextChoices):
    APPROVE = "approve", "approve"
    CHANGES = "changes", "request changes"


class Visibility(models.TextChoices):
    PRIVATE = "private", "private: output checkers only"
    PUBLIC = "public", "public: the researcher sees it too"


class Decision(models.TextChoices):
    """What the two votes on one file add up to, in one round."""

    INCOMPLETE = "incomplete", "waiting for two reviews"
    APPROVED = "approved", "approved by two checkers"
    CHANGES = "changes", "changes requested by two checkers"
    CONFLICTED = "conflicted", "checkers disagree"


class FileKind(models.TextChoices):
    """What a submitted file is, judged from its content (intake.sniff)."""

    CSV = "csv", "table (CSV)"
    XLSX = "xlsx", "table (XLSX)"
    IMAGE = "image", "image"
    PDF = "pdf", "PDF"
    TEXT = "text", "text or log"
    HTML = "html", "HTML (rendered notebook)"
    ACRO = "acro", "ACRO results.json"

    @property
    def is_table(self) -> bool:
        return self in (FileKind.CSV, FileKind.XLSX)
