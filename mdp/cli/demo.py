"""`mdp demo`: a demo registry with accounts, projects and files in IN.

Idempotent: a second run creates nothing and prints the credentials saved by the
first (in the state directory, readable by root only; demo accounts only).
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import timedelta

import onetimepass
import typer

from mdp import settings
from mdp.cli.common import FixableError, console, registry

DEMO_USERS = [
    ("admin", "Platform Admin", "admin@igss.example", True),
    ("alice", "Alice Schmit", "alice@liser.example", False),
    ("bruno", "Bruno Ferreira", "bruno@liser.example", False),
    ("rita", "Rita Weber", "rita@igss.example", False),
    ("paul", "Paul Hoffmann", "paul@igss.example", False),
]
DEMO_ROLES = {"rita": "reviewer", "paul": "reviewer"}


def _demo_application(bruno) -> None:
    """One submitted application (bruno's) waiting in the reviewers' queue."""
    from mdp.applications import business_logic as apps
    from mdp.applications.models import Application

    if Application.objects.filter(owner=bruno).exists():
        return
    app = apps.create_application(bruno)
    apps.save_members(bruno, app, [{"name": "Bruno Ferreira", "institution": "LISER", "role": "Principal investigator",
                                    "email": bruno.email, "username": "bruno", "luxembourg": True,
                                    "expertise": "Labour economist; ten years of work with administrative registers."}])
    apps.save_answers(bruno, app, "description", {
        "acronym": "FPL", "title": "Father and parental leave in Luxembourg", "requesting_body": "LISER",
        "domain": "PS-E", "start": "2027-01-01", "end": "2028-12-31", "population": "Parents of children born 2015-2017",
        "research_description": "How do fathers' take-up of parental leave and their careers relate? We follow "
                                "parents from two years before to three years after the birth.",
        "period_first": "2013-01", "period_last": "2020-12"})
    apps.save_answers(bruno, app, "output", {"expected_output": "A thesis chapter and an article."})
    apps.save_answers(bruno, app, "software", {"software": ["python", "r"]})
    why = "Needed to follow each parent's situation month by month around the birth of the child."
    apps.save_variables(bruno, app, "individuals", {
        "individual_IDnumber": {"ticked": True, "justification": why},
        "i_gender": {"ticked": True, "justification": "Fathers and mothers are compared throughout the study."},
        "i_age": {"ticked": True, "level": "years", "justification": why + " Age in years is needed because the "
                  "eligibility rules of the leave depend on it; bands would blur the threshold."}})
    apps.submit(bruno, app)


def _write_atomic(path, text: str, mode: int = 0o644) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    tmp.replace(path)


def _demo_files(in_dir) -> None:
    """Small synthetic extracts with the seeds' variable names and codes."""
    rng = random.Random(2018)
    for month in ("201509", "201709"):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["individual_IDnumber", "reference_period", "i_gender", "i_age", "i_citizenship",
                         "i_residence_country"])
        for pid in range(1, 201):
            writer.writerow([pid, month, rng.choice([1, 2]), rng.randint(0, 9), rng.choice(range(7)),
                             rng.choice(["LU", "LU", "LU", "FR", "BE", "DE"])])
        _write_atomic(in_dir / f"situation_{month}.csv", out.getvalue())
    _write_atomic(in_dir / "README.txt",
                  "Synthetic demo extract. i_age: 0 <20, 1 20-24, ... 9 60+; "
                  "i_citizenship: 0 LU 1 DE 2 BE 3 FR 4 PT 5 other EU-27 6 other.\n")


def _saved_credentials(path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def seed(code_for: str = typer.Option("", "--code", metavar="USER",
                                     help="Only print the current TOTP code of a demo account.")):
    """Create the demo accounts and projects (once) and print how to log in."""
    s = settings.get()
    creds_file = s.state_dir / "demo-credentials.json"
    if code_for:
        creds = _saved_credentials(creds_file)
        if code_for not in creds:
            raise FixableError(f"{code_for!r} is not a demo account (run `mdp demo` first)")
        console.print(f"{onetimepass.get_totp(creds[code_for]['totp_secret']):06d}")
        return
    registry()
    from django.contrib.auth import get_user_model

    from mdp.registry import business_logic as bl
    from mdp.registry import clock
    from mdp.registry.enums import Role
    from mdp.registry.models import Project

    creds = _saved_credentials(creds_file)
    User = get_user_model()
    actor = "demo-seed"
    for username, name, email, admin in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            _, password, secret = bl.create_account(actor, username=username, full_name=name, email=email, admin=admin)
            creds[username] = {"password": password, "totp_secret": secret}
            _write_atomic(creds_file, json.dumps(creds, indent=1), 0o600)
            if username in DEMO_ROLES:
                bl.set_role(actor, bl.get_user(username), Role(DEMO_ROLES[username]))
    today = clock.today()
    projects = [
        ("MIGAPE", "Gender pension gap", today - timedelta(days=30), today + timedelta(days=365), ["alice", "bruno"]),
        ("TEVA", "School-to-work transition of young people", today - timedelta(days=400), today - timedelta(days=35), ["alice"]),
        ("WORKAGEING", "Measures for older workers", today + timedelta(days=20), today + timedelta(days=400), ["bruno"]),
    ]
    for acronym, title, start, end, members in projects:
        if not Project.objects.filter(acronym=acronym).exists():
            project = bl.create_project(actor, acronym=acronym, title=title, start=start, end=end)
            for username in members:
                bl.add_member(actor, project, bl.get_user(username))
    _demo_files(bl.project_dir("migape") / "IN")
    _demo_application(bl.get_user("bruno"))
    console.print(f"\n[bold]Demo accounts[/] (saved in {creds_file}):")
    for username, *_ in DEMO_USERS:
        c = creds.get(username, {})
        console.print(f"  {username:6} password {c.get('password', '?'):18} TOTP secret {c.get('totp_secret', '?')}")
    console.print(f"Log in at {s.public_url} with a code from an authenticator app holding the secret, "
                  "or from [bold]mdp demo --code USER[/].")
