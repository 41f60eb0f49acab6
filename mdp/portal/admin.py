"""Accounts in the admin: disabling goes through business_logic (audited)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User

from mdp.registry import business_logic as bl

admin.site.unregister(Group)
admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Accounts are created with `mdp user add` (the hub login needs a TOTP secret)."""

    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_superuser"]
    actions = ["disable", "enable"]
    readonly_fields = ["username", "is_active", "is_superuser", "is_staff", "last_login", "date_joined"]
    fieldsets = ((None, {"fields": ["username", "first_name", "last_name", "email", "is_active", "is_superuser",
                                    "is_staff", "last_login", "date_joined"]}),)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Disable the selected accounts now")
    def disable(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description="Enable the selected accounts")
    def enable(self, request, queryset):
        self._set_active(request, queryset, True)

    def _set_active(self, request, queryset, active):
        for user in queryset:
            try:
                bl.set_account_active(request.user.username, user, active)
            except bl.RegistryError as exc:
                messages.error(request, str(exc))
