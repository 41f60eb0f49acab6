"""Taking a file out of a project's OUT folder into the checking store.

Nothing is trusted about OUT: the researcher's code wrote it. A file is opened
component by component without following links (so a link swapped in while we
look cannot redirect us), refused if it is a link, a hard link, a special file,
too big, of a type outside the allow-list judged by its bytes, a table with
too many rows or a column named like an identifier. What is accepted is copied
while hashed, and the copy (named by its SHA-256, read-only) is what gets
checked, reviewed and released: later changes in OUT change nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mdp import dictionary, settings
from mdp.errors import PlatformError
from mdp.outputs import tables
from mdp.outputs.enums import FileKind
from mdp.outputs.rules import Rules

MAX_RELPATH = 200  # names are seen outside the desk: keep them short
CHUNK = 1 << 20
KNOWN_BINARY = {b"PAR1": "Parquet", b"<stata_dta>": "Stata .dta", b"$FL2": "SPSS .sav", b"$FL3": "SPSS .zsav",
                b"SQLite format 3": "SQLite", b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ": "xz",
                b"7z\xbc\xaf": "7-Zip", b"RDX": gettext_noop("R data"), b"\x93NUMPY": "NumPy", b"\x89HDF": "HDF5",
                b"\xd0\xcf\x11\xe0": gettext_noop("old Office (.xls/.doc)"),
                **{bytes([v, order, 1, 0]): "Stata .dta" for v in (113, 114, 115) for order in (1, 2)}}
IMAGES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


class IntakeRefused(PlatformError, ValueError):
    """A file cannot be taken from OUT; str(exc) says why, naming the file."""


@dataclass(frozen=True)
class Snapshot:
    relpath: str
    sha256: str
    size: int
    kind: FileKind
    path: Path


def _number(n: int) -> str:
    """A count grouped by thousands as the page's language writes it: 1,234,567 in English, 1 234 567 in French."""
    if translation.get_language() is None:  # translations deactivated: no locale to ask
        return f"{n:,}"
    return formats.number_format(n, force_grouping=True)


def store_dir() -> Path:
    return settings.get().state_dir / "outputs" / "store"


def identifier_columns(header) -> list[str]:
    """Columns named like an identifier: a dictionary identifier variable (also as a suffix,
    e.g. partner_individual_IDnumber, any case), or any name ending in IDnumber or _id."""
    identifiers = {name.lower() for name in dictionary.identifier_names(dictionary.registers())}
    found = []
    for column in header:
        name = str(column).strip().lower()
        if name.endswith(("idnumber", "_id")) or any(name == i or name.endswith("_" + i) for i in identifiers):
            found.append(str(column))
    return found


def clean_relpath(relpath: str) -> str:
    """The path as stored, or a refusal: relative, inside OUT, no '..', no odd characters."""
    if not relpath or "\x00" in relpath or "\\" in relpath or any(ord(c) < 32 for c in relpath):
        raise IntakeRefused(_("%(path)s is not a usable file name") % {"path": repr(relpath)})
    if len(relpath) > MAX_RELPATH:
        raise IntakeRefused(_("%(path)s…: paths longer than %(max)s characters are refused")
                            % {"path": relpath[:40], "max": MAX_RELPATH})
    path = PurePosixPath(relpath)
    if path.is_absolute() or ".." in path.parts:
        raise IntakeRefused(_("%(path)s: the path leaves OUT ('..' or an absolute path); pick a file inside OUT")
                            % {"path": relpath})
    parts = [p for p in path.parts if p != "."]
    if not parts:
        raise IntakeRefused(_("%(path)s is not a file in OUT") % {"path": repr(relpath)})
    return "/".join(parts)


def _open_no_links(out_dir: Path, relpath: str) -> tuple[int, os.stat_result]:
    """Open OUT/relpath for reading without following any link; refuse anything but a lone regular file."""
    parts = relpath.split("/")
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i, part in enumerate(parts[:-1]):
            try:
                nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError:
                raise IntakeRefused(_("%(path)s: the folder %(folder)s is not a plain folder in OUT "
                                      "(missing, or a symbolic link)")
                                    % {"path": relpath, "folder": "/".join(parts[:i + 1])}) from None
            os.close(fd)
            fd = nfd
        name = parts[-1]
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            raise IntakeRefused(_("%(path)s: no such file in OUT") % {"path": relpath}) from None
        _refuse_odd(relpath, st)
        try:
            ffd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        except OSError as exc:
            raise IntakeRefused(_("%(path)s: cannot be opened (%(error)s)")
                                % {"path": relpath, "error": exc.strerror}) from None
        fst = os.fstat(ffd)
        if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
            os.close(ffd)
            raise IntakeRefused(_("%(path)s: the file was replaced while it was being read; submit it again")
                                % {"path": relpath})
        try:
            _refuse_odd(relpath, fst)
        except IntakeRefused:
            os.close(ffd)
            raise
        return ffd, fst
    finally:
        os.close(fd)


def _refuse_odd(relpath: str, st: os.stat_result) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise IntakeRefused(_("%(path)s is a symbolic link: links are refused, save the output itself in OUT")
                            % {"path": relpath})
    if not stat.S_ISREG(st.st_mode):
        raise IntakeRefused(_("%(path)s is not a regular file (a folder, pipe, socket or device): refused")
                            % {"path": relpath})
    if st.st_nlink > 1:
        raise IntakeRefused(_("%(path)s is a hard link (it has %(names)s names): links are refused, "
                              "save the output itself in OUT") % {"path": relpath, "names": st.st_nlink})


