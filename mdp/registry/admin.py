"""The registry in Django's admin: every save goes through business_logic.

So an admin's change in the browser is validated and audited exactly like the
same change made with `mdp`. Deleting projects is not offered: a project ends.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from mdp.registry import business_logic as bl
from mdp.registry.models import Membership, Project


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["acronym", "title", "start_date", "end_date", "software", "mem_limit_mb", "cpu_limit", "pids_limit",
                  "terminals"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            raise ValidationError({"end_date": f"The end date {end} is before the start date {start}."})
        return data


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    fields = ["user", "added_at"]
    readonly_fields = ["added_at"]
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
    list_display = ["acronym", "slug", "title", "start_date", "end_date", "ended_at"]
    search_fields = ["acronym", "slug", "title"]
    readonly_fields = ["slug", "ended_at", "created_at"]
    inlines = [MembershipInline]
    actions = ["end_now", "extract"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (["acronym"] if obj else [])

    def save_model(self, request, obj, form, change):
        actor = request.user.username
        fields = {k: form.cleaned_data[k] for k in form.changed_data if k != "acronym"}
        if change:
            bl.change_project(actor, Project.objects.get(pk=obj.pk), **fields)
        else:
            d = form.cleaned_data
            created = bl.create_project(actor, acronym=d["acronym"], title=d["title"], start=d["start_date"],
                                        end=d["end_date"], software=d["software"], mem_limit_mb=d["mem_limit_mb"],
                                        cpu_limit=float(d["cpu_limit"]), pids_limit=d["pids_limit"],
                                        terminals=d["terminals"])
            obj.pk, obj.slug = created.pk, created.slug

    def save_formset(self, request, form, formset, change):
        """Membership changes, one audited call each (Django's change message reads the lists)."""
        actor, project = request.user.username, form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            member = inline_form.instance
            try:
                if inline_form in formset.deleted_forms:
                    if member.pk:
                        bl.remove_member(actor, project, member.user)
                        formset.deleted_objects.append(member)
                elif member.pk is None and inline_form.has_changed():
                    formset.new_objects.append(bl.add_member(actor, project, inline_form.cleaned_data["user"]))
            except bl.RegistryError as exc:
                messages.error(request, str(exc))

    @admin.action(description="End the selected projects now (their desks close within a minute)")
    def end_now(self, request, queryset):
        for project in queryset:
            try:
                bl.end_project_now(request.user.username, project)
                messages.success(request, f"{project.acronym} ended.")
            except bl.RegistryError as exc:
                messages.error(request, str(exc))

    @admin.action(description="Run the extraction: deliver the granted data into IN (replaces the earlier delivery)")
    def extract(self, request, queryset):
        """The same delivery as `mdp extract`, run in this request: fine for the sizes an admin starts by hand."""
        from mdp.errors import PlatformError
        from mdp.extraction import service

        for project in queryset:
            try:
                result = service.extract_project(request.user.username, project.slug)
            except PlatformError as exc:
                messages.error(request, f"{project.acronym}: {exc}")
            else:
                messages.success(request, f"{project.acronym}: {len(result.parts)} files, {result.rows:,} rows "
                                          f"delivered into IN in {result.seconds:.1f} s.")
