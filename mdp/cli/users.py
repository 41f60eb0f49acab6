"""`mdp user ...`"""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from mdp.cli.common import FixableError, actor, console, errors, registry
from mdp.registry.enums import Role

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    username: str,
    name: str = typer.Option("", "--name", help="Full name."),
    email: str = typer.Option("", "--email"),
    admin: bool = typer.Option(False, "--admin", help="Platform admin (registry, audit trail)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
    role: list[Role] = typer.Option([], "--role", help="Give a role too (repeatable)."),
):
    """Create an account: hub login with password and TOTP second factor."""
    registry()
    from mdp.registry import business_logic as bl

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise FixableError("no password on standard input")
    with errors():
        _, password, secret = bl.create_account(actor(), username=username, full_name=name, email=email,
                                                admin=admin, password=password)
        for r in role:
            bl.set_role(actor(), bl.get_user(username), r)
    roles = ["admin"] * admin + [r.value for r in role]
    console.print(f"Created [bold]{username}[/]{' (' + ', '.join(roles) + ')' if roles else ''}.")
    console.print(f"  password:    {password}")
    console.print(f"  TOTP secret: {secret}   (otpauth://totp/MicrodataPlatform:{username}?secret={secret}&issuer=MicrodataPlatform)")


@app.command("list")
def list_():
    registry()
    from django.contrib.auth import get_user_model

    table = Table("username", "name", "email", "admin", "roles", "enabled", "projects")
    for u in get_user_model().objects.order_by("username").prefetch_related("memberships__project", "groups"):
        table.add_row(u.username, u.get_full_name(), u.email, "yes" if u.is_superuser else "",
                      ", ".join(g.name for g in u.groups.all()),
                      "yes" if u.is_active else "[red]disabled[/]",
                      ", ".join(m.project.slug for m in u.memberships.all()))
    console.print(table)


def _set_active(username: str, active: bool) -> None:
    registry()
    from mdp.registry import business_logic as bl

    with errors():
        bl.set_account_active(actor(), bl.get_user(username), active)


@app.command("disable")
def disable(username: str):
    """Disable an account now: logged out, desks closed, tokens revoked within seconds."""
    _set_active(username, False)
    console.print(f"{username} is disabled.")


@app.command("enable")
def enable(username: str):
    _set_active(username, True)
    console.print(f"{username} is enabled.")


@app.command("role")
def role_(username: str, role: Role, remove: bool = typer.Option(False, "--remove", help="Take the role away.")):
    """Give a role (reviewer, output-checker) to an account, or take it away."""
    registry()
    from mdp.registry import business_logic as bl

    with errors():
        bl.set_role(actor(), bl.get_user(username), role, granted=not remove)
    console.print(f"{username} {'no longer has' if remove else 'now has'} the role {role.value}.")
