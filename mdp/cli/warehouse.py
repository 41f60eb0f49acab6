"""`mdp warehouse ...`: load, generate and inspect the warehouse of monthly registers."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from mdp.cli.common import FixableError, actor, console, errors, registry

app = typer.Typer(no_args_is_help=True)


@app.command("synth")
def synth(
    persons: int = typer.Option(1000, "--persons", help="How many persons (residents and cross-border workers)."),
    first: str = typer.Option("2002-01", "--first", help="First month, YYYY-MM."),
    last: str = typer.Option("2020-12", "--last", help="Last month, YYYY-MM."),
    seed: int = typer.Option(2002, "--seed", help="The same seed, persons and months give the same files."),
):
    """Generate a synthetic Luxembourg-like warehouse (replaces those months of every register it knows)."""
    from mdp.warehouse import store, synth as generator

    with errors():
        first_m, last_m = store.parse_month(first, "--first"), store.parse_month(last, "--last")
        if last_m < first_m or persons < 1:
            raise FixableError("--last must not be before --first, and --persons must be at least 1")
        months = store.month_range(first_m, last_m)
        with console.status(f"Generating {persons:,} persons over {len(months)} months…") as status:
            rows = generator.generate(persons, first_m, last_m, seed, on_month=lambda m: status.update(
                f"Generating {persons:,} persons: {store.show_month(m)} written"))
    for register, count in rows.items():
        console.print(f"  {register:16} {count:>12,} rows")
    console.print(f"Synthetic warehouse in {store.Warehouse().root}, {store.show_month(first_m)} to "
                  f"{store.show_month(last_m)} (seed {seed}).")


@app.command("import")
def import_(register: str, files: list[Path] = typer.Argument(..., help="Monthly source files: .dta, .csv, .parquet.")):
    """Check source files against the dictionary, then load them (all or nothing); their months are replaced."""
    from mdp.warehouse import importer, store

    with errors():
        rows = importer.load(register, files)
    registry()
    from mdp.audit import trail
    from mdp.audit.enums import Action

    trail.record(actor(), Action.WAREHOUSE_LOADED, register=register, files=[str(f) for f in files],
                 months={store.show_month(m): n for m, n in rows.items()})
    for month, count in rows.items():
        console.print(f"  {register} {store.show_month(month)}: {count:,} rows")
    console.print(f"Loaded {len(rows)} month(s) of {register}.")


@app.command("status")
def status():
    """Registers in the warehouse: months held and gaps."""
    from mdp.warehouse import store

    warehouse = store.Warehouse()
    table = Table("register", "first", "last", "months", "gaps")
    for register in warehouse.registers():
        months = warehouse.months(register)
        gaps = warehouse.missing(register, store.month_range(months[0], months[-1]))
        table.add_row(register, store.show_month(months[0]), store.show_month(months[-1]), str(len(months)),
                      ", ".join(store.show_month(m) for m in gaps[:6]) + (" …" if len(gaps) > 6 else ""))
    console.print(table if table.rows else f"The warehouse in {warehouse.root} is empty (see `mdp warehouse synth`).")
