"""Output-checking pages in the portal (Django test client; the real-desk path is in test_outputs_desk.py)."""

from __future__ import annotations

import ast
import hashlib
import html
import io
import re
import zipfile
from pathlib import Path

from django.test import Client

from mdp.audit.models import AuditEvent
from mdp.outputs import rules
from mdp.outputs.models import ReleaseRequest
from tests.test_outputs import RISKY, SAFE, state, world  # noqa: F401  (fixtures)

BASE = "/services/portal/outputs/"


def client_for(user) -> Client:
    c = Client(enforce_csrf_checks=False)
    c.force_login(user)
    return c


def add(c, pk, path, context="Pensions by region", controls="none", **headers):
    return c.post(f"{BASE}{pk}/files", {"path": path, "context": context, "controls": controls}, **headers)


def test_researcher_and_checkers_through_the_pages(world):
    alice, olga, pavel = (client_for(world[n]) for n in ("alice", "olga", "pavel"))
    resp = alice.post(f"{BASE}new", {"project": world["project"].pk})
    assert resp.status_code == 302
    pk = ReleaseRequest.objects.get().pk
    page = alice.get(f"{BASE}{pk}/").content.decode()
    assert "risky.csv" in page and "safe.csv" in page  # the OUT picker
    bad = add(alice, pk, "../IN/extract.csv")
    assert bad.status_code == 400 and "the path leaves OUT" in bad.content.decode()
    assert add(alice, pk, "safe.csv", context="<script>alert(1)</script>").status_code == 302
    assert add(alice, pk, "risky.csv").status_code == 302
    page = alice.get(f"{BASE}{pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert alice.post(f"{BASE}{pk}/submit").status_code == 302
    # Researchers never see unreleased content in the portal, which is outside the desk.
    risky = ReleaseRequest.objects.get().files.get(relpath="risky.csv")
    refused = alice.get(f"{BASE}{pk}/files/{risky.pk}/")
    assert refused.status_code == 403 and "Only output checkers" in refused.content.decode()
    viewer = olga.get(f"{BASE}{pk}/files/{risky.pk}/").content.decode()
    assert 'class="flag" title="Row 1, column 3: a count below the threshold of 10."' in viewer
    assert "#" + str(pk) in olga.get(f"{BASE}queue/").content.decode()
    no_comment = olga.post(f"{BASE}{pk}/files/{risky.pk}/vote", {"vote": "changes", "visibility": "public"})
    assert no_comment.status_code == 400 and "Say which changes are needed." in no_comment.content.decode()
    for c in (olga, pavel):
        for f in ReleaseRequest.objects.get().active_files():
            vote = "approve" if f.relpath == "safe.csv" else "changes"
            resp = c.post(f"{BASE}{pk}/files/{f.pk}/vote", {"vote": vote, "comment": "suppress", "visibility": "public"})
            assert resp.status_code == 302
    twice = olga.post(f"{BASE}{pk}/files/{risky.pk}/vote", {"vote": "approve", "visibility": "private"})
    assert twice.status_code == 403 and "already voted" in twice.content.decode()
    assert olga.post(f"{BASE}{pk}/release").status_code == 302
    resp = alice.get(f"{BASE}{pk}/release.zip")
    assert resp.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(resp.streaming_content))) as z:
        assert hashlib.sha256(z.read("files/safe.csv")).hexdigest() == hashlib.sha256(SAFE.encode()).hexdigest()
    assert AuditEvent.objects.filter(action="output_downloaded", actor="alice").count() == 1


def test_others_requests_are_not_found_and_csrf_is_required(world):
    alice = client_for(world["alice"])
    alice.post(f"{BASE}new", {"project": world["project"].pk})
    pk = ReleaseRequest.objects.get().pk
    assert client_for(world["zoe"]).get(f"{BASE}{pk}/").status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["alice"])
    assert strict.post(f"{BASE}{pk}/submit").status_code == 403
    assert ReleaseRequest.objects.get().status == "pending"
    assert Client().get(BASE).status_code == 302  # sign in first


def test_a_refused_file_is_a_field_error(world):
    alice = client_for(world["alice"])
    alice.post(f"{BASE}new", {"project": world["project"].pk})
    resp = add(alice, ReleaseRequest.objects.get().pk, "nope.csv")
    assert resp.status_code == 400 and "no such file in OUT" in resp.content.decode()


