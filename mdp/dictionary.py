"""The data dictionary: policies/dictionary/*.yaml, one file per thematic register.

Each variable has a protection level, as in the platform's dictionary
("privacy by default"):
- open: provided as described;
- aggregated: provided by default at a coarser level (the level marked default),
  finer levels only on a justified request;
- restricted: not provided by default at all.
Identifier variables (person, job, employer ids) carry `identifier: true`: the
extraction replaces their values by per-project pseudonyms and output checking
refuses result columns named like them, so both must know them without guessing.
Texts shown to readers carry their languages side by side as {language: text}
mappings (mdp.texts): descriptions, level descriptions and comments. Value labels
are the exception: `values` keeps the English labels, which the extraction reads
(band bounds, group names) and writes as Stata value labels, and an optional
`values_fr` gives the French labels of the same codes; `Variable.labels` puts the
two together in the same {language: text} form for the portal.
Files are checked when loaded; an error names the file, the variable and the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

from mdp import ddi, settings, texts
from mdp.errors import PlatformError

PROTECTIONS = ("open", "aggregated", "restricted")
FORMATS = ("numeric", "character", "date")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class DictionaryError(PlatformError):
    pass


@dataclass(frozen=True)
class Level:
    name: str
    description: dict = field(default_factory=dict)  # {language: text}; empty when the file gives none
    default: bool = False


@dataclass(frozen=True)
class Variable:
    name: str
    description: dict
    format: str
    protection: str
    source: str
    values: dict = field(default_factory=dict)  # code -> English label (read by the extraction)
    levels: tuple = ()
    comments: dict = field(default_factory=dict)  # {language: text}; empty when the file gives none
    identifier: bool = False
    values_fr: dict = field(default_factory=dict)  # code -> French label, the codes of `values`, or empty

    def text(self, lang: str = "en") -> str:
        return self.description.get(lang) or self.description.get("en", "")

    @property
    def labels(self) -> dict:
        """Code -> {language: label}: the value labels in the form of the other texts (see mdp.texts)."""
        return {code: {"en": label, **({"fr": self.values_fr[code]} if code in self.values_fr else {})}
                for code, label in self.values.items()}


@dataclass(frozen=True)
class Register:
    name: str
    title: dict
    source: str
    variables: tuple
    path: Path
    position: int | None = None  # place in listings (the seeds' order); unpositioned registers come last

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    def subset(self, names) -> Register:
        """The same register with only these variables, in the register's order.

        The extraction describes a delivered file by the variables granted to a
        project, not the whole register.
        """
        wanted = set(names)
        unknown = wanted - {v.name for v in self.variables}
        if unknown:
            raise DictionaryError(f"{self.path}: register {self.name} has no variable(s) {', '.join(sorted(unknown))}")
        return replace(self, variables=tuple(v for v in self.variables if v.name in wanted))


def _text(value, where: str) -> dict:
    try:
        return texts.multilingual(value, where)
    except ValueError as exc:
        raise DictionaryError(str(exc)) from None


def _values_fr(raw, values: dict, where: str) -> dict:
    """The French value labels: exactly the codes of `values`, each with a text (empty when not given)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        raise DictionaryError(f"{where}: values_fr must map each code to its French label")
    labels = {str(k): v.strip() for k, v in raw.items()}
    missing = [code for code in values if code not in labels]
    extra = [code for code in labels if code not in values]
    if missing or extra:
        problems = ([f"missing code(s) {', '.join(missing)}"] if missing else []) + (
            [f"code(s) {', '.join(extra)} not in values"] if extra else [])
        raise DictionaryError(f"{where}: values_fr must label exactly the codes of values: {'; '.join(problems)}")
    return {code: labels[code] for code in values}


