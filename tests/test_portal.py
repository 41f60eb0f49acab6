"""The portal: registry admin goes through business_logic (validated, audited); roles are enforced."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from mdp.audit.models import AuditEvent
from mdp.registry.models import Project

pytestmark = pytest.mark.django_db
ADMIN = "/services/portal/admin/registry/project/"


@pytest.fixture(autouse=True)
def data_root(tmp_path, monkeypatch):
    from mdp import settings

    monkeypatch.setenv("MDP_DATA_ROOT", str(tmp_path / "data"))
    settings.get.cache_clear()
    yield tmp_path / "data"
    settings.get.cache_clear()


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create(username="root", is_staff=True, is_superuser=True))
    return client


def _form(**overrides):
    data = {"acronym": "MIGAPE", "title": "Gender pension gap", "start_date": "2026-01-01", "end_date": "2026-12-31",
            "software": "python,r", "mem_limit_mb": "4096", "cpu_limit": "1", "pids_limit": "512",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000"}
    data.update(overrides)
    return data


def test_admin_creates_project_with_members_and_folders(admin_client, data_root):
    alice = User.objects.create(username="alice")
    resp = admin_client.post(ADMIN + "add/", _form(**{
        "memberships-TOTAL_FORMS": "1", "memberships-0-user": str(alice.pk)}))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    project = Project.objects.get(slug="migape")
    assert list(project.members.values_list("username", flat=True)) == ["alice"]
    assert all((data_root / "migape" / d).is_dir() for d in ("IN", "WORK", "OUT"))
    actions = list(AuditEvent.objects.values_list("actor", "action"))
    assert ("root", "project_created") in actions and ("root", "member_added") in actions


def test_admin_refuses_end_before_start(admin_client):
    resp = admin_client.post(ADMIN + "add/", _form(end_date="2025-01-01"))
    assert resp.status_code == 200 and "is before the start date" in resp.content.decode()
    assert not Project.objects.exists() and not AuditEvent.objects.exists()


def test_admin_changes_end_date_and_ends_now(admin_client):
    admin_client.post(ADMIN + "add/", _form())
    project = Project.objects.get(slug="migape")
    resp = admin_client.post(f"{ADMIN}{project.pk}/change/", _form(end_date="2026-06-30"))
    assert resp.status_code == 302
    project.refresh_from_db()
    assert str(project.end_date) == "2026-06-30"
    changed = AuditEvent.objects.get(action="project_changed")
    assert changed.detail["changes"]["end_date"] == ["2026-12-31", "2026-06-30"]
    admin_client.post(ADMIN, {"action": "end_now", "_selected_action": [project.pk]})
    project.refresh_from_db()
    assert project.ended_at is not None
    assert AuditEvent.objects.filter(action="project_ended", project="migape", actor="root").exists()


def test_audit_page_is_for_admins_only(admin_client):
    researcher = User.objects.create(username="alice")
    from django.test import Client

    anonymous = Client()
    assert anonymous.get("/services/portal/audit/").status_code == 302
    c = Client()
    c.force_login(researcher)
    assert c.get("/services/portal/audit/").status_code == 403
    assert c.get("/services/portal/admin/").status_code in (302, 403)
    resp = admin_client.get("/services/portal/audit/")
    assert resp.status_code == 200 and "intact" in resp.content.decode()


def test_researcher_home_lists_only_own_projects(client):
    from mdp.registry import business_logic as bl
    from datetime import date

    alice = User.objects.create(username="alice")
    mine = bl.create_project("t", acronym="MINE", title="Mine", start=date(2020, 1, 1), end=date(2099, 1, 1))
    bl.create_project("t", acronym="THEIRS", title="Theirs", start=date(2020, 1, 1), end=date(2099, 1, 1))
    bl.add_member("t", mine, alice)
    client.force_login(alice)
    page = client.get("/services/portal/").content.decode()
    assert "MINE" in page and "THEIRS" not in page


def test_forged_oauth_callback_is_refused(client):
    resp = client.get("/services/portal/oauth_callback?code=x&state=forged")
    assert resp.status_code == 403
