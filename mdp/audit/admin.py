"""The audit trail in the admin: read-only, for searching."""

from django.contrib import admin

from mdp.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "actor", "action", "project"]
    list_filter = ["action"]
    search_fields = ["actor", "project"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