def read_small(out_dir: Path, relpath: str, limit: int) -> bytes | None:
    """A small companion file (ACRO's results.json, a checksum) read as safely; None if absent or refused."""
    try:
        fd, st = _open_no_links(out_dir, clean_relpath(relpath))
    except IntakeRefused:
        return None
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    return data if len(data) <= limit else None


def take(out_dir: Path, relpath: str, rules: Rules) -> Snapshot:
    """Copy OUT/relpath into the checking store if it passes intake; the copy is what is checked."""
    relpath = clean_relpath(relpath)
    fd, st = _open_no_links(out_dir, relpath)
    if st.st_size > rules.max_file_bytes:
        os.close(fd)
        raise IntakeRefused(_("%(path)s is %(size)s bytes: files above %(max)s bytes are refused "
                              "(aggregate the output)")
                            % {"path": relpath, "size": _number(st.st_size), "max": _number(rules.max_file_bytes)})
    store = store_dir()
    store.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    tmp = tempfile.NamedTemporaryFile(dir=store, prefix=".incoming-", delete=False)
    try:
        with os.fdopen(fd, "rb") as src, tmp:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > rules.max_file_bytes:  # it grew while we read
                    raise IntakeRefused(_("%(path)s is above %(max)s bytes: refused")
                                          % {"path": relpath, "max": _number(rules.max_file_bytes)})
                digest.update(chunk)
                tmp.write(chunk)
            tmp.flush()
            os.fsync(tmp.fileno())
        kind = sniff(relpath, Path(tmp.name))
        if kind.is_table:
            check_table(relpath, Path(tmp.name), kind, rules)
        sha = digest.hexdigest()
        final = store / sha
        os.chmod(tmp.name, 0o440)
        os.replace(tmp.name, final)  # same content, same name: replacing an earlier copy changes nothing
    except BaseException:
        Path(tmp.name).unlink(missing_ok=True)
        raise
    return Snapshot(relpath, sha, size, kind, final)


def sniff(relpath: str, path: Path) -> FileKind:
    """What the file is, from its bytes; names only separate kinds of text. Refuses what is not allowed."""
    with open(path, "rb") as f:
        head = f.read(8192)
    if any(head.startswith(m) for m in IMAGES):
        return FileKind.IMAGE
    if head.startswith(b"%PDF-"):
        return FileKind.PDF
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(relpath, path)
    for magic, what in KNOWN_BINARY.items():
        if head.startswith(magic):
            raise IntakeRefused(_("%(path)s is %(what)s data, whatever its name says: only tables (CSV, XLSX), "
                                  "images (PNG, JPEG, GIF), PDF, text and HTML leave the platform")
                                % {"path": relpath, "what": _(what)})
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise IntakeRefused(_("%(path)s holds binary data of an unknown type: only tables (CSV, XLSX), images "
                              "(PNG, JPEG, GIF), PDF, text and HTML leave the platform") % {"path": relpath})
    start = text.lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html")):
        return FileKind.HTML
    if start.startswith("{") and _is_acro_results(text):
        return FileKind.ACRO
    if _is_csv(text):
        return FileKind.CSV
    return FileKind.TEXT


def _zip_kind(relpath: str, path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile:
        names = set()
    if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
        return FileKind.XLSX
    raise IntakeRefused(_("%(path)s is a zip archive (not an XLSX workbook): archives are refused, "
                          "submit the files themselves") % {"path": relpath})


def _is_acro_results(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("results"), dict) and \
        (data.get("tool") or {}).get("name") == "ACRO"


def _is_csv(text: str) -> bool:
    """Two or more lines that all split into the same number (≥ 2) of fields."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        return False
    try:
        widths = {len(r) for r in tables.read_csv_text(text) if r}
    except Exception:  # csv.Error on stray quotes: then it is text, not a table
        return False
    return len(widths) == 1 and widths.pop() >= 2


def check_table(relpath: str, path: Path, kind: FileKind, rules: Rules) -> None:
    """Tables that look like microdata are refused: too many rows, or identifier columns."""
    try:
        sheets = tables.read(path, kind)
    except tables.TableError as exc:
        raise IntakeRefused(_("%(path)s: %(problem)s") % {"path": relpath, "problem": exc}) from None
    for sheet in sheets:
        where = relpath
        if kind == FileKind.XLSX:
            where = _("%(path)s (sheet %(sheet)s)") % {"path": relpath, "sheet": sheet.name}
        if len(sheet.rows) > rules.max_table_rows:
            raise IntakeRefused(_("%(file)s has %(rows)s rows: tables above %(max)s rows look like microdata "
                                  "and are refused")
                                % {"file": where, "rows": _number(len(sheet.rows)),
                                   "max": _number(rules.max_table_rows)})
        ids = identifier_columns(sheet.header)
        if ids:
            raise IntakeRefused(_("%(file)s has a column named like an identifier (%(columns)s): "
                                  "identifiers never leave the platform") % {"file": where, "columns": ", ".join(ids)})


def list_out(out_dir: Path, limit: int = 2000) -> list[str]:
    """Files under OUT for the picker (links included, so that refusing them is visible), sorted."""
    found = []
    for root, dirs, files in os.walk(out_dir):  # os.walk does not follow links to folders
        dirs.sort()
        for name in sorted(files):
            found.append(str(PurePosixPath(Path(root).relative_to(out_dir).as_posix(), name)).removeprefix("./"))
            if len(found) >= limit:
                return found
    return found

