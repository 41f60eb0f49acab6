"""Names used by applications and their review."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    IN_REVIEW = "in_review", _("under review")
    CHANGES_REQUESTED = "changes_requested", _("changes requested")
    RESUBMITTED = "resubmitted", _("resubmitted")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class Decision(models.TextChoices):
    """A reviewer's answer for one requested variable."""

    GRANT = "grant", _("granted as requested")
    COARSER = "coarser", _("granted at a coarser level")
    REFUSE = "refuse", _("refused")


class Criterion(models.TextChoices):
    """What the experts check for every application (the seeds' review step)."""

    PERTINENCE = "pertinence", _("pertinence of the request")
    LEGITIMACY = "legitimacy", _("legitimacy of the applicant")
    STATISTICAL_PURPOSE = "statistical_purpose", _("statistical or scientific purpose only (GDPR art. 89)")
    PROPORTIONALITY = "proportionality", _("proportionality of the variables and minimised re-identification risk")
