"""Write to and verify the audit trail."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from mdp.audit.enums import Action
from mdp.audit.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _digest(event_id: int, at, actor: str, action: str, project: str, detail: dict, prev: str) -> str:
    payload = json.dumps(
        [event_id, at.isoformat(), actor, action, project, detail, prev],
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(actor: str, action: Action, project: str = "", **detail) -> AuditEvent:
    """Append one event. Joins the caller's transaction if there is one."""
    action = Action(action)  # an unknown name is a programming error: fail before writing
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
        event_id = head.last_id + 1
        at = timezone.now()
        detail = json.loads(json.dumps(detail, default=str))
        digest = _digest(event_id, at, actor, str(action), project, detail, head.last_hash)
        event = AuditEvent.objects.create(
            id=event_id, at=at, actor=actor, action=str(action), project=project,
            detail=detail, prev_hash=head.last_hash, hash=digest,
        )
        head.last_id, head.last_hash = event_id, digest
        head.save()
    return event


def verify() -> list[str]:
    """Every break in the chain, as sentences; an empty list means intact."""
    problems: list[str] = []
    expected_id, prev = 1, GENESIS
    for event in AuditEvent.objects.order_by("id").iterator():
        if event.id != expected_id:
            problems.append(f"events #{expected_id} to #{event.id - 1} are missing")
        if event.prev_hash != prev:
            problems.append(f"event #{event.id} does not follow the event before it")
        digest = _digest(event.id, event.at, event.actor, event.action, event.project, event.detail, event.prev_hash)
        if digest != event.hash:
            problems.append(f"event #{event.id} was changed after it was written")
        expected_id, prev = event.id + 1, event.hash
    head = AuditHead.objects.filter(pk=1).first()
    last_id = expected_id - 1
    if head and (head.last_id != last_id or head.last_hash != prev):
        problems.append(f"the trail ends at #{last_id} but #{head.last_id} was written: events were removed from the end")
    return problems
