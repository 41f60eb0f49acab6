"""How the warehouse stores each variable of the data dictionary.

The warehouse keeps every variable in its finest form — full dates, age in years,
ISO country codes, communes — and the extraction derives the coarser levels of the
dictionary from it (mdp/extraction/recode.py). So the storage type of a variable
follows from its dictionary entry, and a register added to the dictionary needs no
code here:

- `reference_period` is the month as an integer YYYYMM;
- identifiers (`identifier: true`) are integers (the raw ids; pseudonymised at extraction);
- dates are DATE, numbers DOUBLE;
- coded characters are SMALLINT when every code is a whole number (Stata value
  labels need numbers), else VARCHAR, and must be one of the codes;
- an aggregated character variable is stored at its finest level, the last one
  the dictionary lists (levels go from coarsest to finest): see FINE_FORMS.
"""

from __future__ import annotations

from dataclasses import dataclass

from mdp import dictionary
from mdp.dictionary import Register, Variable
from mdp.errors import PlatformError

PERIOD = "reference_period"

# The finest level of an aggregated character variable -> how it is stored.
FINE_FORMS = {
    "years": "SMALLINT",      # age in completed years
    "country": "VARCHAR",     # ISO 3166 alpha-2
    "commune": "VARCHAR",     # "LU:<canton>:<commune>", or the foreign region ("FR:Moselle")
    "unit_group": "VARCHAR",  # ISCO-08 unit group, 4 digits
    "class": "VARCHAR",       # NACE Rev. 2 class, "47.11"
}


class WarehouseError(PlatformError):
    pass


@dataclass(frozen=True)
class Column:
    variable: Variable
    sql_type: str
    codes: tuple = ()  # the allowed stored values; empty: any value of the type

    @property
    def name(self) -> str:
        return self.variable.name


def is_identifier(variable: Variable) -> bool:
    return variable.identifier


def identifier_kind(variable: Variable) -> str:
    """Which population an identifier points into: ids of one kind share one pseudonym map.

    A person is a person whichever register names them (individual_IDnumber in jobs, a
    linked person in family links), and an employer is an employer even as the user
    firm of a temporary worker.
    """
    name = variable.name.lower()
    for kind in ("individual", "employer", "job"):
        if kind in name:
            return "person" if kind == "individual" else kind
    return name.removesuffix("_idnumber")


def finest_level(variable: Variable) -> str | None:
    return variable.levels[-1].name if variable.levels else None


def column(variable: Variable, register: str = "") -> Column:
    if variable.name == PERIOD:
        return Column(variable, "INTEGER")
    if is_identifier(variable):
        return Column(variable, "BIGINT")
    if variable.format == "date":
        return Column(variable, "DATE")
    if variable.format == "numeric":
        return Column(variable, "DOUBLE")
    if variable.protection == "aggregated":
        level = finest_level(variable)
        if level not in FINE_FORMS:
            raise WarehouseError(f"register {register}, variable {variable.name}: the warehouse has no stored form "
                                 f"for its finest level {level!r} (known: {', '.join(FINE_FORMS)})")
        return Column(variable, FINE_FORMS[level])
    if variable.values and all(code.lstrip("-").isdigit() for code in variable.values):
        return Column(variable, "SMALLINT", tuple(sorted(int(c) for c in variable.values)))
    return Column(variable, "VARCHAR", tuple(sorted(variable.values)))


def columns(register: Register) -> list[Column]:
    return [column(v, register.name) for v in register.variables]


def get_register(name: str) -> Register:
    for register in dictionary.registers():
        if register.name == name:
            return register
    known = ", ".join(r.name for r in dictionary.registers())
    raise WarehouseError(f"unknown register {name!r} (the dictionary has: {known})")
