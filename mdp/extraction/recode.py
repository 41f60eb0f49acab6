"""From the warehouse's finest form to the granted level, as SQL run inside DuckDB.

Recodes are keyed by level names, not by variable, so a register added to the
dictionary with the same kinds of levels (dates by day/month/year, ages, countries,
places) needs no code here. The coded levels take their codes and labels from the
dictionary's `values`, which describe a variable's default level.

What a researcher receives for each kind:
- identifiers: the project's pseudonym, a whole number (Stata long);
- dates at `day`: a date (Stata %td); at `month`: YYYYMM; at `year`: YYYY;
- age at `years`: whole years; at `five_year_bands`: the dictionary's band codes;
- country at `country`: ISO 3166 code; at `grouped`: the dictionary's groups;
- place at `commune`: "LU:<canton>:<commune>" or the foreign region; at `canton`:
  "LU:<canton>" or the foreign region (département, province, Regierungsbezirk);
- coded variables with whole-number codes: numbers with value labels; other
  codes and texts: strings; amounts and counts: numbers.
"""

from __future__ import annotations

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
    value_labels: tuple = ()  # ((code, label), ...) for kind == code


def file_name(name: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    return safe[:STATA_NAME_LEN]


def _code_of(variable: Variable, label: str) -> int:
    for code, text in variable.values.items():
        if text == label:
            return int(code)
    raise RecodeError(f"variable {variable.name}: the grouped level needs a code labelled {label!r} in the dictionary")


def _labels(variable: Variable) -> tuple:
    return tuple((int(code), text) for code, text in variable.values.items())


def _grouped_country(variable: Variable, col: str) -> str:
    whens = " ".join(f"WHEN '{iso}' THEN {_code_of(variable, group)}" for iso, group in COUNTRY_GROUPS.items())
    eu = ", ".join(f"'{iso}'" for iso in OTHER_EU27)
    return (f"CASE {col} {whens} ELSE CASE WHEN {col} IS NULL THEN NULL WHEN {col} IN ({eu}) "
            f"THEN {_code_of(variable, 'Other EU-27')} ELSE {_code_of(variable, 'Other')} END END")


def _five_year_bands(variable: Variable, col: str) -> str:
    """Bands of five years from 20 to 59, below 20 and 60 and over: codes 0..9 as in the dictionary."""
    first, last = min(int(c) for c in variable.values), max(int(c) for c in variable.values)
    return f"CAST(LEAST(GREATEST(({col} - 15) // 5, {first}), {last}) AS SMALLINT)"


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
    elif variable.protection == "aggregated":
        if level in ("years", "country", "commune"):  # the stored, finest form
            return Output(**base, sql=col, kind="int" if level == "years" else "string")
        if level == "five_year_bands":
            return Output(**base, sql=_five_year_bands(variable, col), kind="code", value_labels=_labels(variable))
        if level == "grouped":
            return Output(**base, sql=_grouped_country(variable, col), kind="code", value_labels=_labels(variable))
        if level == "canton":
            return Output(**base, kind="string", sql=f"CASE WHEN starts_with({col}, 'LU:') THEN "
                          f"split_part({col}, ':', 1) || ':' || split_part({col}, ':', 2) ELSE {col} END")
    elif variable.format == "numeric":
        return Output(**base, sql=col, kind="number")
    elif column(variable).sql_type == "SMALLINT":
        return Output(**base, sql=col, kind="code", value_labels=_labels(variable))
    else:
        return Output(**base, sql=col, kind="string")
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
