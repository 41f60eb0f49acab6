"""`mdp`: the admin command line of the Microdata Platform.

Errors the admin can fix (bad dates, unknown names, a stopped Docker engine)
print one line and exit with status 2; nothing is half-done.
"""

from __future__ import annotations

import sys

import typer

from mdp.cli import audit, demo, extract, images, platform, projects, users, warehouse
from mdp.cli.common import FixableError, console

app = typer.Typer(help="Admin CLI of the Microdata Platform.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
app.add_typer(projects.app, name="project", help="Create, change and end projects; manage members.")
app.add_typer(users.app, name="user", help="Create, list, disable and enable accounts.")
app.add_typer(audit.app, name="audit", help="Read and verify the audit trail.")
app.add_typer(images.app, name="images", help="Build the container images.")
app.add_typer(platform.firewall, name="firewall", help="The host firewall around the desk network.")
app.add_typer(warehouse.app, name="warehouse", help="The warehouse of monthly registers: synth, import, status.")
app.command("extract")(extract.extract)
app.command("run")(platform.run)
app.command("demo")(demo.seed)


def main() -> None:
    try:
        app()
    except FixableError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
