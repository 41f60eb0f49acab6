"""The platform's settings and paths, in one place.

Every process of the platform (hub, portal, cut-off service, CLI) reads its
settings from here, so that they agree on where state lives. Values come from
environment variables with safe defaults for the embedded single-machine mode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mdp.errors import PlatformError

REPO_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(PlatformError, ValueError):
    """A setting has a value the platform cannot use; the message says which."""


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    data_root: Path
    database_url: str
    hub_database_url: str
    time_zone: ZoneInfo
    public_ip: str
    public_port: int
    hub_api_port: int
    desk_network: str
    desk_bridge: str
    desk_subnet: str
    cutoff_interval: float
    auth_refresh_age: int
    self_registrations_per_hour: int
    policies_dir: Path
    images_dir: Path
    warehouse_dir: Path

    @property
    def extraction_state_dir(self) -> Path:
        """Per-project pseudonymisation secrets and id maps: control plane only, never mounted in a desk."""
        return self.state_dir / "extraction"

    @property
    def hub_state_dir(self) -> Path:
        return self.state_dir / "hub"

    @property
    def desk_gateway(self) -> str:
        """The host's address on the desk bridge: where desks reach the hub API."""
        import ipaddress

        net = ipaddress.ip_network(self.desk_subnet)
        return str(next(net.hosts()))

    @property
    def public_url(self) -> str:
        return f"http://{self.public_ip}:{self.public_port}"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None


def _count(name: str, default: int) -> int:
    value = _int(name, default)
    if value < 0:
        raise SettingsError(f"{name}={value} must be 0 or more")
    return value


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be greater than zero")
    return value


def from_env() -> Settings:
    state_dir = Path(os.environ.get("MDP_STATE_DIR", REPO_ROOT / "var")).resolve()
    tz_name = os.environ.get("MDP_TIME_ZONE", "Europe/Luxembourg")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"MDP_TIME_ZONE={tz_name!r} is not a known time zone") from None
    subnet = os.environ.get("MDP_DESK_SUBNET", "172.31.213.0/24")
    import ipaddress

    try:
        ipaddress.ip_network(subnet)
    except ValueError:
        raise SettingsError(f"MDP_DESK_SUBNET={subnet!r} is not a network like 172.31.213.0/24") from None
    return Settings(
        state_dir=state_dir,
        data_root=Path(os.environ.get("MDP_DATA_ROOT", state_dir / "projects")).resolve(),
        database_url=os.environ.get("MDP_DATABASE_URL", f"sqlite:///{state_dir / 'mdp.sqlite'}"),
        hub_database_url=os.environ.get(
            "MDP_HUB_DATABASE_URL", f"sqlite:///{state_dir / 'hub' / 'jupyterhub.sqlite'}"
        ),
        time_zone=tz,
        public_ip=os.environ.get("MDP_PUBLIC_IP", "127.0.0.1"),
        public_port=_int("MDP_PUBLIC_PORT", 8000),
        hub_api_port=_int("MDP_HUB_API_PORT", 8081),
        desk_network=os.environ.get("MDP_DESK_NETWORK", "mdp-desks"),
        desk_bridge=os.environ.get("MDP_DESK_BRIDGE", "mdp-desk0"),
        desk_subnet=subnet,
        cutoff_interval=_float("MDP_CUTOFF_INTERVAL", 60),
        auth_refresh_age=_int("MDP_AUTH_REFRESH_AGE", 15),
        self_registrations_per_hour=_count("MDP_SELF_REGISTRATIONS_PER_HOUR", 20),
        policies_dir=Path(os.environ.get("MDP_POLICIES_DIR", REPO_ROOT / "policies")).resolve(),
        images_dir=REPO_ROOT / "images",
        warehouse_dir=Path(os.environ.get("MDP_WAREHOUSE_DIR", state_dir / "warehouse")).resolve(),
    )


@lru_cache(maxsize=1)
def get() -> Settings:
    """The settings of this process (read once)."""
    return from_env()
