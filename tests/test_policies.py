"""Who may open which desk, and when (registry rules, no containers)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from mdp.registry import business_logic as bl
from mdp.registry import clock, policies

pytestmark = pytest.mark.django_db
START, END = date(2026, 1, 1), date(2026, 6, 30)


@pytest.fixture
def project(tmp_path, settings_dirs):
    p = bl.create_project("test", acronym="MIGAPE", title="Gender pension gap", start=START, end=END)
    for name in ("alice", "carol"):
        User.objects.create(username=name)
    bl.add_member("test", p, User.objects.get(username="alice"))
    return p


@pytest.fixture
def settings_dirs(tmp_path, monkeypatch):
    from mdp import settings

    monkeypatch.setenv("MDP_DATA_ROOT", str(tmp_path / "data"))
    settings.get.cache_clear()
    yield
    settings.get.cache_clear()


@pytest.mark.parametrize("today, allowed", [
    (START - timedelta(days=1), False),
    (START, True),
    (END, True),  # the end date itself is still open
    (END + timedelta(days=1), False),
])
def test_open_from_start_to_end_date_inclusive(project, today, allowed):
    assert policies.can_open_desk("alice", "migape", today) is allowed


def test_refusals_say_why(project):
    with pytest.raises(policies.DeskRefused, match="starts on 2026-01-01"):
        policies.check_can_open_desk("alice", "migape", date(2025, 12, 31))
    with pytest.raises(policies.DeskRefused, match="ended on 2026-06-30"):
        policies.check_can_open_desk("alice", "migape", date(2026, 7, 1))
    with pytest.raises(policies.DeskRefused, match="not a member"):
        policies.check_can_open_desk("carol", "migape", date(2026, 3, 1))
    with pytest.raises(policies.DeskRefused, match="not a member"):
        policies.check_can_open_desk("alice", "nosuchproject", date(2026, 3, 1))
    with pytest.raises(policies.DeskRefused, match="no personal desk"):
        policies.check_can_open_desk("alice", "", date(2026, 3, 1))
    with pytest.raises(policies.DeskRefused, match="not a project id"):
        policies.check_can_open_desk("alice", "../migape", date(2026, 3, 1))


def test_ending_early_and_disabling_close_the_desk(project):
    assert policies.can_open_desk("alice", "migape", date(2026, 3, 1))
    bl.end_project_now("admin", project)
    with pytest.raises(policies.DeskRefused, match="was ended"):
        policies.check_can_open_desk("alice", "migape", date(2026, 3, 1))
    alice = User.objects.get(username="alice")
    bl.set_account_active("admin", alice, False)
    with pytest.raises(policies.DeskRefused, match="disabled"):
        policies.check_can_open_desk("alice", "migape", date(2026, 3, 1))


def test_today_is_counted_in_the_platform_time_zone(monkeypatch):
    """23:30 UTC on 30 June is already 1 July in Luxembourg."""
    from mdp import settings

    monkeypatch.setenv("MDP_TIME_ZONE", "Europe/Luxembourg")
    settings.get.cache_clear()
    instant = datetime(2026, 6, 30, 23, 30, tzinfo=ZoneInfo("UTC"))

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return instant.astimezone(tz)

    monkeypatch.setattr(clock, "datetime", FakeDatetime)
    assert clock.today() == date(2026, 7, 1)
    settings.get.cache_clear()


def test_registry_refuses_bad_input(project):
    with pytest.raises(bl.RegistryError, match="before the start date"):
        bl.create_project("t", acronym="X1", title="t", start=END, end=START)
    with pytest.raises(bl.RegistryError, match="exists already"):
        bl.create_project("t", acronym="migape", title="t", start=START, end=END)
    with pytest.raises(bl.RegistryError, match="already a member"):
        bl.add_member("t", project, User.objects.get(username="alice"))
    with pytest.raises(bl.RegistryError, match="before the start date"):
        bl.change_project("t", project, end_date=date(2025, 1, 1))
    project.refresh_from_db()
    assert project.end_date == END
