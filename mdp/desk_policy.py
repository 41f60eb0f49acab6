"""Load and check policies/desk.yaml: the browser lockdown of every desk.

Errors name the file, the key and the problem, so that a site that edits the
policy learns at once what is wrong; the hub refuses to start with a bad policy.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from mdp.errors import PlatformError

SCHEMA = {
    "terminals": bool,
    "paste_in": bool,
    "notebook_max_bytes": int,
    "text_max_bytes": int,
    "image_max_bytes": int,
    "kernel_output": {"data_rate_limit_bytes_per_s": int, "msg_rate_limit_per_s": int, "rate_limit_window_s": int},
}


class PolicyFileError(PlatformError):
    pass


def _check(data, schema, where: str, path: Path) -> None:
    if not isinstance(data, dict):
        raise PolicyFileError(f"{path}: {where or 'the file'} must be a mapping of keys to values")
    for key in data:
        if key not in schema:
            raise PolicyFileError(f"{path}: unknown key {where + key!r} (known: {', '.join(schema)})")
    for key, kind in schema.items():
        if key not in data:
            raise PolicyFileError(f"{path}: missing key {where + key!r}")
        value = data[key]
        if isinstance(kind, dict):
            _check(value, kind, f"{where}{key}.", path)
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise PolicyFileError(f"{path}: {where + key} must be {'true or false' if kind is bool else 'a whole number'}, "
                                  f"not {value!r}")
        elif kind is int and value <= 0:
            raise PolicyFileError(f"{path}: {where + key} must be greater than zero, not {value}")


def load(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise PolicyFileError(f"{path}: cannot read the desk policy ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PolicyFileError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    _check(data, SCHEMA, "", path)
    return data


def as_env(policy: dict) -> str:
    """The JSON the desk's lockdown extension and Jupyter config read (MDP_DESK_POLICY)."""
    return json.dumps(policy, sort_keys=True)
