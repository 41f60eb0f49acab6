"""What a file really is, from its first bytes and not only its name.

A data file renamed `notes.txt` is still a data file: the contents API serves a
file's content only when its bytes look like a notebook, text or an image.
"""

from __future__ import annotations

DATA_SUFFIXES = (".dta", ".sav", ".zsav", ".por", ".sas7bdat", ".xpt", ".parquet", ".feather", ".arrow",
                 ".rds", ".rdata", ".rda", ".xlsx", ".xls", ".xlsm", ".ods", ".sqlite", ".db", ".duckdb",
                 ".pkl", ".pickle", ".npy", ".npz", ".h5", ".hdf5", ".zip", ".gz", ".bz2", ".xz", ".7z", ".tar")
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF87a": "image/gif",
               b"GIF89a": "image/gif"}
HEAD = 4096


def classify(name: str, head: bytes) -> str:
    """'notebook', 'text', 'image' or 'data'."""
    lower = name.lower()
    for magic in IMAGE_MAGIC:
        if head.startswith(magic):
            return "image"
    if lower.endswith(DATA_SUFFIXES) or b"\x00" in head:
        return "data"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(head) - 4:
            return "data"
    if lower.endswith(".ipynb"):
        return "notebook"
    if lower.endswith(".svg") and b"<script" not in head.lower():
        return "image"
    return "text"

