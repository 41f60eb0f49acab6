"""The desk's lockdown policy, as the spawner passed it (JSON in MDP_DESK_POLICY).

Missing or unreadable policy means the safe defaults: nothing is loosened by
accident. The hub validates policies/desk.yaml before it ever gets here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class DeskPolicy:
    text_max_bytes: int = 100_000
    notebook_max_bytes: int = 10_000_000
    image_max_bytes: int = 5_000_000
    terminals: bool = False
    paste_in: bool = True


@lru_cache(maxsize=1)
def load_policy() -> DeskPolicy:
    """Read once: the spawner sets the environment when the container is created."""
    raw = os.environ.get("MDP_DESK_POLICY", "")
    try:
        data = json.loads(raw) if raw else {}
        known = {k: v for k, v in data.items() if k in DeskPolicy.__dataclass_fields__}
        return DeskPolicy(**known)
    except (ValueError, TypeError):
        return DeskPolicy()
