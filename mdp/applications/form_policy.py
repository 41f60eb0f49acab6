"""The application form as data: policies/application.yaml.

The seeds' application tool is "conçue pour être adaptable": an institution
changes sections, questions, limits and wording in the policy file, not in
code. This module reads that file, rejects a bad one with a sentence naming the
file, the section and the field, and checks answers against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from mdp import settings, texts
from mdp.errors import PlatformError

FIELD_TYPES = ("text", "textarea", "email", "date", "month", "choice", "multichoice", "boolean")
SECTION_KINDS = ("fields", "members", "variables", "documents")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class FormPolicyError(PlatformError):
    pass


def _text(value, where: str) -> dict:
    try:
        return texts.multilingual(value, where)
    except ValueError as exc:
        raise FormPolicyError(str(exc)) from None


@dataclass(frozen=True)
class Field:
    key: str
    type: str
    label: dict
    required: bool = False
    max_words: int | None = None
    max_length: int | None = None
    choices: dict = field(default_factory=dict)  # code -> {lang: label}
    help: dict = field(default_factory=dict)
    after: str | None = None  # key of a date/month field this one must not precede

    def check(self, value, answers: dict, labels: dict) -> str | None:
        """The problem with `value` as a sentence, or None. `answers` holds the section's other values."""
        empty = value in (None, "", [], False)
        if empty:
            return _("This field is required.") if self.required else None
        if self.type in ("text", "textarea", "email", "date", "month", "choice") and not isinstance(value, str):
            return _("This value has the wrong form.")
        if self.max_length and len(value) > self.max_length:
            return _("At most {limit} characters (this has {n}).").format(limit=self.max_length, n=len(value))
        if self.max_words:
            words = len(value.split())
            if words > self.max_words:
                return _("At most {limit} words (this has {n}).").format(limit=self.max_words, n=words)
        if self.type == "email" and not EMAIL_RE.match(value):
            return _("Enter an e-mail address such as name@institution.lu.")
        if self.type == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                return _("Enter a date as YYYY-MM-DD.")
        if self.type == "month" and not MONTH_RE.match(value):
            return _("Enter a month as YYYY-MM.")
        if self.type == "choice" and value not in self.choices:
            return _("Choose one of the listed options.")
        if self.type == "multichoice" and (not isinstance(value, list) or set(value) - set(self.choices)):
            return _("Choose among the listed options.")
        if self.after and isinstance(answers.get(self.after), str) and answers[self.after] and value < answers[self.after]:
            return _("Must not be before “{other}”.").format(other=labels.get(self.after, self.after))
        return None


@dataclass(frozen=True)
class Section:
    key: str
    kind: str
    title: dict
    help: dict
    fields: tuple = ()

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)

    def check(self, answers: dict) -> dict:
        """{field key: problem} for a plain section's answers."""
        labels = {f.key: texts.in_language(f.label) for f in self.fields}
        problems = {}
        for f in self.fields:
            problem = f.check(answers.get(f.key), answers, labels)
            if problem:
                problems[f.key] = problem
        return problems


@dataclass(frozen=True)
class FormPolicy:
    sections: tuple
    justification: dict  # default_level / finer_level / restricted -> minimum characters
    max_document_mb: int
    max_documents: int
    path: Path

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def field(self, key: str) -> Field | None:
        """A field by key, in whichever plain section declares it (keys are unique across the form)."""
        return next((f for s in self.sections for f in s.fields if f.key == key), None)


def _field(raw, where: str) -> Field:
    if not isinstance(raw, dict) or not KEY_RE.match(str(raw.get("key", ""))):
        raise FormPolicyError(f"{where}: a field has no valid key (lower-case letters, digits, _): {raw!r}"[:300])
    where = f"{where}, field {raw['key']}"
    known = {"key", "type", "label", "required", "max_words", "max_length", "choices", "help", "after"}
    if set(raw) - known:
        raise FormPolicyError(f"{where}: unknown option(s) {', '.join(sorted(set(raw) - known))}")
    if raw.get("type") not in FIELD_TYPES:
        raise FormPolicyError(f"{where}: type must be one of {', '.join(FIELD_TYPES)}, not {raw.get('type')!r}")
    for limit in ("max_words", "max_length"):
        if limit in raw and (not isinstance(raw[limit], int) or raw[limit] < 1):
            raise FormPolicyError(f"{where}: {limit} must be a positive whole number")
    choices = raw.get("choices") or {}
    if raw["type"] in ("choice", "multichoice") and not (isinstance(choices, dict) and choices):
        raise FormPolicyError(f"{where}: a {raw['type']} field needs 'choices' (code: label)")
    return Field(key=raw["key"], type=raw["type"], label=_text(raw.get("label"), f"{where}: label"),
                 required=bool(raw.get("required")), max_words=raw.get("max_words"), max_length=raw.get("max_length"),
                 choices={str(k): _text(v, f"{where}: choice {k}") for k, v in choices.items()},
                 help=_text(raw["help"], f"{where}: help") if raw.get("help") else {}, after=raw.get("after"))


