"""`mdp images ...`"""

import typer

from mdp.cli.common import console, errors

app = typer.Typer(no_args_is_help=True)


@app.command("build")
def build():
    """Build the base (offline if needed) and desk images; skipped when up to date."""
    from mdp import images

    with errors():
        tag = images.build_desk()
    console.print(f"desk image: [bold]{tag}[/]")
