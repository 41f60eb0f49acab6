"""Automated statistical disclosure checks on a submitted file (policies/sdc.yaml).

- A table next to ACRO's results.json: ACRO's per-cell findings are used, once
  ACRO's checksum of the table matches the submitted file (else they describe
  some other file, and our own checks run instead).
- Other tables: a frequency table (only whole, non-negative numbers) has cells
  under the threshold and zero cells flagged; a magnitude table is flagged as
  needing dominance evidence, which only the microdata can give.
- Images, PDFs, HTML and text need a human; text is also scanned for a
  regression's residual degrees of freedom.

Each finding names the cell it concerns (sheet, body row, column) or none for
the whole file, so that the viewer can highlight it. Messages name rows and
columns by position, never by the table's values.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from mdp.outputs import intake, tables
from mdp.outputs.enums import FileKind
from mdp.outputs.rules import Rules

FAIL, REVIEW, INFO = "fail", "review", "info"
ACRO_LIMIT = 5_000_000
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
DOF_RES = (re.compile(r"Df Residuals:\s+(\d+)"), re.compile(r"on (\d+) degrees of freedom"))


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # fail: disclosive as it stands; review: a human must judge; info: for the record
    message: str
    sheet: str | None = None
    cell: tuple[int, int] | None = None  # (body row, column), 0-based

    def as_dict(self) -> dict:
        d = asdict(self)
        d["cell"] = list(self.cell) if self.cell else None
        return d


@dataclass(frozen=True)
class AcroEvidence:
    """What ACRO's results.json, found beside a table in OUT, says about it."""

    results_relpath: str
    results_sha256: str
    output: dict | None  # the results entry whose files name the table
    checksum: str | None  # ACRO's checksums/<name>.txt, if it wrote one


def find_acro(out_dir: Path, relpath: str) -> AcroEvidence | None:
    """ACRO's results.json in the table's folder, read as safely as the table itself."""
    folder = PurePosixPath(relpath).parent
    name = PurePosixPath(relpath).name
    results_rel = str(folder / "results.json")
    raw = intake.read_small(out_dir, results_rel, ACRO_LIMIT)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        results = data["results"]
        assert isinstance(results, dict)
    except (ValueError, KeyError, TypeError, AssertionError):
        return None
    output = next((o for o in results.values() if isinstance(o, dict)
                   and any(isinstance(f, dict) and f.get("name") == name for f in o.get("files") or [])), None)
    checksum = intake.read_small(out_dir, str(folder / "checksums" / f"{name}.txt"), 200)
    checksum = checksum.decode(errors="replace").strip().lower() if checksum else None
    return AcroEvidence(results_rel, hashlib.sha256(raw).hexdigest(), output, checksum)


def run(path: Path, kind: FileKind, sha256: str, rules: Rules, acro: AcroEvidence | None = None) -> list[Finding]:
    """All findings for one snapshot."""
    if kind.is_table:
        return _table(path, kind, sha256, rules, acro)
    if kind == FileKind.TEXT:
        return [Finding("manual", REVIEW, "Text or log: needs manual review."), *_residual_dof(path, rules)]
    if kind == FileKind.ACRO:
        return [Finding("manual", REVIEW, "ACRO's own report: read it beside the tables it describes; "
                                          "it is not itself an output to publish.")]
    label = {FileKind.IMAGE: "Image", FileKind.PDF: "PDF", FileKind.HTML: "HTML"}[kind]
    return [Finding("manual", REVIEW, f"{label}: needs manual review (automated checks cannot read it).")]


def _residual_dof(path: Path, rules: Rules) -> list[Finding]:
    text = path.read_text(errors="replace")
    found = []
    for pattern in DOF_RES:
        for match in pattern.finditer(text):
            dof = int(match.group(1))
            if dof < rules.residual_dof:
                found.append(Finding("residual_dof", FAIL, f"A regression has {dof} residual degrees of freedom, "
                                                           f"fewer than {rules.residual_dof}."))
    return found


