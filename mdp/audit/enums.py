"""What the audit trail records: one name per kind of event."""

from django.db import models


class Action(models.TextChoices):
    LOGIN = "login", "logged in"
    LOGIN_FAILED = "login_failed", "failed login"
    DESK_STARTED = "desk_started", "desk started"
    DESK_STOPPED = "desk_stopped", "desk stopped"
    DESK_REFUSED = "desk_refused", "desk refused"
    DESK_CUT_OFF = "desk_cut_off", "desk cut off"
    PROJECT_CREATED = "project_created", "project created"
    PROJECT_CHANGED = "project_changed", "project changed"
    PROJECT_ENDED = "project_ended", "project ended"
    MEMBER_ADDED = "member_added", "member added"
    MEMBER_REMOVED = "member_removed", "member removed"
    ACCOUNT_CREATED = "account_created", "account created"
    ACCOUNT_DISABLED = "account_disabled", "account disabled"
    ACCOUNT_ENABLED = "account_enabled", "account enabled"
    ROLE_GRANTED = "role_granted", "role granted"
    ROLE_REVOKED = "role_revoked", "role revoked"
    APPLICATION_CREATED = "application_created", "application created"
    APPLICATION_STATUS = "application_status", "application status changed"
    APPLICATION_DOCUMENT_ADDED = "application_doc_added", "application document added"
    APPLICATION_DOCUMENT_REMOVED = "application_doc_removed", "application document removed"
    APPLICATION_VARIABLE_DECIDED = "application_var_decided", "variable decided"
    APPLICATION_VALIDATED = "application_validated", "proportionality validated"
    AGREEMENT_SIGNED = "agreement_signed", "confidentiality agreement signed"
