"""`mdp audit ...`"""

from __future__ import annotations

import typer
from rich.table import Table

from mdp.cli.common import console, registry

app = typer.Typer(no_args_is_help=True)


@app.command("verify")
def verify():
    """Check that no audit event was changed or removed."""
    registry()
    from mdp.audit import trail
    from mdp.audit.models import AuditEvent

    problems = trail.verify()
    if problems:
        for problem in problems:
            console.print(f"[red]✗[/] {problem}")
        raise typer.Exit(1)
    console.print(f"[green]✓[/] the audit trail is intact ({AuditEvent.objects.count()} events).")


@app.command("tail")
def tail(n: int = typer.Option(20, "-n", min=1), project: str = typer.Option("", help="Only this project id.")):
    """The newest events."""
    registry()
    from mdp.audit.models import AuditEvent

    events = AuditEvent.objects.order_by("-id")
    if project:
        events = events.filter(project=project)
    table = Table("#", "when", "who", "what", "project", "detail")
    for e in reversed(list(events[:n])):
        table.add_row(str(e.id), f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor, e.action, e.project, str(e.detail))
    console.print(table)