def _table(path, kind, sha256, rules, acro) -> list[Finding]:
    sheets = tables.read(path, kind)
    if acro is not None:
        verified, notes = _acro_verified(acro, sha256)
        if verified:
            return notes + _acro_cells(acro.output, sheets[0])
        return notes + [f for sheet in sheets for f in _own_table_checks(sheet, kind, rules)]
    return [f for sheet in sheets for f in _own_table_checks(sheet, kind, rules)]


def _acro_verified(acro: AcroEvidence, sha256: str) -> tuple[bool, list[Finding]]:
    where = f"ACRO's {acro.results_relpath} (sha256 {acro.results_sha256[:12]}…)"
    if acro.output is None:
        return False, [Finding("acro", REVIEW, f"{where} does not list this file: checked without it.")]
    if not acro.checksum or not SHA_RE.match(acro.checksum):
        return False, [Finding("acro", REVIEW, f"{where} lists this file but ACRO's checksum for it is missing: "
                                               "its findings cannot be tied to this file; checked without them.")]
    if acro.checksum != sha256:
        return False, [Finding("acro_checksum", FAIL, f"{where}: ACRO's checksum of this file does not match the "
                                                      "submitted file, so the file changed after ACRO checked it; "
                                                      "checked without ACRO's findings.")]
    status = str(acro.output.get("status", "unknown"))
    severity = {"pass": INFO, "fail": FAIL}.get(status, REVIEW)
    return True, [Finding("acro", severity, f"{where}: checksum verified; ACRO's status for output "
                                            f"{acro.output.get('uid', '?')} is {status!r}.")]


def _acro_cells(output: dict, sheet: tables.Sheet) -> list[Finding]:
    """ACRO's cell findings ([row, column] of the table body, index columns not counted) on our grid."""
    found = []
    outcome = output.get("outcome")  # {column label: {row label: status}}: its width is the body's
    width = len(outcome) if isinstance(outcome, dict) and outcome else len(sheet.header) - sheet.label_columns()
    offset = max(len(sheet.header) - width, 0)
    for file in output.get("files") or []:
        cells = ((file.get("sdc") or {}).get("cells") or {}) if isinstance(file, dict) else {}
        for check, positions in cells.items():
            for pos in positions or []:
                if isinstance(pos, list) and len(pos) == 2 and all(isinstance(p, int) for p in pos):
                    row, col = pos[0], pos[1] + offset
                    found.append(Finding(f"acro:{check}", FAIL, f"ACRO {check}: row {row + 1}, column "
                                                                f"{col + 1} may need suppressing.", cell=(row, col)))
    return found


def _own_table_checks(sheet: tables.Sheet, kind: FileKind, rules: Rules) -> list[Finding]:
    name = sheet.name if kind == FileKind.XLSX else None
    labels = sheet.label_columns()
    values = [(r, c, tables.number(v)) for r, row in enumerate(sheet.rows)
              for c, v in enumerate(row) if c >= labels and v not in ("", None)]
    if not values:
        return [Finding("table", REVIEW, "No numeric cells found: not recognised as a table of counts or "
                                         "magnitudes; needs manual review.", sheet=name)]
    if all(v is not None and v >= 0 and v == int(v) for _, _, v in values):
        return _frequency(values, name, rules)
    return [Finding("dominance", REVIEW,
                    f"Magnitude table (decimals or negative values): needs evidence that every cell has at least "
                    f"{rules.threshold} contributors, that no cell fails the ({rules.dominance_n}, "
                    f"{rules.dominance_k}) dominance rule and the p-ratio {rules.p_ratio} rule — for example "
                    "ACRO's results.json for it.", sheet=name)]


def _frequency(values, sheet_name, rules: Rules) -> list[Finding]:
    found = []
    for row, col, value in values:
        if value == 0 and rules.zeros_are_disclosive:
            found.append(Finding("zero", FAIL, f"Row {row + 1}, column {col + 1}: a zero cell is disclosive "
                                               "(nobody has this combination).", sheet_name, (row, col)))
        elif 0 < value < rules.threshold:
            found.append(Finding("threshold", FAIL, f"Row {row + 1}, column {col + 1}: a count below the "
                                                    f"threshold of {rules.threshold}.", sheet_name, (row, col)))
    if not found:
        found.append(Finding("threshold", INFO, f"Frequency table: every count is at least {rules.threshold}.",
                             sheet_name))
    return found
