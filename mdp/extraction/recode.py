"""From the warehouse's finest form to the granted level, as SQL run inside DuckDB.

Recodes are keyed by level names, not by variable, so a register added to the
dictionary with the same kinds of levels (dates by day/month/year, ages, countries,
places) needs no code here. The coded levels take their codes and labels from the
dictionary's `values`, which describe a variable's default level.

What a researcher receives for each kind:
- identifiers: the project's pseudonym, a whole number (Stata long);
- dates at `day`: a date (Stata %td); at `month`: YYYYMM; at `year`: YYYY;
- age at `years`: whole years; at `five_year_bands`: the dictionary's band codes,
  whose bounds are read from the band labels (so are amounts at `bands`);
- amounts at `euro`: as stored; at `bands_500`: the lower bound of their 500 EUR band;
- occupations at `unit_group` (ISCO, 4 digits) or `major_group` (the dictionary's codes);
- sectors at `class` (NACE "47.11"), `division` ("47") or `section` (letter);
- country at `country`: ISO 3166 code; at `grouped`: the dictionary's groups;
- place at `commune`: "LU:<canton>:<commune>" or the foreign region; at `canton`:
  "LU:<canton>" or the foreign region (département, province, Regierungsbezirk), or
  the dictionary's canton code where it lists cantons;
- coded variables with whole-number codes: numbers with value labels; other
  codes and texts: strings; amounts and counts: numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mdp.dictionary import Variable
from mdp.errors import PlatformError
from mdp.warehouse.schema import PERIOD, column, is_identifier

# Groups of i_citizenship / i_birth_country at the `grouped` level, by the dictionary's labels.
COUNTRY_GROUPS = {"LU": "Luxembourg", "DE": "Germany", "BE": "Belgium", "FR": "France", "PT": "Portugal"}
OTHER_EU27 = ("AT", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "GR", "HU", "IE", "IT", "LV", "LT", "MT", "NL", "PL",
              "RO", "SK", "SI", "ES", "SE")
STATA_NAME_LEN = 32


class RecodeError(PlatformError):
    pass


@dataclass(frozen=True)
class Output:
    """One delivered column: how it is computed and how it is described."""

    name: str             # the dictionary's name
    file_name: str        # the name in the file (Stata allows letters, digits and _ only)
    sql: str              # expression over the warehouse row `t` (identifiers: replaced by the caller)
    kind: str             # id | code | int | number | string | date
    label: str
    level: str | None = None
    value_labels: tuple = ()  # ((code, label), ...): Stata value labels when kind == code; all go in the codebook


def file_name(name: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    return safe[:STATA_NAME_LEN]


def _code_of(variable: Variable, label: str) -> int:
    for code, text in variable.values.items():
        if text == label:
            return int(code)
    raise RecodeError(f"variable {variable.name}: the grouped level needs a code labelled {label!r} in the dictionary")


def _labels(variable: Variable) -> tuple:
    """(code, label) pairs; whole-number codes become numbers (Stata value labels), others stay text."""
    return tuple((int(code) if code.isdigit() else code, text) for code, text in variable.values.items())


def _grouped_country(variable: Variable, col: str) -> str:
    whens = " ".join(f"WHEN '{iso}' THEN {_code_of(variable, group)}" for iso, group in COUNTRY_GROUPS.items())
    eu = ", ".join(f"'{iso}'" for iso in OTHER_EU27)
    return (f"CASE {col} {whens} ELSE CASE WHEN {col} IS NULL THEN NULL WHEN {col} IN ({eu}) "
            f"THEN {_code_of(variable, 'Other EU-27')} ELSE {_code_of(variable, 'Other')} END END")


def _lower_bound(label: str) -> float | None:
    """Where a band of the dictionary starts, read from its label: '20-24 years' -> 20,
    '60 years and more' -> 60, 'less than 20 years' -> -inf, 'None' -> None (exactly zero)."""
    text = label.strip().lower()
    if text == "none":
        return None
    if text.startswith("less than"):
        return float("-inf")
    match = re.match(r"^(\d+)", text)
    if not match:
        raise RecodeError(f"cannot read where the band {label!r} starts")
    return float(match.group(1))


def _bands(variable: Variable, col: str) -> str:
    """Bands whose bounds are the dictionary's own labels (ages, amounts): the codes cannot drift from them."""
    try:
        bounds = [(_lower_bound(text), int(code)) for code, text in variable.values.items()]
    except RecodeError as exc:
        raise RecodeError(f"variable {variable.name}: {exc}") from None
    whens = [f"WHEN {col} <= 0 THEN {code}" for low, code in bounds if low is None]
    ranged = sorted((low, code) for low, code in bounds if low is not None)
    whens += [f"WHEN {col} < {ranged[i + 1][0]:g} THEN {code}" for i, (_, code) in enumerate(ranged[:-1])]
    return f"CAST(CASE WHEN {col} IS NULL THEN NULL {' '.join(whens)} ELSE {ranged[-1][1]} END AS SMALLINT)"


