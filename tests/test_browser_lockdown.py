"""The desk's browser ways out, tried in Debian's chromium as a researcher would."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.test_browser import ARTIFACTS, browser, log_in  # noqa: F401  (browser is a fixture)

pytestmark = [pytest.mark.docker, pytest.mark.browser]
FORBIDDEN_MENU_ITEMS = ["Download", "Export Notebook As", "Print", "Open in New Browser Tab", "Copy Download Link",
                        "Copy Shareable Link", "Open from URL", "Upload"]


@pytest.fixture(scope="module")
def lab(platform, browser):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=platform.base)
    page = context.new_page()
    page.goto(f"{platform.base}/hub/login")
    log_in(page, platform, "gina")
    page.goto(f"{platform.base}/hub/spawn/gina/open1")
    page.wait_for_url("**/user/gina/open1/lab**", timeout=150_000)
    expect(page.locator(".jp-BreadCrumbs")).to_contain_text("WORK", timeout=60_000)  # desks open in WORK
    yield context, page
    context.close()
    stop = platform.session("gina")
    stop.login()
    stop.api("DELETE", "/users/gina/servers/open1")


def _menu_texts(page) -> str:
    menu = page.locator(".lm-Menu").last
    expect(menu).to_be_visible()
    return menu.inner_text()


def test_file_menu_offers_no_way_out(lab):
    _, page = lab
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    texts = _menu_texts(page)
    page.screenshot(path=str(ARTIFACTS / "locked-file-menu.png"))
    page.keyboard.press("Escape")
    assert "Save" in texts  # the menu is really open
    for item in FORBIDDEN_MENU_ITEMS:
        assert item not in texts


def test_file_browser_context_menu_and_upload_button(lab):
    _, page = lab
    page.locator(".jp-BreadCrumbs-home").click()
    page.locator(".jp-DirListing-item", has_text="IN").dblclick()
    item = page.locator(".jp-DirListing-item", has_text="extract.csv")
    item.click(button="right")
    texts = _menu_texts(page)
    page.screenshot(path=str(ARTIFACTS / "locked-context-menu.png"))
    page.keyboard.press("Escape")
    assert "Rename" in texts or "Open" in texts
    for item_text in FORBIDDEN_MENU_ITEMS:
        assert item_text not in texts
    expect(page.locator(".jp-FileBrowser-toolbar [data-jp-item-name='uploader']")).to_have_count(0)
    expect(page.locator(".jp-FileBrowser-toolbar .jp-id-upload")).to_have_count(0)


def test_dropped_file_is_refused(platform, lab):
    _, page = lab
    page.locator(".jp-BreadCrumbs-home").click()
    page.locator(".jp-DirListing-item", has_text="WORK").dblclick()
    page.evaluate("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['a,b\\n1,2\\n'], 'dropped.csv', {type: 'text/csv'}));
        const target = document.querySelector('.jp-DirListing-content');
        for (const type of ['dragenter', 'dragover', 'drop']) {
            target.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
        }
    }""")
    # What an upload does underneath, sent from the page itself: the server refuses it.
    refused = page.evaluate("""async () => {
        const base = location.pathname.split('/lab')[0];
        const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf=')).split('=')[1];
        const reply = await fetch(base + '/api/contents/WORK/forced.csv', {
            method: 'PUT', headers: {'X-XSRFToken': decodeURIComponent(xsrf), 'Content-Type': 'application/json'},
            body: JSON.stringify({type: 'file', format: 'base64', content: btoa('a,b\\n1,2\\n')})});
        return [reply.status, (await reply.json()).message];
    }""")
    assert refused[0] == 403 and "Uploading files into a desk is not allowed" in refused[1]
    listing = page.evaluate("""async () => {
        const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf=')).split('=')[1];
        const reply = await fetch(location.pathname.split('/lab')[0] + '/api/contents/WORK?content=1',
                                  {headers: {'X-XSRFToken': decodeURIComponent(xsrf)}});
        return [reply.status, await reply.text()];
    }""")
    assert listing[0] == 200, listing
    names = [f["name"] for f in json.loads(listing[1])["content"]]
    assert "dropped.csv" not in names and "forced.csv" not in names


def test_copying_output_leaves_the_clipboard_unchanged(platform, lab):
    context, page = lab
    outside = context.new_page()
    outside.goto(f"{platform.base}/hub/home")
    outside.evaluate("() => navigator.clipboard.writeText('clipboard-before')")
    page.bring_to_front()
    page.locator(".jp-BreadCrumbs-home").click()
    page.locator(".jp-DirListing-item", has_text="WORK").dblclick()
    expect(page.locator(".jp-BreadCrumbs")).to_contain_text("WORK")
    page.locator(".jp-LauncherCard[data-category='Notebook']").first.click()
    cell = page.locator(".jp-Notebook .jp-Cell .cm-content").first
    expect(cell).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=60_000)  # kernel connected
    cell.click()
    page.keyboard.type("print('secret-output-' + str(6 * 7))")
    page.keyboard.press("Shift+Enter")
    output = page.locator(".jp-OutputArea-output", has_text="secret-output-42")
    expect(output).to_be_visible(timeout=60_000)  # running a cell still works
    output.click(click_count=3)
    page.keyboard.press("Control+C")
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Control+C")
    expect(page.get_by_text("Copying out of the desk is not allowed").first).to_be_visible(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "copy-refused.png"))
    outside.bring_to_front()
    assert outside.evaluate("() => navigator.clipboard.readText()") == "clipboard-before"
    outside.close()


def test_kernel_output_is_rate_limited(lab):
    """Printing megabytes to the screen hits the desk's output rate limit (policies/desk.yaml)."""
    _, page = lab
    page.bring_to_front()
    cell = page.locator(".jp-Notebook .jp-Cell .cm-content").last
    cell.click()
    page.keyboard.type("print('x' * 3_000_000)")
    page.keyboard.press("Shift+Enter")
    expect(page.get_by_text("IOPub data rate exceeded").first).to_be_visible(timeout=60_000)
