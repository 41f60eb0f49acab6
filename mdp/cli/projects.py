"""`mdp project ...`"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from mdp.cli.common import actor, console, errors, parse_date, registry

app = typer.Typer(no_args_is_help=True)


@app.command("create")
def create(
    acronym: str = typer.Argument(..., help="Short name, e.g. MIGAPE; the project id is derived from it."),
    title: str = typer.Option(..., "--title", help="What the project studies."),
    start: str = typer.Option(..., "--start", help="First open day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--end", help="Last open day, YYYY-MM-DD (inclusive)."),
    software: str = typer.Option("python,r", help="Software on the desk, comma-separated."),
    mem: int = typer.Option(4096, "--mem", help="Memory limit of each desk, MiB."),
    cpu: float = typer.Option(1.0, "--cpu", help="CPU limit of each desk, cores."),
    pids: int = typer.Option(512, "--pids", help="Process limit of each desk."),
    terminals: bool = typer.Option(False, "--terminals", help="Allow a terminal in this project's desks."),
):
    """Create a project and its IN, WORK and OUT folders."""
    registry()
    from mdp.registry import business_logic as bl

    with errors():
        project = bl.create_project(actor(), acronym=acronym, title=title, start=parse_date(start, "start date"),
                                    end=parse_date(end, "end date"), software=software, mem_limit_mb=mem,
                                    cpu_limit=cpu, pids_limit=pids, terminals=terminals)
    console.print(f"Created project [bold]{project.acronym}[/] (id {project.slug}), data in {bl.project_dir(project)}")


@app.command("list")
def list_():
    """All projects, with dates and whether their desks may open today."""
    registry()
    from mdp.registry import clock, policies
    from mdp.registry.models import Project

    table = Table("id", "acronym", "title", "start", "end", "today", "members")
    today = clock.today()
    for p in Project.objects.prefetch_related("memberships__user"):
        state = "[green]open[/]" if policies.is_project_open(p, today) else "[red]closed[/]"
        table.add_row(p.slug, p.acronym, p.title, str(p.start_date), str(p.end_date), state,
                      ", ".join(m.user.username for m in p.memberships.all()))
    console.print(table)


@app.command("set-end")
def set_end(project_id: str, end: str = typer.Argument(..., help="New last open day, YYYY-MM-DD.")):
    """Change a project's end date (earlier closes its desks within the cut-off interval)."""
    registry()
    from mdp.registry import business_logic as bl

    with errors():
        project = bl.change_project(actor(), bl.get_project(project_id), end_date=parse_date(end, "end date"))
    console.print(f"{project.acronym} now ends on {project.end_date}.")


@app.command("end")
def end_now(project_id: str):
    """End a project now: its desks close within the cut-off interval and cannot start again."""
    registry()
    from mdp.registry import business_logic as bl

    with errors():
        project = bl.end_project_now(actor(), bl.get_project(project_id))
    console.print(f"{project.acronym} ended; its desks close within the cut-off interval.")


@app.command("add-member")
def add_member(project_id: str, username: str):
    """Give a user a desk in a project."""
    registry()
    from mdp.registry import business_logic as bl

    with errors():
        project, user = bl.get_project(project_id), bl.get_user(username)
        bl.add_member(actor(), project, user)
    console.print(f"{username} is now a member of {project.acronym}.")


@app.command("remove-member")
def remove_member(project_id: str, username: str):
    """Take a user out of a project (their desk closes within the cut-off interval)."""
    registry()
    from mdp.registry import business_logic as bl

    with errors():
        project, user = bl.get_project(project_id), bl.get_user(username)
        bl.remove_member(actor(), project, user)
    console.print(f"{username} is no longer a member of {project.acronym}.")


@app.command("set-spec")
def set_spec(project_id: str, spec_file: Path = typer.Argument(..., help="The access specification, YAML or JSON.")):
    """Grant a project its access specification (checked against the dictionary; `mdp extract` delivers it)."""
    registry()
    from mdp.extraction.spec import load_file
    from mdp.registry import business_logic as bl

    with errors():
        project = bl.set_access_spec(actor(), bl.get_project(project_id), load_file(spec_file))
    registers = project.access_spec["registers"]
    console.print(f"{project.acronym} is granted {sum(len(r['variables']) for r in registers.values())} variables "
                  f"of {len(registers)} register(s), {project.access_spec['period']['first']} to "
                  f"{project.access_spec['period']['last']}.")
