"""Build the container images the platform runs: the Debian base and the desk.

Images are tagged with a hash of their inputs, so `mdp images build` rebuilds
only when a Dockerfile, a requirement or the base image changed. Where no
container registry answers (air-gapped sites, build machines without one), the
Debian base is made locally with debootstrap and `docker import`.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import docker
from docker.errors import DockerException, ImageNotFound

from mdp import settings
from mdp.errors import PlatformError

REGISTRY_BASE = "debian:bookworm-slim"
LOCAL_BASE = "mdp-base:bookworm"
DESK_REPO = "mdp-desk"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class ImageError(PlatformError):
    """An image cannot be found or built; the message says what to do."""


def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        raise ImageError(
            "the Docker engine does not answer (is dockerd running? `make setup` starts it): "
            f"{exc.__class__.__name__}"
        ) from None
    return client


def _exists(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
        return True
    except ImageNotFound:
        return False


def _run(cmd: list[str], what: str) -> None:
    print(f"» {what}: {' '.join(cmd)}", flush=True)
    if subprocess.run(cmd).returncode != 0:
        raise ImageError(f"{what} failed (command: {' '.join(cmd)})")


def ensure_base(client: docker.DockerClient, log=print) -> str:
    """Return a Debian bookworm image reference, making one locally if needed."""
    for ref in (REGISTRY_BASE, LOCAL_BASE):
        if _exists(client, ref):
            return ref
    try:
        client.images.pull(REGISTRY_BASE)
        return REGISTRY_BASE
    except DockerException:
        log(f"No container registry answers for {REGISTRY_BASE}: building {LOCAL_BASE} with debootstrap.")
    if not shutil.which("debootstrap"):
        raise ImageError("debootstrap is not installed (apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix="mdp-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        _run(
            ["debootstrap", "--variant=minbase", "bookworm", str(rootfs), DEBIAN_MIRROR],
            "debootstrap a minimal Debian",
        )
        (rootfs / "etc/apt/sources.list").write_text(
            f"deb {DEBIAN_MIRROR} bookworm main\n"
            f"deb {DEBIAN_MIRROR} bookworm-updates main\n"
            "deb http://deb.debian.org/debian-security bookworm-security main\n"
        )
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / cache).glob("*.deb"):
                item.unlink()
        tar = Path(tmp) / "rootfs.tar"
        _run(["tar", "-C", str(rootfs), "-cf", str(tar), "."], "pack the root filesystem")
        _run(["docker", "import", str(tar), LOCAL_BASE], "import the base image")
    return LOCAL_BASE


def desk_inputs() -> dict[str, Path]:
    """What goes into the desk's build context: its folder and the desk's own extensions."""
    root = settings.REPO_ROOT
    return {"desk": settings.get().images_dir / "desk", "desk_lockdown": root / "extensions" / "desk_lockdown",
            "copy_guard": root / "extensions" / "copy_guard"}


def _files(folder: Path):
    skip = {"__pycache__", "node_modules", "labextension"}
    return sorted(p for p in folder.rglob("*") if p.is_file() and not skip & set(p.parts)
                  and ".egg-info" not in str(p))


def desk_tag(base_id: str) -> str:
    """The desk image's tag: a hash of the build inputs and of the base image."""
    digest = hashlib.sha256(base_id.encode())
    for name, folder in desk_inputs().items():
        for path in _files(folder):
            digest.update(f"{name}/{path.relative_to(folder)}".encode())
            digest.update(path.read_bytes())
    return f"{DESK_REPO}:{digest.hexdigest()[:12]}"


def current_desk_image(client: docker.DockerClient | None = None) -> str:
    """The desk image the hub should spawn, which must already be built."""
    client = client or docker_client()
    for ref in (REGISTRY_BASE, LOCAL_BASE):
        if _exists(client, ref):
            tag = desk_tag(client.images.get(ref).id)
            if _exists(client, tag):
                return tag
    raise ImageError("the desk image is not built for the current sources: run `mdp images build`")


def build_desk(client: docker.DockerClient | None = None, log=print) -> str:
    """Build the desk image unless an image with the same inputs exists."""
    client = client or docker_client()
    base = ensure_base(client, log)
    tag = desk_tag(client.images.get(base).id)
    if _exists(client, tag):
        log(f"{tag} is up to date.")
        return tag
    with tempfile.TemporaryDirectory(prefix="mdp-desk-build-") as tmp:
        inputs = desk_inputs()
        ctx = Path(tmp) / "desk"
        shutil.copytree(inputs.pop("desk"), ctx)
        for name, folder in inputs.items():
            shutil.copytree(folder, ctx / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "node_modules", "labextension"))
        ca = ctx / "build-ca.crt"
        ca.write_bytes(HOST_CA_BUNDLE.read_bytes() if HOST_CA_BUNDLE.exists() else b"")
        _run(
            ["docker", "build", "--force-rm", "--network", "host", "--build-arg", f"BASE_IMAGE={base}",
             "-t", tag, "-t", f"{DESK_REPO}:latest", str(ctx)],
            "build the desk image",
        )
    _remove_stale_desks(client, keep=tag)
    return tag


def _remove_stale_desks(client: docker.DockerClient, keep: str) -> None:
    """Desk images of earlier sources take a gigabyte or more each: drop those no container uses."""
    for image in client.images.list(name=DESK_REPO):
        if keep in image.tags:
            continue
        for stale in image.tags:
            try:
                client.images.remove(stale)
            except DockerException:
                pass  # still used by a container: kept until the next build