# NACE Rev. 2: the first division of each section.
NACE_SECTIONS = (("A", 1), ("B", 5), ("C", 10), ("D", 35), ("E", 36), ("F", 41), ("G", 45), ("H", 49), ("I", 55),
                 ("J", 58), ("K", 64), ("L", 68), ("M", 69), ("N", 77), ("O", 84), ("P", 85), ("Q", 86), ("R", 90),
                 ("S", 94), ("T", 97), ("U", 99))


def _nace_section(col: str) -> str:
    division = f"TRY_CAST(substr({col}, 1, 2) AS INTEGER)"
    whens = " ".join(f"WHEN {division} >= {first} THEN '{letter}'" for letter, first in reversed(NACE_SECTIONS))
    return f"CASE {whens} END"


def _canton(variable: Variable, col: str) -> tuple[str, str, tuple]:
    """'LU:<canton>:<commune>' -> 'LU:<canton>' (foreign regions stay), or the dictionary's canton code."""
    if variable.values:  # cantons coded by the dictionary, Luxembourg only
        whens = " ".join(f"WHEN '{text}' THEN {int(code)}" for code, text in variable.values.items())
        return f"CASE split_part({col}, ':', 2) {whens} END", "code", _labels(variable)
    return (f"CASE WHEN starts_with({col}, 'LU:') THEN split_part({col}, ':', 1) || ':' || split_part({col}, ':', 2) "
            f"ELSE {col} END", "string", ())


def output(variable: Variable, level: str | None) -> Output:
    """How `variable` is delivered at `level` (None: not aggregated)."""
    col = f't."{variable.name}"'
    label = (variable.text("en") + (f" ({level})" if level else ""))[:80]
    base = dict(name=variable.name, file_name=file_name(variable.name), label=label, level=level)
    if variable.name == PERIOD:
        return Output(**base, sql=col, kind="int")
    if is_identifier(variable):
        return Output(**base, sql=col, kind="id")
    if variable.format == "date":
        if level in (None, "day"):
            return Output(**base, sql=col, kind="date")
        if level == "month":
            return Output(**base, sql=f"CAST(year({col}) * 100 + month({col}) AS INTEGER)", kind="int")
        if level == "year":
            return Output(**base, sql=f"CAST(year({col}) AS INTEGER)", kind="int")
    elif variable.format == "numeric" and variable.protection == "aggregated":
        if level == "euro":
            return Output(**base, sql=col, kind="number")
        if level == "bands_500":
            return Output(**base, sql=f"floor({col} / 500) * 500", kind="number")
        if level == "bands":
            return Output(**base, sql=_bands(variable, col), kind="code", value_labels=_labels(variable))
    elif variable.protection == "aggregated":
        if level in ("years", "country", "commune", "unit_group", "class"):  # the stored, finest form
            return Output(**base, sql=col, kind="int" if level == "years" else "string")
        if level == "five_year_bands":
            return Output(**base, sql=_bands(variable, col), kind="code", value_labels=_labels(variable))
        if level == "grouped":
            return Output(**base, sql=_grouped_country(variable, col), kind="code", value_labels=_labels(variable))
        if level == "canton":
            sql, kind, labels = _canton(variable, col)
            return Output(**base, sql=sql, kind=kind, value_labels=labels)
        if level == "major_group":
            return Output(**base, sql=f"TRY_CAST(substr({col}, 1, 1) AS SMALLINT)", kind="code",
                          value_labels=_labels(variable))
        if level == "division":
            return Output(**base, sql=f"substr({col}, 1, 2)", kind="string")
        if level == "section":
            return Output(**base, sql=_nace_section(col), kind="string", value_labels=_labels(variable))
    elif variable.format == "numeric":
        return Output(**base, sql=col, kind="number")
    elif column(variable).sql_type == "SMALLINT":
        return Output(**base, sql=col, kind="code", value_labels=_labels(variable))
    else:  # text codes (LU, FR …) are listed in the codebook; Stata labels only numbers
        return Output(**base, sql=col, kind="string", value_labels=_labels(variable))
    raise RecodeError(f"variable {variable.name}: no recode to level {level!r}")


def condition_sql(variable: Variable, level: str | None, values: tuple[str, ...], alias: str = "t") -> str:
    """A population condition: the variable, recoded to the condition's level, is one of `values`."""
    out = output(variable, level)
    expr = out.sql.replace('t."', f'{alias}."')
    if out.kind in ("code", "int", "number", "id"):
        literals = ", ".join(str(int(v)) for v in values)
    else:
        literals = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"({expr}) IN ({literals})"
