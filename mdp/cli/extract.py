"""`mdp extract PROJECT`: deliver a project's granted data into its IN folder."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from mdp.cli.common import actor, console, errors, registry


def extract(
    project_id: str = typer.Argument(..., help="The project id or acronym."),
    spec_file: Path = typer.Option(None, "--spec", help="Deliver this specification instead (YAML or JSON); "
                                   "it must stay within the project's grant."),
    jobs: int = typer.Option(0, "--jobs", help="Files written in parallel (default: one per CPU core)."),
):
    """Extract the project's granted variables, months and population into IN, pseudonymised, all at once."""
    registry()
    from mdp.extraction import service
    from mdp.extraction.spec import load_file
    from mdp.warehouse.store import show_month

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rows]:>12,} rows"), TimeElapsedColumn(), TimeRemainingColumn(),
                        console=console, transient=False)
    task = None

    def on_start(parts):
        nonlocal task
        task = progress.add_task(f"Extracting {project_id}", total=len(parts), rows=0)

    def on_part(part, done):
        progress.update(task, advance=1, rows=progress.tasks[task].fields["rows"] + done.rows,
                        description=f"{done.file}")

    with errors():
        requested = load_file(spec_file) if spec_file else None
        with progress:
            result = service.extract_project(actor(), project_id, requested, jobs=jobs or None,
                                             on_start=on_start, on_part=on_part)
    table = Table("register", "files", "months", "rows", "variables", title="Delivered")
    by_register: dict[str, list] = {}
    for part, done in result.parts:
        by_register.setdefault(part.register, []).append((part, done))
    for register, items in by_register.items():
        months = sorted({m for p, _ in items for m in p.months})
        table.add_row(register, str(len(items)), f"{show_month(months[0])} to {show_month(months[-1])}",
                      f"{sum(d.rows for _, d in items):,}", str(len(items[0][1].variables)))
    console.print(table)
    rate = result.rows / result.seconds if result.seconds else 0
    console.print(f"{result.rows:,} rows in {len(result.parts)} files in {result.seconds:.1f} s ({rate:,.0f} rows/s); "
                  f"new pseudonyms: {', '.join(f'{k} {v:,}' for k, v in result.new_ids.items()) or 'none'}. "
                  f"Files, codebook.html and manifest.json are in {result.in_dir}.")
