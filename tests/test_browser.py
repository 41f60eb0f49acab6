"""A researcher's first visit, in Debian's chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.harness import totp

pytestmark = [pytest.mark.docker, pytest.mark.browser]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def log_in(page, platform, username: str) -> None:
    """Fill the hub's login form as a person would (the page must show it)."""
    creds = platform.creds[username]
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", creds["password"])
    page.fill("input[name='2fa']", totp(creds["totp_secret"]))
    page.click("input[type=submit], button[type=submit]")


def test_login_with_totp_lists_projects_and_opens_jupyterlab(platform, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page()
    page.goto(f"{platform.base}/hub/login")
    log_in(page, platform, "bruno")
    table = page.locator("#mdp-projects")
    expect(table).to_be_visible()
    # bruno is in OPEN1 only: no other project appears, and its row has a Start button.
    expect(page.locator("tr[data-project]")).to_have_count(1)
    row = page.locator("tr[data-project=open1]")
    expect(row).to_contain_text("OPEN1")
    page.screenshot(path=str(ARTIFACTS / "hub-home.png"))
    row.locator("a.start-server").click()
    page.wait_for_url("**/user/bruno/open1/lab**", timeout=150_000)
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)
    expect(page.locator(".jp-BreadCrumbs")).to_contain_text("WORK", timeout=30_000)  # desks open in WORK
    page.screenshot(path=str(ARTIFACTS / "jupyterlab.png"))
    page.close()
    stop = platform.session("bruno")
    stop.login()
    assert stop.api("DELETE", "/users/bruno/servers/open1").status_code in (202, 204)


def test_portal_single_sign_on_and_admin_audit(platform, browser):
    """An admin signs in once at the hub and reads the audit trail in the portal."""
    page = browser.new_page()
    page.goto(f"{platform.base}/services/portal/audit/")
    log_in(page, platform, "admin")
    expect(page.locator("h1")).to_have_text("Audit trail", timeout=30_000)
    expect(page.locator(".ok")).to_contain_text("intact")
    expect(page.locator("table")).to_contain_text("desk_started".replace("_", " "))
    page.screenshot(path=str(ARTIFACTS / "portal-audit.png"))
    page.close()
