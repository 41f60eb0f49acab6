"""The audit trail is append-only and a change or removal is detected."""

import pytest
from django.db import DatabaseError, connection, transaction

from mdp.audit import trail
from mdp.audit.enums import Action
from mdp.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _three():
    for i in range(3):
        trail.record(f"user{i}", Action.LOGIN, ip="127.0.0.1")


def test_intact_chain_verifies():
    _three()
    assert trail.verify() == []
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]


def test_database_refuses_update_and_delete():
    _three()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(id=2).update(actor="mallory")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(id=2).delete()
    assert AuditEvent.objects.get(id=2).actor == "user1"


def _without_triggers(sql):
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER audit_no_update")
        cur.execute("DROP TRIGGER audit_no_delete")
        cur.execute(sql)


def test_changed_entry_is_detected():
    _three()
    _without_triggers("UPDATE audit_auditevent SET actor = 'mallory' WHERE id = 2")
    assert trail.verify() == ["event #2 was changed after it was written"]


def test_removed_entry_is_detected():
    _three()
    _without_triggers("DELETE FROM audit_auditevent WHERE id = 2")
    problems = trail.verify()
    assert "events #2 to #2 are missing" in problems
    assert "event #3 does not follow the event before it" in problems


def test_removed_last_entry_is_detected():
    _three()
    _without_triggers("DELETE FROM audit_auditevent WHERE id = 3")
    assert any("removed from the end" in p for p in trail.verify())
