"""`mdp run` and `mdp firewall ...`: bring the platform up and down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import typer

from mdp import desk_policy, dictionary, settings
from mdp.applications import form_policy
from mdp.outputs import rules as sdc_rules
from mdp.cli.common import FixableError, console, errors, registry

firewall = typer.Typer(no_args_is_help=True)
HUB_CONFIG = Path(__file__).resolve().parents[1] / "hub" / "jupyterhub_config.py"


def _require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise FixableError(f"{what} changes the host firewall and needs root")


@firewall.command("apply")
def firewall_apply():
    """Close the host to the desk network except for the hub API port."""
    _require_root("mdp firewall apply")
    from mdp.hub import network

    with errors():
        network.apply_firewall(settings.get())
    console.print("desk firewall applied")


@firewall.command("remove")
def firewall_remove():
    _require_root("mdp firewall remove")
    from mdp.hub import network

    network.remove_firewall(settings.get())
    console.print("desk firewall removed")


@firewall.command("status")
def firewall_status():
    from mdp.hub import network

    active = network.firewall_active(settings.get())
    console.print("desk firewall: " + ("[green]active[/]" if active else "[red]not active[/]"))
    raise typer.Exit(0 if active else 1)


def run():
    """Run the platform: desk network and firewall up, then JupyterHub with the portal and cut-off service."""
    _require_root("mdp run")
    from mdp import images
    from mdp.hub import network

    s = settings.get()
    registry()
    from mdp.registry import business_logic as registry_business_logic

    with errors():
        desk_policy.load(s.policies_dir / "desk.yaml")
        dictionary.load(s.policies_dir / "dictionary")
        sdc_rules.load(s.policies_dir / "sdc.yaml")
        form_policy.load(s.policies_dir / "application.yaml")
        registry_business_logic.agreement_text()
        client = images.docker_client()
        images.current_desk_image(client)
        network.ensure_desk_network(client, s)
        network.apply_firewall(s)
    s.hub_state_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"desk firewall applied on {s.desk_bridge}; starting the hub on [bold]{s.public_url}[/]")
    hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)], cwd=s.hub_state_dir)

    def forward(signum, _frame):
        hub.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        code = hub.wait()
    finally:
        network.remove_firewall(s)
        console.print("hub stopped; desk firewall removed")
    raise typer.Exit(code)
