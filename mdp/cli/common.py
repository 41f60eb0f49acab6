"""What every CLI command shares: the console, the actor name, error mapping."""

from __future__ import annotations

import getpass
from datetime import date

from rich.console import Console

from mdp.errors import PlatformError

console = Console(highlight=False, soft_wrap=True)


class FixableError(Exception):
    """Shown as one line, exit status 2."""


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FixableError(f"{what} {value!r} is not a date like 2026-12-31") from None


def registry():
    """Set Django up and bring the database schema up to date (fast when it is)."""
    from mdp import djangosetup

    try:
        djangosetup.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    except PlatformError as exc:
        raise FixableError(str(exc)) from None


class errors:
    """`with errors():` turns the platform's own errors into one-line messages."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and isinstance(exc, PlatformError):
            raise FixableError(str(exc)) from None
        return False
