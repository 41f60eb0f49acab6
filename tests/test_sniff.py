"""What the desk's contents guard takes a file for (extensions/desk_lockdown/sniff.py): bytes over names."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "extensions" / "desk_lockdown"))
from mdp_desk_lockdown.sniff import classify  # noqa: E402

DTA_118 = b"<stata_dta><header><release>118</release>"
PARQUET = b"PAR1\x15\x04\x15\x00"


@pytest.mark.parametrize("name, head, kind", [
    ("analysis.ipynb", b'{"cells": []}', "notebook"),
    ("notes.txt", "Résultats: 12 % des cas\n".encode(), "text"),
    ("table.csv", b"a,b\n1,2\n", "text"),
    ("plot.png", b"\x89PNG\r\n\x1a\n....", "image"),
    ("photo.jpg", b"\xff\xd8\xff\xe0", "image"),
    ("panel.dta", DTA_118, "data"),
    ("panel.txt", b"\x75\x02\x01\x00" + b"\x00" * 20, "data"),   # old binary .dta renamed
    ("renamed.csv", PARQUET + b"\x00\x00", "data"),
    ("data.parquet", PARQUET, "data"),
    ("survey.sav", b"$FL2@(#) SPSS", "data"),
    ("model.rds", b"\x1f\x8b\x08\x00", "data"),
    ("book.xlsx", b"PK\x03\x04", "data"),
    ("evil.svg", b"<svg><script>alert(1)</script></svg>", "text"),
    ("cut.txt", "abc é".encode()[:-1], "text"),  # a character cut at the end of the sample
])
def test_classify(name, head, kind):
    assert classify(name, head) == kind
