"""Portal pages: the researcher's projects and, for admins, the audit trail."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from mdp.audit import trail
from mdp.audit.models import AuditEvent
from mdp.registry import clock, policies
from mdp.registry.models import Project


@login_required
def home(request):
    today = clock.today()
    projects = Project.objects.filter(memberships__user=request.user).order_by("-start_date")
    rows = [(p, policies.is_project_open(p, today)) for p in projects]
    signed = set(request.user.agreements.values_list("project_id", flat=True))
    return render(request, "portal/home.html", {"rows": rows, "today": today, "signed": signed})


@login_required
def audit_log(request):
    if not request.user.is_superuser:
        raise PermissionDenied("Only platform admins read the audit trail.")
    events = AuditEvent.objects.order_by("-id")
    for field in ("actor", "project", "action"):
        if request.GET.get(field):
            events = events.filter(**{field: request.GET[field]})
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    return render(request, "portal/audit.html", {"page": page, "problems": trail.verify(), "filters": request.GET})
