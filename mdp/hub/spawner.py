"""The project desk: one hardened container per member and project.

`ProjectDeskSpawner` is DockerSpawner plus the rules that make a desk a desk:
the server name is a project id; the registry must allow this user to open that
project today (else 403 with the reason); only that project's IN (read-only),
WORK and OUT are mounted; and the container runs with no capabilities, no new
privileges, a read-only root filesystem, as uid 1000, with the project's memory,
CPU and process limits, on the internal desk network.
"""

from __future__ import annotations

from pathlib import Path

from dockerspawner import DockerSpawner
from tornado import web
from traitlets import Dict, Int, List, Unicode, default

from mdp import desk_policy
from mdp.audit import trail
from mdp.audit.enums import Action
from mdp.hub import registry_access
from mdp.registry import clock, policies

DESK_MOUNTS = {"IN": "ro", "WORK": "rw", "OUT": "rw"}


def _check(username: str, server_name: str):
    return policies.check_can_open_desk(username, server_name, clock.today())


class ProjectDeskSpawner(DockerSpawner):
    data_root = Unicode(
        config=True, help="Folder holding one sub-folder per project, each with IN, WORK and OUT."
    )
    desk_uid = Int(1000, config=True, help="The uid (and gid) the researcher runs as inside the desk.")
    mount_point = Unicode("/project", config=True, help="Where IN, WORK and OUT appear inside the desk.")
    tmpfs = Dict(
        config=True,
        help="Writable scratch space on the otherwise read-only root filesystem (path: mount options).",
    )

    desk_policy = Dict(
        config=True,
        help="The browser lockdown of every desk, as loaded from policies/desk.yaml (mdp.desk_policy).",
    )

    dns = List(
        config=True,
        help="Upstream DNS servers for the desk. Set to the desk gateway, where the host firewall drops "
        "port 53, so that no name outside the platform resolves.",
    )

    @default("tmpfs")
    def _default_tmpfs(self):
        return {
            "/tmp": "rw,nosuid,nodev,size=1g",
            "/home/researcher": f"rw,nosuid,nodev,size=256m,uid={self.desk_uid},gid={self.desk_uid},mode=0700",
        }

    @default("name_template")
    def _default_name_template(self):
        return "mdp-desk-{servername}-{username}"

    def hardened_host_config(self, pids_limit: int) -> dict:
        return {
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "read_only": True,
            "tmpfs": dict(self.tmpfs),
            "pids_limit": pids_limit,
            "privileged": False,
            "init": False,  # the image's entrypoint is tini
            "dns": list(self.dns),
        }

    async def start(self):
        username, project_id = self.user.name, self.name
        try:
            project = await registry_access.call(_check, username, project_id)
        except policies.DeskRefused as refusal:
            await registry_access.call(trail.record, username, Action.DESK_REFUSED, project_id[:32], reason=str(refusal))
            raise web.HTTPError(403, "%s", str(refusal)) from None
        root = Path(self.data_root) / project.slug
        missing = [name for name in DESK_MOUNTS if not (root / name).is_dir()]
        if missing:
            raise web.HTTPError(
                503, "%s", f"The data folders of project {project.acronym} are missing ({', '.join(missing)} "
                f"under {root}). An admin must restore them before the desk can open.",
            )
        self.volumes = {str(root / name): {"bind": f"{self.mount_point}/{name}", "mode": mode}
                        for name, mode in DESK_MOUNTS.items()}
        self.mem_limit = f"{project.mem_limit_mb}M"
        self.cpu_limit = float(project.cpu_limit)
        self.extra_host_config = self.hardened_host_config(project.pids_limit)
        self.extra_create_kwargs = {"user": f"{self.desk_uid}:{self.desk_uid}", "working_dir": self.mount_point}
        policy = {**self.desk_policy, "terminals": self.desk_policy.get("terminals", False) or project.terminals}
        self.environment = {**self.environment, "MDP_DESK_POLICY": desk_policy.as_env(policy)}
        result = await super().start()
        await registry_access.call(trail.record, username, Action.DESK_STARTED, project.slug,
                                   container=self.container_name, image=self.image)
        return result

    async def stop(self, now=False):
        await super().stop(now=now)
        await registry_access.call(trail.record, self.user.name, Action.DESK_STOPPED, self.name[:32],
                                   container=self.container_name)
