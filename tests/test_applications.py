"""Applications and their review: the form policy, the state machine, the permissions and bad input."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from mdp.applications import business_logic as bl
from mdp.applications import form_policy
from mdp.applications.enums import Status
from mdp.applications.models import Application
from mdp.audit.models import AuditEvent
from mdp.registry import policies as desk_policies
from mdp.registry.enums import Role
from mdp.registry.models import Project

pytestmark = pytest.mark.django_db
P = "/services/portal"
LONG = "Needed to measure the outcome precisely for each person in the study population over the period."


@pytest.fixture(autouse=True)
def data_root(tmp_path, monkeypatch):
    from mdp import settings

    monkeypatch.setenv("MDP_DATA_ROOT", str(tmp_path / "data"))
    settings.get.cache_clear()
    yield tmp_path / "data"
    settings.get.cache_clear()


def _user(name: str, *roles: Role) -> User:
    user = User.objects.create(username=name, email=f"{name}@liser.lu", first_name=name.title())
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    return user


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


DESCRIPTION = {"acronym": "WAGE", "title": "Wage trajectories of cross-border workers", "requesting_body": "LISER",
               "subcontractor": "", "domain": "E", "start": "2026-01-01", "end": "2027-12-31",
               "research_description": "We study wages. " * 20, "population": "Cross-border workers",
               "period_first": "2015-01", "period_last": "2019-12"}


def _fill(c: Client, app_id: int) -> None:
    """Every section, as the applicant's browser posts it."""
    base = f"{P}/applications/{app_id}/edit"
    members = {"member_count": "1", "m-0-name": "Ana Alves", "m-0-institution": "LISER", "m-0-role": "PI",
               "m-0-email": "ana@liser.lu", "m-0-username": "ana", "m-0-luxembourg": "on",
               "m-0-expertise": "Ten years of register-based labour economics."}
    assert c.post(f"{base}/members/", {**members, "action": "continue"}).status_code == 302
    assert c.post(f"{base}/description/", {**DESCRIPTION, "action": "continue"}).status_code == 302
    c.post(f"{base}/output/", {"expected_output": "A report and an article.", "action": "continue"})
    c.post(f"{base}/external/", {"action": "continue"})
    c.post(f"{base}/software/", {"software": ["python", "r"], "action": "continue"})
    c.post(f"{base}/remarks/", {"action": "continue"})
    r = c.post(f"{base}/variables/individuals/", {
        "tick-individual_IDnumber": "on", "just-individual_IDnumber": LONG,
        "tick-i_gender": "on", "just-i_gender": LONG,
        "tick-i_age": "on", "level-i_age": "years", "just-i_age": LONG,
        "tick-i_citizenship": "on", "level-i_citizenship": "grouped", "just-i_citizenship": LONG, "action": "continue"})
    assert r.status_code == 302, r.content.decode()[:3000]


@pytest.fixture
def people():
    return {"ana": _user("ana"), "rita": _user("rita", Role.REVIEWER), "paul": _user("paul", Role.REVIEWER),
            "eve": _user("eve")}


@pytest.fixture
def submitted(people):
    c = _client(people["ana"])
    assert c.post(f"{P}/applications/new/").status_code == 302
    app = Application.objects.get()
    _fill(c, app.pk)
    r = c.post(f"{P}/applications/{app.pk}/submit/")
    assert r.status_code == 302, bl.problems(Application.objects.get())
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    return app


def test_the_shipped_form_policy_loads_with_the_seeds_sections():
    form = form_policy.get()
    assert [s.key for s in form.sections] == ["members", "description", "output", "external", "software", "remarks",
                                              "variables", "documents"]
    assert form.field("research_description").max_words == 600


