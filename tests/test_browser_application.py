"""A new user applies for data and two reviewers approve, in Debian's chromium, as people would click."""

from __future__ import annotations

import json
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.test_browser import ARTIFACTS, browser, log_in  # noqa: F401  (browser is a fixture)

pytestmark = [pytest.mark.docker, pytest.mark.browser]
JUST = "The outcome of the study is measured per person and month; this variable is needed to {}."
SCRIPT = "<script>window.pwned = 1</script>"
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _continue(page):
    page.click("button[value=continue]")


def test_new_user_applies_saves_pauses_submits_and_reviewers_approve(platform, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page()
    # A new user finds the way in from the hub's sign-in page.
    page.goto(f"{platform.base}/hub/login")
    page.click("#mdp-register")
    page.fill("#id_username", "nora")
    page.fill("#id_full_name", "Nora Nilsson")
    page.fill("#id_email", "nora@liser.lu")
    page.fill("#id_password", "a long enough password")
    page.fill("#id_password_again", "a long enough password")
    page.click("#create-account")
    secret = page.locator("#totp-secret").inner_text()
    platform.creds["nora"] = {"password": "a long enough password", "totp_secret": secret}
    page.click("text=Sign in and apply")
    log_in(page, platform, "nora")
    expect(page.locator("h1")).to_have_text("Your applications", timeout=30_000)
    page.click("#new-application")

    # Members: the applicant is listed already; eligibility fields are filled in.
    expect(page.locator("input[name=m-0-username]")).to_have_value("nora")
    page.fill("input[name=m-0-institution]", "LISER")
    page.fill("input[name=m-0-role]", "Principal investigator")
    page.check("input[name=m-0-luxembourg]")
    page.fill("textarea[name=m-0-expertise]", "PhD in economics; eight years with social-security registers.")
    _continue(page)
    # Project description, with a mistake first: the end before the start.
    for key, value in {"acronym": "NORA", "title": "Careers after parental leave", "requesting_body": "LISER",
                       "subcontractor": "", "start": "2026-01-01", "end": "2025-12-31",
                       "research_description": "We follow the careers of parents after a parental leave. " * 5,
                       "population": f"Parents of children born 2015-2017 {SCRIPT}",
                       "period_first": "2015-01", "period_last": "2019-12"}.items():
        page.fill(f"#id-{key}", value)
    page.select_option("#id-domain", "PS-E")
    _continue(page)
    expect(page.locator("#field-end .field-error")).to_contain_text("Must not be before")
    expect(page.locator("#id-title")).to_have_value("Careers after parental leave")  # nothing typed is lost
    page.fill("#id-end", "2027-12-31")
    _continue(page)
    page.fill("#id-expected_output", f"Two articles and a report. {SCRIPT}")
    _continue(page)
    _continue(page)  # external resources: none
    page.check("input[name=software][value=python]")
    page.check("input[name=software][value=r]")
    _continue(page)
    page.fill("#id-remarks", f"Remark {SCRIPT}")
    page.click("button[value=pause]")
    expect(page.locator(".messages")).to_contain_text("paused")
    expect(page.locator("#status")).to_have_text("draft")

    # Come back later from the list of applications and choose the variables.
    page.goto(f"{platform.base}/services/portal/applications/")
    page.click("#applications a:has-text('Open')")
    page.click("nav.steps a:has-text('Variables needed for the project')")
    page.click("#registers tr:has-text('Individual sociodemographic characteristics') a")
    for name, level in {"individual_IDnumber": None, "i_gender": None, "i_age": "years", "i_citizenship": None}.items():
        row = page.locator(f"tr[data-variable={name}]")
        row.locator(f"input[name=tick-{name}]").check()
        if level:
            row.locator(f"select[name=level-{name}]").select_option(level)
        row.locator(f"textarea[name=just-{name}]").fill(JUST.format(f"analyse {name} in careers"))
    page.click("button[value=pause]")
    page.click("nav.steps a:has-text('Documents')")
    page.set_input_files("#id-document", files=[{"name": "protocol.pdf", "mimeType": "application/pdf",
                                                 "buffer": MINIMAL_PDF}])
    _continue(page)
    expect(page.locator("h1")).to_have_text("Submit")
    page.screenshot(path=str(ARTIFACTS / "application-submit.png"), full_page=True)
    page.click("#submit-application")
    expect(page.locator("#status")).to_have_text("submitted")
    application_url = page.url

    # The lead reviewer: grant two, refuse one, grant one at a coarser level, assess.
    rita = browser.new_context().new_page()
    rita.goto(f"{platform.base}/services/portal/reviews/")
    log_in(rita, platform, "rita")
    rita.click("#queue tr:has-text('NORA') a:has-text('Open')")
    review_url = rita.url
    rita.click("#take")
    expect(rita.locator("#status")).to_have_text("under review")
    # What the applicant typed is shown as text, never run.
    expect(rita.locator("dd[data-field=remarks]")).to_contain_text(SCRIPT)
    assert rita.evaluate("window.pwned") is None
    rita.check("input[name='d-individuals.individual_IDnumber'][value=grant]")
    rita.check("input[name='d-individuals.i_gender'][value=grant]")
    rita.check("input[name='d-individuals.i_citizenship'][value=refuse]")
    rita.fill("textarea[name='c-individuals.i_citizenship']", "Citizenship is not needed for these questions.")
    rita.check("input[name='d-individuals.i_age'][value=coarser]")
    rita.select_option("select[name='l-individuals.i_age']", "five_year_bands")
    rita.fill("textarea[name='c-individuals.i_age']", "Five-year bands answer the question.")
    rita.click("#save-decisions")
    expect(rita.locator(".messages")).to_contain_text("Decisions saved")
    for criterion in ("pertinence", "legitimacy", "statistical_purpose", "proportionality"):
        rita.fill(f"#crit-{criterion}", "Checked.")
    rita.fill("#proportionality", "Scope, period and variables are limited to the research questions.")
    rita.click("#save-assessment")
    expect(rita.locator("#validate")).to_have_count(0)  # the lead cannot validate their own analysis

    # The second reviewer validates the proportionality analysis.
    paul = browser.new_context().new_page()
    paul.goto(review_url)
    log_in(paul, platform, "paul")
    paul.click("#validate")
    expect(paul.locator("#validated-by")).to_have_text("paul")

    rita.reload()
    rita.fill("#comment", "Approved with age in five-year bands.")
    rita.click("#approve")
    expect(rita.locator("#status")).to_have_text("approved")

    # The applicant follows the lifecycle: the desk is being prepared, the contract comes next.
    page.goto(application_url)
    expect(page.locator("#status")).to_have_text("approved")
    expect(page.locator("li[data-stage=desk_preparation]")).to_have_class("done")
    expect(page.locator("#decisions tr[data-variable=i_citizenship]")).to_contain_text("not needed")
    page.screenshot(path=str(ARTIFACTS / "application-approved.png"), full_page=True)
    page.goto(f"{platform.base}/services/portal/projects/")
    expect(page.locator("#public-projects")).to_contain_text("Careers after parental leave")

    with sqlite3.connect(platform.state_dir / "mdp.sqlite") as db:
        spec, = db.execute("SELECT access_spec FROM registry_project WHERE slug = 'nora'").fetchone()
    assert json.loads(spec)["registers"] == {"individuals": {"delivery": "monthly", "variables": {
        "i_age": {"level": "five_year_bands"}, "i_gender": {}, "individual_IDnumber": {}}}}
    for p in (page, rita, paul):
        p.close()