def _section(raw, path: Path) -> Section:
    if not isinstance(raw, dict) or not KEY_RE.match(str(raw.get("key", ""))):
        raise FormPolicyError(f"{path}: a section has no valid key: {raw!r}"[:300])
    where = f"{path}: section {raw['key']}"
    kind = raw.get("kind", "fields")
    if kind not in SECTION_KINDS:
        raise FormPolicyError(f"{where}: kind must be one of {', '.join(SECTION_KINDS)}, not {kind!r}")
    fields = tuple(_field(f, where) for f in raw.get("fields") or [])
    if kind == "fields" and not fields:
        raise FormPolicyError(f"{where}: a section of questions needs at least one field")
    if kind != "fields" and fields:
        raise FormPolicyError(f"{where}: a {kind} section has a fixed layout and takes no fields")
    keys = [f.key for f in fields]
    for f in fields:
        if keys.count(f.key) > 1:
            raise FormPolicyError(f"{where}: field {f.key} is declared twice")
        if f.after and (f.after not in keys or fields[keys.index(f.after)].type != f.type):
            raise FormPolicyError(f"{where}, field {f.key}: 'after' must name another {f.type} field of the section")
    return Section(key=raw["key"], kind=kind, title=_text(raw.get("title"), f"{where}: title"),
                   help=_text(raw["help"], f"{where}: help") if raw.get("help") else {}, fields=fields)


# Fields the approval reads to create the project; the form may add others freely.
REQUIRED_FIELDS = ("acronym", "title", "start", "end", "period_first", "period_last", "population")


def load(path: Path) -> FormPolicy:
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise FormPolicyError(f"{path}: the application form policy is missing") from None
    except yaml.YAMLError as exc:
        raise FormPolicyError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("sections"), list):
        raise FormPolicyError(f"{path}: needs a list of 'sections'")
    sections = tuple(_section(s, path) for s in raw["sections"])
    keys = [s.key for s in sections]
    for key in keys:
        if keys.count(key) > 1 or key == "submit":
            raise FormPolicyError(f"{path}: section key {key!r} is used twice or reserved")
    for kind in ("members", "variables"):
        if [s.kind for s in sections].count(kind) != 1:
            raise FormPolicyError(f"{path}: the form needs exactly one section of kind {kind}")
    field_keys = [f.key for s in sections for f in s.fields]
    for key in set(field_keys):
        if field_keys.count(key) > 1:
            raise FormPolicyError(f"{path}: field {key} is declared in more than one section")
    missing = [k for k in REQUIRED_FIELDS if k not in field_keys]
    if missing:
        raise FormPolicyError(f"{path}: the approval needs the field(s) {', '.join(missing)}")
    just = raw.get("justification") or {}
    if not isinstance(just, dict) or set(just) - {"default_level", "finer_level", "restricted"} or \
            not all(isinstance(v, int) and v >= 0 for v in just.values()):
        raise FormPolicyError(f"{path}: justification maps default_level, finer_level and restricted to a "
                              "minimum number of characters")
    docs = raw.get("documents") or {}
    max_mb, max_files = docs.get("max_size_mb", 10), docs.get("max_files", 10)
    if not (isinstance(max_mb, int) and 0 < max_mb <= 100 and isinstance(max_files, int) and max_files > 0):
        raise FormPolicyError(f"{path}: documents.max_size_mb must be 1-100 and documents.max_files positive")
    return FormPolicy(sections=sections, justification={"default_level": 20, "finer_level": 60, "restricted": 120, **just},
                      max_document_mb=max_mb, max_documents=max_files, path=path)


@lru_cache(maxsize=1)
def get() -> FormPolicy:
    """The site's form (read once per process)."""
    return load(settings.get().policies_dir / "application.yaml")