def test_viewers_for_images_pdf_html_and_workbooks(world):
    import openpyxl

    out = world["out"]
    (out / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    (out / "nb.html").write_text("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
    (out / "report.pdf").write_bytes(b"%PDF-1.4\n")
    book = openpyxl.Workbook()
    book.active.title = "by region"
    for row in (["region", "n"], ["North", 4], ["South", 30]):
        book.active.append(row)
    book.save(out / "book.xlsx")
    alice, olga = client_for(world["alice"]), client_for(world["olga"])
    alice.post(f"{BASE}new", {"project": world["project"].pk})
    release = ReleaseRequest.objects.get()
    for name in ("plot.png", "nb.html", "report.pdf", "book.xlsx"):
        assert add(alice, release.pk, name).status_code == 302
    alice.post(f"{BASE}{release.pk}/submit")
    files = {f.relpath: f.pk for f in release.active_files()}
    html = olga.get(f"{BASE}{release.pk}/files/{files['nb.html']}/raw")
    assert html["Content-Security-Policy"].startswith("sandbox") and html["X-Content-Type-Options"] == "nosniff"
    assert olga.get(f"{BASE}{release.pk}/files/{files['plot.png']}/raw")["Content-Type"] == "image/png"
    assert olga.get(f"{BASE}{release.pk}/files/{files['report.pdf']}/raw")["Content-Type"] == "application/pdf"
    assert alice.get(f"{BASE}{release.pk}/files/{files['plot.png']}/raw").status_code == 403
    sheet = olga.get(f"{BASE}{release.pk}/files/{files['book.xlsx']}/").content.decode()
    assert '<td class="flag" title="Row 1, column 2: a count below the threshold of 10.">4</td>' in sheet
    viewed = AuditEvent.objects.filter(action="output_file_viewed", actor="olga").values_list("detail", flat=True)
    assert {d["path"] for d in viewed} == {"nb.html", "plot.png", "report.pdf", "book.xlsx"}


def test_the_pages_speak_french(world):
    alice = client_for(world["alice"])
    fr = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
    page = alice.get(BASE, **fr).content.decode()
    assert "<h1>Contrôle des outputs</h1>" in page and "Nouvelle demande de publication" in page
    alice.post(f"{BASE}new", {"project": world["project"].pk})
    pk = ReleaseRequest.objects.get().pk
    page = alice.get(f"{BASE}{pk}/", **fr).content.decode()
    assert "Ajouter un fichier de OUT" in page and "en attente (en préparation)" in page
    assert "safe.csv ajouté (sha256 " in add(alice, pk, "safe.csv", follow=True, **fr).content.decode()
    page = alice.post(f"{BASE}{pk}/submit", follow=True, **fr).content.decode()
    assert f"La demande #{pk} est maintenant soumise." in page


def test_refusals_follow_the_pages_language(world):
    """Refusals raised in Python (intake as a field error, the state machine as a 403 page) speak the page's
    language, counts included; the English wording is the one the other tests match."""
    alice, olga = client_for(world["alice"]), client_for(world["olga"])
    alice.post(f"{BASE}new", {"project": world["project"].pk})
    pk = ReleaseRequest.objects.get().pk
    rows = rules.get().max_table_rows + 1
    (world["out"] / "long.csv").write_text("x,n\n" + "".join(f"{i},{i}\n" for i in range(rows)))
    french = {
        "leaves": "../IN/extract.csv : le chemin sort de OUT ('..' ou chemin absolu) ; choisissez un fichier dans OUT",
        "long": f"long.csv compte {rows:,} lignes : les tableaux de plus de".replace(",", "\N{NO-BREAK SPACE}"),
        "empty": f"La demande #{pk} ne contient aucun fichier : ajoutez d'abord les outputs à publier.",
        "state": f"La demande #{pk} est en attente (en préparation) : elle ne peut pas passer à l'état "
                 "« renvoyée au chercheur ».",
    }
    english = {
        "leaves": "../IN/extract.csv: the path leaves OUT ('..' or an absolute path); pick a file inside OUT",
        "long": f"long.csv has {rows:,} rows: tables above",
        "empty": f"Request #{pk} has no files: add the outputs to release first.",
        "state": f"Request #{pk} is pending (being prepared): it cannot become returned to the researcher.",
    }
    for language, said, unsaid in (("fr", french, english), ("en", english, french)):
        lang = {"HTTP_ACCEPT_LANGUAGE": language}
        pages = {"leaves": add(alice, pk, "../IN/extract.csv", **lang), "long": add(alice, pk, "long.csv", **lang),
                 "empty": alice.post(f"{BASE}{pk}/submit", **lang), "state": olga.post(f"{BASE}{pk}/return", **lang)}
        for name, resp in pages.items():
            page = html.unescape(resp.content.decode())
            assert resp.status_code == (400 if name in ("leaves", "long") else 403), (language, name)
            assert said[name] in page and unsaid[name] not in page, (language, name)
        # the audit trail keeps the reason as the user read it, and says in which language
        recorded = AuditEvent.objects.filter(action="output_refused").order_by("-id").first().detail
        assert recorded["language"] == language and said["state"] in recorded["reason"]


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: each with its flags and its msgctxt, msgid and msgstr, unquoted."""
    entries, entry, field = [], {"flags": set()}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {"flags": set()}, None
        elif line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] += ast.literal_eval(line)
        else:
            field, _, quoted = line.partition(" ")
            entry[field] = ast.literal_eval(quoted)
    return entries


def test_french_catalogue_keeps_every_placeholder():
    """Each French sentence of the output pages has exactly its English source's placeholders, flagged
    python-format so that msgfmt --check-format checks them too."""
    from mdp import outputs

    placeholder = re.compile(r"%(?:\(\w+\))?[sdif%]")
    entries = [e for e in po_entries(Path(outputs.__file__).parent / "locale/fr/LC_MESSAGES/django.po") if e["msgid"]]
    with_placeholders = [e for e in entries if placeholder.search(e["msgid"])]
    assert len(with_placeholders) >= 35  # the refusals are in it
    for e in entries:
        assert e["msgstr"], e["msgid"]
        assert sorted(placeholder.findall(e["msgid"])) == sorted(placeholder.findall(e["msgstr"])), e["msgid"]
    for e in with_placeholders:
        assert "python-format" in e["flags"], e["msgid"]
        assert len(re.findall(r"%[sd]", e["msgid"])) <= 1, f"name the placeholders: {e['msgid']}"
