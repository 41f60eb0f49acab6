"""The access specification: what an approved project receives, checked against the dictionary.

It is the contract between the application workflow (which grants it, and stores
it on `Project.access_spec`) and the extraction (which delivers exactly it):

    version: 1
    period: {first: "2015-01", last: "2019-12"}         # reference months, inclusive
    population:                                         # optional: default everyone in the registers
      description: "Cross-border workers employed in Luxembourg"
      where:                                            # all must hold for the person in the month
        - {register: individuals, variable: i_residence_country, in: ["FR", "BE", "DE"]}
    format: dta                                         # dta | parquet | csv
    registers:
      individuals:
        delivery: monthly                               # monthly (individuals_201509.dta) | single
        variables:
          individual_IDnumber: {}
          i_age: {level: five_year_bands}               # aggregated: the granted level (default if omitted)

`validate(raw)` returns a `Spec` or raises `SpecError` naming the register, the
variable and the problem; `check_within(requested, granted)` refuses a request
that asks for more than was granted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from mdp import dictionary
from mdp.dictionary import Variable
from mdp.errors import PlatformError
from mdp.extraction import recode
from mdp.warehouse.schema import PERIOD
from mdp.warehouse.store import month_range, parse_month, show_month

FORMATS = ("dta", "parquet", "csv")
DELIVERIES = ("monthly", "single")


class SpecError(PlatformError, ValueError):
    pass


@dataclass(frozen=True)
class Grant:
    variable: Variable
    level: str | None  # the granted level of an aggregated variable, else None

    @property
    def name(self) -> str:
        return self.variable.name


@dataclass(frozen=True)
class RegisterGrant:
    name: str
    delivery: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True)
class Condition:
    register: str
    variable: Variable
    level: str | None
    values: tuple[str, ...]


@dataclass(frozen=True)
class Spec:
    first: int
    last: int
    format: str
    registers: tuple[RegisterGrant, ...]
    where: tuple[Condition, ...] = ()
    description: str = ""

    @property
    def months(self) -> list[int]:
        return month_range(self.first, self.last)

    def register(self, name: str) -> RegisterGrant | None:
        return next((r for r in self.registers if r.name == name), None)

    def to_dict(self) -> dict:
        """The canonical form (what is stored on the project and hashed into the manifest)."""
        out = {"version": 1, "period": {"first": show_month(self.first), "last": show_month(self.last)},
               "format": self.format,
               "registers": {r.name: {"delivery": r.delivery, "variables": {
                   g.name: ({"level": g.level} if g.level else {}) for g in r.grants}} for r in self.registers}}
        if self.where or self.description:
            out["population"] = {"description": self.description, "where": [
                {"register": c.register, "variable": c.variable.name, **({"level": c.level} if c.level else {}),
                 "in": list(c.values)} for c in self.where]}
        return out


def load_file(path: Path) -> dict:
    """A specification from a YAML or JSON file (JSON is YAML)."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML or JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: a specification is a mapping with version, period, format and registers")
    return raw


def _registers() -> dict:
    return {r.name: r for r in dictionary.registers()}


def _level(variable: Variable, level, where: str) -> str | None:
    names = [lv.name for lv in variable.levels]
    if variable.protection != "aggregated":
        if level is not None:
            raise SpecError(f"{where}: has no levels ({variable.protection} variable), so 'level' must not be given")
        return None
    if level is None:
        return next(lv.name for lv in variable.levels if lv.default)
    if level not in names:
        raise SpecError(f"{where}: unknown level {level!r} (levels: {', '.join(names)})")
    return level


def _recodable(variable: Variable, level: str | None, where: str, values: tuple = ()) -> None:
    """The extraction can deliver (or filter on) this variable at this level."""
    try:
        recode.output(variable, level)
        if values:
            recode.condition_sql(variable, level, values)
    except recode.RecodeError as exc:
        raise SpecError(f"{where}: {exc}") from None
    except ValueError:
        raise SpecError(f"{where}: the values {list(values)} must be whole numbers at level {level}") from None


def _keys(raw: dict, allowed: set, where: str) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")