@pytest.mark.parametrize("text, message", [
    ("sections: [{key: a, fields: [{key: x, type: bogus, label: X}]}]", "section a, field x: type must be one of"),
    ("sections: [{key: a, fields: [{key: x, type: choice, label: X}]}]", "section a, field x: a choice field needs"),
    ("sections: [{key: a, fields: [{key: x, type: text}]}]", "section a, field x: label"),
    ("sections: [{key: a, fields: [{key: x, type: text, label: X, colour: red}]}]", "unknown option(s) colour"),
    ("sections: [{key: a, title: A, fields: [{key: x, type: text, label: X}]}]", "exactly one section of kind members"),
    ("sections: [", "not valid YAML"),
])
def test_a_bad_form_policy_is_refused_naming_file_section_and_field(tmp_path, text, message):
    path = tmp_path / "application.yaml"
    path.write_text(text)
    with pytest.raises(form_policy.FormPolicyError) as err:
        form_policy.load(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_state_machine_tables_cover_every_status_and_owners_are_disjoint():
    assert set(bl.TRANSITIONS) == set(Status)
    owned = [s for states in bl.OWNERS.values() for s in states]
    assert sorted(owned) == sorted(Status) and len(owned) == len(set(owned))
    assert all(to in Status for tos in bl.TRANSITIONS.values() for to in tos)


def test_full_review_grants_refuses_coarsens_and_creates_the_project(people, submitted, data_root):
    app, rita, paul = submitted, people["rita"], people["paul"]
    review = f"{P}/reviews/{app.pk}/"
    r, p = _client(rita), _client(paul)
    assert r.post(review, {"action": "take"}).status_code == 302
    r.post(review, {"action": "decide",
                    "d-individuals.individual_IDnumber": "grant", "d-individuals.i_gender": "grant",
                    "d-individuals.i_citizenship": "refuse", "c-individuals.i_citizenship": "Not needed for wages.",
                    "d-individuals.i_age": "coarser", "l-individuals.i_age": "five_year_bands",
                    "c-individuals.i_age": "Bands suffice.", "m-individuals.i_age": "Outputs by age need 20 persons",
                    "t-individuals.i_age": "20"})
    app.refresh_from_db()
    assert app.decisions.count() == 4
    # Approval needs the assessment and a second reviewer's validation.
    r.post(review, {"action": "approve"})
    app.refresh_from_db()
    assert app.status == Status.IN_REVIEW and app.project is None
    r.post(review, {"action": "assess", "proportionality": "Scope and period match the questions.",
                    **{f"crit-{c}": "ok" for c in ("pertinence", "legitimacy", "statistical_purpose", "proportionality")}})
    assert 'id="population-everyone"' in r.get(review).content.decode()
    french = r.get(review, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Une condition par ligne" in french and "Enregistrer la population" in french
    assert r.post(review, {"action": "population", "population_where":
                           "# cross-border workers\nindividuals.i_residence_country in FR, BE, DE"}).status_code == 302
    resp = r.post(review, {"action": "validate"})  # the lead cannot validate their own analysis
    assert "second reviewer" in resp.content.decode()
    assert p.post(review, {"action": "validate"}).status_code == 302
    assert r.post(review, {"action": "approve", "comment": "Approved."}).status_code == 302
    app.refresh_from_db()
    project = app.project
    assert app.status == Status.APPROVED and project.acronym == "WAGE"
    assert list(project.members.values_list("username", flat=True)) == ["ana"]
    assert project.access_spec == {
        "version": 1, "period": {"first": "2015-01", "last": "2019-12"},
        "population": {"description": "Cross-border workers", "where": [
            {"register": "individuals", "variable": "i_residence_country", "in": ["FR", "BE", "DE"]}]}, "format": "dta",
        "registers": {"individuals": {"delivery": "monthly", "variables": {
            "i_age": {"level": "five_year_bands"}, "i_gender": {}, "individual_IDnumber": {}}}}}
    measure = project.measures.get()
    assert (measure.variable, measure.output_threshold) == ("i_age", 20)
    assert (data_root / "wage" / "IN").is_dir()
    steps = [t.to_status for t in app.transitions.all()]
    assert steps == ["submitted", "in_review", "approved"]
    assert AuditEvent.objects.filter(action="application_status", actor="rita").count() == 2
    # The project appears in the public list; the applicant sees the decisions and their comments.
    assert "Wage trajectories" in Client().get(f"{P}/projects/").content.decode()
    page = _client(people["ana"]).get(f"{P}/applications/{app.pk}/").content.decode()
    assert "Bands suffice." in page and "Not needed for wages." in page
    assert "individuals.i_residence_country in FR, BE, DE" in page


@pytest.mark.parametrize("text, problem", [
    ("individuals.i_residence_country FR", "Line 1: write register.variable in value, value"),
    ("\nindividuals.i_shoe_size in 42", "Line 2: register individuals, variable i_shoe_size: unknown variable"),
    ("individuals.i_residence_country in FR, XY", "Line 1: (register individuals, variable i_residence_country): "
                                                  "value(s) XY are not in its code list"),
    ("individuals.i_age at decades in 3", "Line 1: (register individuals, variable i_age): unknown level 'decades'"),
])
def test_population_conditions_are_checked_line_by_line_and_the_text_is_kept(people, submitted, text, problem):
    review = f"{P}/reviews/{submitted.pk}/"
    r = _client(people["rita"])
    r.post(review, {"action": "take"})
    page = r.post(review, {"action": "population", "population_where": text}).content.decode()
    assert problem in html.unescape(page)
    assert html.escape(text.strip(), quote=False) in page  # what the reviewer typed is still there
    submitted.refresh_from_db()
    assert submitted.population_where == []


def test_a_population_change_voids_the_peer_validation_and_only_the_lead_sets_it(people, submitted):
    rita, paul = people["rita"], people["paul"]
    bl.take_for_review(rita, submitted)
    for name in submitted.variables["individuals"]:
        bl.decide(rita, submitted, "individuals", name, "grant")
    bl.assess(rita, submitted, {c.value: "ok" for c in bl.Criterion}, "Proportionate.")
    bl.validate(paul, submitted)
    assert submitted.validated_by == paul
    bl.set_population(rita, submitted, "individuals.i_age at years in 30, 31")
    submitted.refresh_from_db()
    assert submitted.validated_by is None
    assert bl.population_text(submitted.population_where) == "individuals.i_age at years in 30, 31"
    assert AuditEvent.objects.filter(action="application_population", actor="rita").count() == 1
    with pytest.raises(Exception, match="lead reviewer"):
        bl.set_population(paul, submitted, "")


def test_desk_opens_only_after_the_agreement_is_signed(people, submitted):
    from datetime import date

    from mdp.registry import business_logic as registry

    app = submitted
    app.lead_reviewer = people["rita"]
    app.status = Status.IN_REVIEW
    app.save()
    for name in ("individual_IDnumber", "i_gender", "i_age", "i_citizenship"):
        bl.decide(people["rita"], app, "individuals", name, "grant")
    bl.assess(people["rita"], app, {c: "ok" for c in ("pertinence", "legitimacy", "statistical_purpose",
                                                       "proportionality")}, "fine")
    bl.validate(people["paul"], app)
    project = bl.approve(people["rita"], app)
    day = date(2026, 6, 1)
    with pytest.raises(desk_policies.DeskRefused, match="confidentiality agreement"):
        desk_policies.check_can_open_desk("ana", project.slug, day)
    c = _client(people["ana"])
    assert "tick the box" in c.post(f"{P}/projects/wage/agreement/", {"signed_name": "Ana"}).content.decode().lower()
    c.post(f"{P}/projects/wage/agreement/", {"accept": "on", "signed_name": "Ana Alves"})
    assert desk_policies.check_can_open_desk("ana", project.slug, day) == project
    assert registry.agreement_text()[1] == project.agreements.get().version
    assert _client(people["eve"]).get(f"{P}/projects/wage/agreement/").status_code == 403


def test_bad_input_is_shown_next_to_the_field_and_nothing_typed_is_lost(people):
    c = _client(people["ana"])
    c.post(f"{P}/applications/new/")
    app = Application.objects.get()
    base = f"{P}/applications/{app.pk}/edit"
    words = " ".join(["word"] * 601)
    r = c.post(f"{base}/description/", {**DESCRIPTION, "research_description": words, "end": "2025-01-01",
                                        "title": "<script>alert(1)</script>", "action": "continue"})
    page = r.content.decode()
    assert r.status_code == 200 and "At most 600 words (this has 601)" in page
    assert "Must not be before “Expected start date of the project”" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    app.refresh_from_db()
    assert app.answers["research_description"] == words and app.answers["end"] == "2025-01-01"  # kept
    # A variable without justification; a restricted one with a short one.
    r = c.post(f"{base}/variables/individuals/", {"tick-i_gender": "on", "action": "continue"})
    assert "A justification is required" in r.content.decode()
    r = c.post(f"{base}/variables/work_absences/", {
        **{f"tick-{v}": "on" for v in ("a_sickness_days",)}, "just-a_sickness_days": "I need it for my model.",
        "action": "continue"})
    assert "a variable not provided by default in at least 120 characters" in r.content.decode()
    assert "i_gender" in Application.objects.get().variables["individuals"]
    # Submission lists what is missing and changes nothing.
    r = c.post(f"{P}/applications/{app.pk}/submit/", follow=True)
    assert "not complete" in r.content.decode()
    assert Application.objects.get().status == Status.DRAFT


def test_uploads_are_checked_by_content_and_size(people, settings):
    c = _client(people["ana"])
    c.post(f"{P}/applications/new/")
    app = Application.objects.get()
    url = f"{P}/applications/{app.pk}/edit/documents/"
    exe = SimpleUploadedFile("protocol.pdf", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf")
    r = c.post(url, {"document": exe, "action": "continue"})
    assert "protocol.pdf is named like a PDF but its content is not a PDF" in r.content.decode()
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024), content_type="application/pdf")
    r = c.post(url, {"document": big, "action": "continue"})
    assert "big.pdf is 50.0 MB: documents may be at most 10 MB" in r.content.decode()
    ok = SimpleUploadedFile("../../etc/Protocol v2.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    c.post(url, {"document": ok, "action": "continue"})
    doc = app.documents.get()
    assert doc.name == "Protocol v2.pdf" and bl.document_path(doc).read_bytes() == b"%PDF-1.4\n%%EOF\n"
    assert not list(bl.document_path(doc).parent.glob("*.part"))
    got = c.get(f"{P}/applications/{app.pk}/documents/{doc.pk}/")
    assert b"".join(got.streaming_content) == b"%PDF-1.4\n%%EOF\n"
    assert _client(people["eve"]).get(f"{P}/applications/{app.pk}/documents/{doc.pk}/").status_code == 403


def test_permissions_other_people_reviewers_and_csrf(people, submitted):
    app = submitted
    eve = _client(people["eve"])
    r = eve.get(f"{P}/applications/{app.pk}/")
    assert r.status_code == 403 and "not yours" in r.content.decode()
    assert eve.post(f"{P}/applications/{app.pk}/edit/description/", {**DESCRIPTION, "title": "hijack"}).status_code == 403
    assert eve.get(f"{P}/reviews/{app.pk}/").status_code == 403
    # A reviewer listed as a member may not review.
    app.members.append({"name": "Rita", "username": "rita", "email": "rita@liser.lu"})
    app.save()
    assert _client(people["rita"]).get(f"{P}/reviews/{app.pk}/").status_code == 403
    with pytest.raises(PermissionError, match="member of this application"):
        bl.take_for_review(people["rita"], app)
    # The applicant cannot change a submitted application; a forged POST without CSRF token changes nothing.
    ana = _client(people["ana"])
    assert ana.post(f"{P}/applications/{app.pk}/edit/description/", {**DESCRIPTION, "title": "x"}).status_code == 403
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(people["paul"])
    assert forged.post(f"{P}/reviews/{app.pk}/", {"action": "take"}).status_code == 403
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED and app.answers["title"] == DESCRIPTION["title"]


def test_changes_requested_then_resubmitted_keeps_history_and_round(people, submitted):
    app, rita = submitted, people["rita"]
    bl.take_for_review(rita, app)
    with pytest.raises(bl.ApplicationError, match="which changes"):
        bl.request_changes(rita, app, "  ")
    bl.request_changes(rita, app, "Please narrow the population.")
    c = _client(people["ana"])
    c.post(f"{P}/applications/{app.pk}/edit/description/", {**DESCRIPTION, "population": "Cross-border workers from France"})
    assert c.post(f"{P}/applications/{app.pk}/submit/").status_code == 302
    app.refresh_from_db()
    assert app.status == Status.RESUBMITTED and app.round == 2
    assert [t.to_status for t in app.transitions.all()] == ["submitted", "in_review", "changes_requested", "resubmitted"]
    assert "Please narrow the population." in c.get(f"{P}/applications/{app.pk}/").content.decode()
    with pytest.raises(bl.ApplicationError, match="cannot become"):
        bl._transition(rita, app, Status.APPROVED)


def test_pdf_download_holds_the_whole_application(people, submitted):
    r = _client(people["ana"]).get(f"{P}/applications/{submitted.pk}/request.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    assert len(r.content) > 2000
    assert _client(people["eve"]).get(f"{P}/applications/{submitted.pk}/request.pdf").status_code == 403


def test_self_registration_creates_a_login_with_totp():
    c = Client()
    r = c.post(f"{P}/register/", {"username": "newbie", "full_name": "New Researcher", "email": "new@uni.lu",
                                  "password": "correct horse battery", "password_again": "correct horse battery"})
    page = r.content.decode()
    assert r.status_code == 200 and "<svg" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    from nativeauthenticator.orm import UserInfo

    from mdp.hub import credentials

    db = credentials._session()
    assert UserInfo.find(db, "newbie").otp_secret == secret
    db.close()
    assert User.objects.get(username="newbie").email == "new@uni.lu"
    bad = c.post(f"{P}/register/", {"username": "newbie", "full_name": "X", "email": "nope",
                                    "password": "short", "password_again": "other"}).content.decode()
    assert "Enter a valid email address" in bad and "at least 10 characters" in bad


def _sign_up(c: Client, username: str, **headers):
    return c.post(f"{P}/register/", {"username": username, "full_name": "New Researcher", "email": "new@uni.lu",
                                     "password": "correct horse battery", "password_again": "correct horse battery"},
                  **headers)


def test_self_registration_stops_at_the_hourly_limit_and_keeps_what_was_typed(monkeypatch):
    from mdp import settings

    monkeypatch.setenv("MDP_SELF_REGISTRATIONS_PER_HOUR", "2")
    settings.get.cache_clear()
    c = Client()
    assert [_sign_up(c, name).status_code for name in ("first", "second")] == [200, 200]
    r = _sign_up(c, "third")
    page = r.content.decode()
    assert r.status_code == 429 and "Too many accounts were created in the last hour" in page
    assert 'value="third"' in page and not User.objects.filter(username="third").exists()
    assert "Trop de comptes" in _sign_up(c, "third", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    # an hour after the first two, the door opens again
    with pytest.raises(desk_policies.RegistrationRefused):
        desk_policies.check_can_self_register(timezone.now() + timedelta(minutes=59))
    desk_policies.check_can_self_register(timezone.now() + timedelta(minutes=61))


def test_self_registration_can_be_closed(monkeypatch):
    from mdp import settings

    monkeypatch.setenv("MDP_SELF_REGISTRATIONS_PER_HOUR", "0")
    settings.get.cache_clear()
    page = Client().get(f"{P}/register/").content.decode()
    assert "ask the platform&#x27;s administrators" in page and 'id="create-account" disabled' in page
    assert _sign_up(Client(), "nobody").status_code == 429 and not User.objects.filter(username="nobody").exists()
    monkeypatch.setenv("MDP_SELF_REGISTRATIONS_PER_HOUR", "-1")
    settings.get.cache_clear()
    with pytest.raises(settings.SettingsError, match="MDP_SELF_REGISTRATIONS_PER_HOUR=-1 must be 0 or more"):
        settings.get()


def test_validation_messages_follow_the_page_language(people):
    c = _client(people["ana"])
    c.post(f"{P}/applications/new/")
    app = Application.objects.get()
    r = c.post(f"{P}/applications/{app.pk}/edit/description/",
               {**DESCRIPTION, "research_description": "mot " * 601, "action": "continue"},
               HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    page = r.content.decode()
    assert "600 mots au plus (ce texte en a 601)." in page and "Description de la recherche" in page
