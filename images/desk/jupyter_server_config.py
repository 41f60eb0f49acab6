"""Server settings for every desk. Root-owned and read-only inside the image.

The hub passes the rest through the environment: URLs and tokens, and the
desk policy (MDP_DESK_POLICY, from policies/desk.yaml) that loosens nothing
unless the site chose to.
"""

import json
import os

c = get_config()  # noqa: F821  (provided by Jupyter's config loader)
policy = json.loads(os.environ.get("MDP_DESK_POLICY") or "{}")
output = policy.get("kernel_output", {})

# Desks start in the project folder: IN (read-only), WORK and OUT.
c.ServerApp.root_dir = "/project"
c.ServerApp.open_browser = False
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.news_url = None

# The lockdown: refused endpoints, and a contents manager that will not hand data
# files to the browser nor take uploads (extensions/desk_lockdown).
c.ServerApp.jpserver_extensions = {"mdp_desk_lockdown": True, "jupyter_lsp": False}
c.ServerApp.contents_manager_class = "mdp_desk_lockdown.contents.LockedContentsManager"
c.ServerApp.terminals_enabled = bool(policy.get("terminals", False))
# JupyterLab's settings are the site's (images/desk/overrides.json): user settings
# live in a read-only folder, so no one re-enables uploads or disabled plugins.
c.LabServerApp.user_settings_dir = "/etc/jupyter/lab/user-settings"
c.LabServerApp.workspaces_dir = "/home/researcher/.jupyter/lab/workspaces"  # layouts: the temporary home

# Kernel output is rate-limited so that printing a data file to the screen is impractical.
c.ZMQChannelsWebsocketConnection.iopub_data_rate_limit = float(output.get("data_rate_limit_bytes_per_s", 100_000))
c.ZMQChannelsWebsocketConnection.iopub_msg_rate_limit = float(output.get("msg_rate_limit_per_s", 100))
c.ZMQChannelsWebsocketConnection.rate_limit_window = float(output.get("rate_limit_window_s", 3))