def validate(raw: dict) -> Spec:
    """Check a specification against the dictionary; returns it parsed, or raises SpecError."""
    if not isinstance(raw, dict) or not raw:
        raise SpecError("the specification is empty: nothing is granted")
    _keys(raw, {"version", "period", "population", "format", "registers"}, "specification")
    if raw.get("version") != 1:
        raise SpecError(f"version must be 1, not {raw.get('version')!r}")
    period = raw.get("period")
    if not isinstance(period, dict) or not {"first", "last"} <= set(period):
        raise SpecError("period needs first and last months, e.g. {first: '2015-01', last: '2019-12'}")
    try:
        first, last = parse_month(period["first"], "period first"), parse_month(period["last"], "period last")
    except PlatformError as exc:
        raise SpecError(str(exc)) from None
    if last < first:
        raise SpecError(f"period: last month {period['last']} is before first month {period['first']}")
    fmt = raw.get("format", "dta")
    if fmt not in FORMATS:
        raise SpecError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")

    known = _registers()
    if not isinstance(raw.get("registers"), dict) or not raw["registers"]:
        raise SpecError("registers: at least one register with its variables is needed")
    registers = []
    for name, body in raw["registers"].items():
        where = f"register {name}"
        if name not in known:
            raise SpecError(f"{where}: unknown register (the dictionary has: {', '.join(known)})")
        body = body or {}
        _keys(body, {"delivery", "variables"}, where)
        delivery = body.get("delivery", "monthly")
        if delivery not in DELIVERIES:
            raise SpecError(f"{where}: delivery must be monthly or single, not {delivery!r}")
        variables = body.get("variables")
        if not isinstance(variables, dict) or not variables:
            raise SpecError(f"{where}: variables must map each granted variable to {{}} or {{level: …}}")
        grants = []
        for vname, options in variables.items():
            variable = known[name].variable(str(vname))
            vwhere = f"register {name}, variable {vname}"
            if variable is None:
                raise SpecError(f"{vwhere}: unknown variable (see the dictionary)")
            options = options or {}
            if not isinstance(options, dict):
                raise SpecError(f"{vwhere}: expected {{}} or {{level: …}}, not {options!r}")
            _keys(options, {"level"}, vwhere)
            grant = Grant(variable, _level(variable, options.get("level"), vwhere))
            _recodable(grant.variable, grant.level, vwhere)
            grants.append(grant)
        if all(g.name == PERIOD for g in grants):
            raise SpecError(f"{where}: grants no variable besides {PERIOD}")
        registers.append(RegisterGrant(name, delivery, tuple(grants)))

    population = raw.get("population") or {}
    if not isinstance(population, dict):
        raise SpecError("population must be a mapping with description and where")
    _keys(population, {"description", "where"}, "population")
    conditions = population_conditions(population.get("where") or [])
    return Spec(first, last, fmt, tuple(registers), conditions, str(population.get("description", "")))


def population_conditions(raw: list) -> tuple[Condition, ...]:
    """The population's `where` list, checked against the dictionary (used by validate and by reviewers' forms)."""
    if not isinstance(raw, list):
        raise SpecError("population where must be a list of {register, variable, in}")
    known = {r.name: r for r in dictionary.registers()}
    conditions = []
    for i, cond in enumerate(raw, 1):
        where = f"population condition {i}"
        if not isinstance(cond, dict):
            raise SpecError(f"{where}: expected {{register, variable, in}}")
        _keys(cond, {"register", "variable", "level", "in"}, where)
        register = known.get(cond.get("register"))
        if register is None:
            raise SpecError(f"{where}: unknown register {cond.get('register')!r}")
        if register.variable("individual_IDnumber") is None:
            raise SpecError(f"{where}: register {register.name} has no individual_IDnumber to select persons by")
        variable = register.variable(str(cond.get("variable")))
        if variable is None:
            raise SpecError(f"{where}: register {register.name}, variable {cond.get('variable')}: unknown variable")
        vwhere = f"{where} (register {register.name}, variable {variable.name})"
        level = _level(variable, cond.get("level"), vwhere)
        values = cond.get("in")
        if not isinstance(values, list) or not values:
            raise SpecError(f"{vwhere}: 'in' must be a non-empty list of values")
        values = tuple(str(v) for v in values)
        coded = variable.values and (variable.protection != "aggregated" or level == _level(variable, None, vwhere))
        if coded and set(values) - set(variable.values):
            raise SpecError(f"{vwhere}: value(s) {', '.join(sorted(set(values) - set(variable.values)))} are not "
                            f"in its code list ({', '.join(variable.values)})")
        _recodable(variable, level, vwhere, values)
        conditions.append(Condition(register.name, variable, level, values))
    return tuple(conditions)


def check_within(requested: Spec, granted: Spec) -> None:
    """Refuse a request for more than the grant: another variable, a finer level, other months or persons."""
    if requested.first < granted.first or requested.last > granted.last:
        raise SpecError(f"period {show_month(requested.first)} to {show_month(requested.last)} is outside the granted "
                        f"{show_month(granted.first)} to {show_month(granted.last)}")
    for reg in requested.registers:
        allowed = granted.register(reg.name)
        if allowed is None:
            raise SpecError(f"register {reg.name}: not granted to this project")
        by_name = {g.name: g for g in allowed.grants}
        for g in reg.grants:
            where = f"register {reg.name}, variable {g.name}"
            if g.name not in by_name:
                raise SpecError(f"{where}: not granted to this project")
            if g.level is not None:
                levels = [lv.name for lv in g.variable.levels]  # coarsest first
                if levels.index(g.level) > levels.index(by_name[g.name].level):
                    raise SpecError(f"{where}: level {g.level} is finer than the granted {by_name[g.name].level}")
    def key(c: Condition) -> tuple:
        return c.register, c.variable.name, c.level, c.values

    kept = {key(c) for c in requested.where}
    missing = [c for c in granted.where if key(c) not in kept]
    if missing:
        raise SpecError("the population must keep the granted conditions: missing "
                        + "; ".join(f"{c.register}.{c.variable.name} in {list(c.values)}" for c in missing))


def spec_json(spec: Spec) -> str:
    return json.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":"))
