"""policies/sdc.yaml: disclosure thresholds and submission limits, checked at load.

Errors name the file and the key, like the other policy files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from mdp import settings
from mdp.errors import PlatformError


class RulesError(PlatformError, ValueError):
    pass


@dataclass(frozen=True)
class Rules:
    threshold: int
    zeros_are_disclosive: bool
    dominance_n: int
    dominance_k: float
    p_ratio: float
    residual_dof: int
    max_file_bytes: int
    max_table_rows: int


# key: (section, type, check, what the check demands)
_SCHEMA = {
    "threshold": ("disclosure", int, lambda v: v >= 1, "a whole number ≥ 1"),
    "zeros_are_disclosive": ("disclosure", bool, lambda v: True, "true or false"),
    "dominance_n": ("disclosure", int, lambda v: v >= 1, "a whole number ≥ 1"),
    "dominance_k": ("disclosure", float, lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "p_ratio": ("disclosure", float, lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "residual_dof": ("disclosure", int, lambda v: v >= 1, "a whole number ≥ 1"),
    "max_file_bytes": ("submission", int, lambda v: v >= 1024, "a whole number of bytes ≥ 1024"),
    "max_table_rows": ("submission", int, lambda v: v >= 1, "a whole number ≥ 1"),
}


def _typed(value, kind):
    if kind is bool:
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):  # YAML's true is an int to Python: not a threshold
        return None
    if kind is int:
        return value if isinstance(value, int) else None
    return float(value) if isinstance(value, (int, float)) else None


def load(path: Path) -> Rules:
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise RulesError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise RulesError(f"{path}: needs the sections 'disclosure' and 'submission'")
    sections = {name for name, *_ in _SCHEMA.values()}
    for section in set(raw) - sections:
        raise RulesError(f"{path}: unknown section {section!r} (known: {', '.join(sorted(sections))})")
    values = {}
    for section in sections:
        body = raw.get(section)
        if not isinstance(body, dict):
            raise RulesError(f"{path}: section {section!r} is missing or not a mapping")
        known = {k for k, (s, *_) in _SCHEMA.items() if s == section}
        for key in set(body) - known:
            raise RulesError(f"{path}: {section}.{key} is not a known key (known: {', '.join(sorted(known))})")
        for key in known:
            _, kind, ok, demand = _SCHEMA[key]
            if key not in body:
                raise RulesError(f"{path}: {section}.{key} is missing: it must be {demand}")
            value = _typed(body[key], kind)
            if value is None or not ok(value):
                raise RulesError(f"{path}: {section}.{key} is {body[key]!r}: it must be {demand}")
            values[key] = value
    return Rules(**values)


@lru_cache(maxsize=1)
def get() -> Rules:
    """The site's rules (read once per process)."""
    return load(settings.get().policies_dir / "sdc.yaml")


def for_project(project) -> Rules:
    """The site's rules, made stricter by the project's compensating measures.

    A reviewer who lifts a default protection may set a higher output threshold
    for the outputs of that variable (registry.CompensatingMeasure). Which
    variables a finished table used cannot be told from the table, so the
    strictest of the project's thresholds applies to all its tables.
    """
    from dataclasses import replace

    base = get()
    stricter = [m.output_threshold for m in project.measures.all() if m.output_threshold]
    return replace(base, threshold=max([base.threshold, *stricter]))
