"""`mdp demo`: a demo registry with accounts, projects and files in IN.

Idempotent: a second run creates nothing and prints the credentials saved by the
first (in the state directory, readable by root only; demo accounts only).
"""

from __future__ import annotations

import json
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
    ("olga", "Olga Klein", "olga@igss.example", False),
    ("pavel", "Pavel Novak", "pavel@igss.example", False),
]
DEMO_ROLES = {"rita": "reviewer", "paul": "reviewer", "olga": "output-checker", "pavel": "output-checker"}


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


# MIGAPE's grant in the demo: what an approved application for a gender pension gap study could receive.
DEMO_SPEC = {
    "version": 1,
    "period": {"first": "2015-01", "last": "2016-12"},
    "format": "dta",
    "registers": {
        "individuals": {"variables": {"individual_IDnumber": {}, "i_gender": {}, "i_age": {}, "i_civil_status": {},
                                      "i_residence_country": {}, "i_citizenship": {}}},
        "jobs": {"variables": {"job_IDnumber": {}, "individual_IDnumber": {}, "employer_IDnumber": {},
                               "j_contract_type": {}, "j_job_status": {}, "j_job_start_date": {}}},
        "social_benefits": {"variables": {"individual_IDnumber": {}, "i_F_parental_leave": {},
                                          "i_parental_leave_type": {}}},
    },
}


def _demo_extract(actor: str) -> None:
    """A small synthetic warehouse, MIGAPE's grant, and its extraction into IN (each once)."""
    from mdp.extraction import service
    from mdp.registry import business_logic as bl
    from mdp.warehouse import store, synth

    if store.Warehouse().missing("individuals", store.month_range(201501, 201612)):
        with console.status("Generating a synthetic warehouse (2,000 persons, 2015-2016)…"):
            synth.generate(2000, 201501, 201612, seed=2002)
    project = bl.get_project("migape")
    if not project.access_spec:
        bl.set_access_spec(actor, project, DEMO_SPEC)
    if not (bl.project_dir(project) / "IN" / "manifest.json").exists():
        with console.status("Extracting MIGAPE's data into its IN folder…"):
            service.extract_project(actor, project.slug, jobs=1)


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
    _demo_extract(actor)
    _demo_application(bl.get_user("bruno"))
    console.print(f"\n[bold]Demo accounts[/] (saved in {creds_file}):")
    for username, *_ in DEMO_USERS:
        c = creds.get(username, {})
        console.print(f"  {username:6} password {c.get('password', '?'):18} TOTP secret {c.get('totp_secret', '?')}")
    console.print(f"Log in at {s.public_url} with a code from an authenticator app holding the secret, "
                  "or from [bold]mdp demo --code USER[/].")