def _variable(raw, path: Path, register_source: str) -> Variable:
    if not isinstance(raw, dict) or not NAME_RE.match(str(raw.get("name", ""))):
        raise DictionaryError(f"{path}: a variable has no valid name (letters, digits, _ and -): {raw!r}"[:300])
    where = f"{path}: variable {raw['name']}"
    known = {"name", "description", "format", "protection", "values", "values_fr", "levels", "comments", "source",
             "identifier"}
    if set(raw) - known:
        raise DictionaryError(f"{where}: unknown key(s) {', '.join(sorted(set(raw) - known))}")
    if raw.get("format") not in FORMATS:
        raise DictionaryError(f"{where}: format must be one of {', '.join(FORMATS)}, not {raw.get('format')!r}")
    if raw.get("protection") not in PROTECTIONS:
        raise DictionaryError(f"{where}: protection must be one of {', '.join(PROTECTIONS)}, "
                              f"not {raw.get('protection')!r}")
    identifier = raw.get("identifier", False)
    if not isinstance(identifier, bool):
        raise DictionaryError(f"{where}: identifier must be true or false, not {identifier!r}")
    if identifier and (raw["protection"] == "aggregated" or raw.get("values")):
        raise DictionaryError(f"{where}: an identifier is delivered pseudonymised, never aggregated or coded: "
                              "give it protection open or restricted, and no values")
    values = raw.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise DictionaryError(f"{where}: values must map each code to its label")
    values = {str(k): v for k, v in values.items()}
    values_fr = _values_fr(raw.get("values_fr"), values, where)
    levels = []
    for level in raw.get("levels") or []:
        if not isinstance(level, dict) or not level.get("name"):
            raise DictionaryError(f"{where}: each level needs a name")
        description = level.get("description")
        levels.append(Level(str(level["name"]),
                            {} if description is None else _text(description, f"{where} level {level['name']} description"),
                            bool(level.get("default"))))
    defaults = [lv for lv in levels if lv.default]
    if raw["protection"] == "aggregated" and (len(levels) < 2 or len(defaults) != 1):
        raise DictionaryError(f"{where}: an aggregated variable needs at least two levels, exactly one of them "
                              "marked default: true (the level provided without a justification)")
    if raw["protection"] != "aggregated" and levels:
        raise DictionaryError(f"{where}: only aggregated variables have levels")
    return Variable(name=raw["name"], description=_text(raw.get("description"), f"{where} description"),
                    format=raw["format"], protection=raw["protection"], source=raw.get("source", register_source),
                    values=values, values_fr=values_fr, levels=tuple(levels),
                    comments={} if raw.get("comments") is None else _text(raw["comments"], f"{where} comments"),
                    identifier=identifier)


def load_register(path: Path) -> Register:
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise DictionaryError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict) or not raw.get("register") or not isinstance(raw.get("variables"), list):
        raise DictionaryError(f"{path}: needs 'register', 'title', 'source' and a list of 'variables'")
    unknown = set(raw) - {"register", "position", "title", "source", "variables"}
    if unknown:
        raise DictionaryError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    if not NAME_RE.match(str(raw["register"])):
        raise DictionaryError(f"{path}: register name {raw['register']!r} must be letters, digits, _ and -")
    position = raw.get("position")
    if position is not None and (type(position) is not int or position < 1):
        raise DictionaryError(f"{path}: position must be a whole number from 1, not {position!r}")
    variables = [_variable(v, path, raw.get("source", "")) for v in raw["variables"]]
    seen = set()
    for v in variables:
        if v.name in seen:
            raise DictionaryError(f"{path}: variable {v.name} is listed twice")
        seen.add(v.name)
    return Register(name=raw["register"], title=_text(raw.get("title"), f"{path}: title"),
                    source=raw.get("source", ""), variables=tuple(variables), path=path, position=position)


def load(folder: Path) -> tuple[Register, ...]:
    registers = sorted((load_register(p) for p in folder.glob("*.yaml")),
                       key=lambda r: (r.position is None, r.position or 0, r.path.name))
    names = [r.name for r in registers]
    for name in set(names):
        if names.count(name) > 1:
            raise DictionaryError(f"{folder}: register {name!r} is defined in more than one file")
    return tuple(registers)


def identifier_names(regs) -> frozenset[str]:
    """Names of the identifier variables of these registers (pseudonymised at extraction)."""
    return frozenset(v.name for r in regs for v in r.variables if v.identifier)


@lru_cache(maxsize=1)
def registers() -> tuple[Register, ...]:
    """The site's dictionary (read once per process)."""
    return load(settings.get().policies_dir / "dictionary")


def ddi_codebook(regs, title: str, file_names: dict | None = None) -> bytes:
    """These registers as a DDI Codebook 2.5 document (see mdp.ddi).

    Give `Register.subset(...)` to describe only the variables delivered to a
    project, and `file_names` (register name -> delivered file name) to name the files.
    """
    return ddi.codebook(regs, title=title, file_names=file_names)
