"""The names output checking gives to states, votes and who acts.

Audit event names live with the others in `mdp.audit.enums.Action`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestStatus(models.TextChoices):
    """Where a release request is; `business_logic.TRANSITIONS` says how it moves."""

    PENDING = "pending", _("pending (being prepared)")
    SUBMITTED = "submitted", _("submitted")
    PARTIALLY_REVIEWED = "partially_reviewed", _("partially reviewed (one review in)")
    REVIEWED = "reviewed", _("reviewed (both reviews in)")
    RETURNED = "returned", _("returned to the researcher")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")
    RELEASED = "released", _("released")


class Owner(models.TextChoices):
    """Who may act on a request in a given state."""

    AUTHOR = "author", _("the researcher who wrote the request")
    CHECKER = "checker", _("the output checkers")
    SYSTEM = "system", _("no one (a final state, or one the platform moves on by itself)")


class Vote(models.TextChoices):
    APPROVE = "approve", _("approve")
    CHANGES = "changes", _("request changes")


class Visibility(models.TextChoices):
    PRIVATE = "private", _("private: output checkers only")
    PUBLIC = "public", _("public: the researcher sees it too")


class Decision(models.TextChoices):
    """What the two votes on one file add up to, in one round."""

    INCOMPLETE = "incomplete", _("waiting for two reviews")
    APPROVED = "approved", _("approved by two checkers")
    CHANGES = "changes", _("changes requested by two checkers")
    CONFLICTED = "conflicted", _("checkers disagree")


class FileKind(models.TextChoices):
    """What a submitted file is, judged from its content (intake.sniff)."""

    CSV = "csv", _("table (CSV)")
    XLSX = "xlsx", _("table (XLSX)")
    IMAGE = "image", _("image")
    PDF = "pdf", _("PDF")
    TEXT = "text", _("text or log")
    HTML = "html", _("HTML (rendered notebook)")
    ACRO = "acro", _("ACRO results.json")

    @property
    def is_table(self) -> bool:
        return self in (FileKind.CSV, FileKind.XLSX)
