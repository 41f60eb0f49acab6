"""JupyterHub configuration of the Microdata Platform (embedded mode).

Started by `mdp run`, which first creates the desk network and applies the host
firewall. Everything site-specific comes from mdp.settings (environment
variables), so this file is the same on every installation.
"""

import os
import sys
from pathlib import Path

from mdp import desk_policy, settings
from mdp.hub import cutoff, network
from mdp.hub.home import projects_for
from mdp.images import current_desk_image, docker_client

s = settings.get()
c = get_config()  # noqa: F821  (provided by JupyterHub's config loader)
client = docker_client()
network.ensure_desk_network(client, s)

# --- where things listen -----------------------------------------------------
# Browsers come in through the proxy; desks reach the hub API on the desk bridge's
# gateway address (the only host port the firewall opens to them).
c.JupyterHub.bind_url = s.public_url
c.JupyterHub.hub_bind_url = f"http://{s.desk_gateway}:{s.hub_api_port}"
c.JupyterHub.hub_connect_url = f"http://{s.desk_gateway}:{s.hub_api_port}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.public_port + 1}"
c.JupyterHub.db_url = s.hub_database_url
c.JupyterHub.cookie_secret_file = str(s.hub_state_dir / "jupyterhub_cookie_secret")
chp = settings.REPO_ROOT / ".tools" / "node_modules" / ".bin" / "configurable-http-proxy"
if chp.exists():
    c.ConfigurableHTTPProxy.command = [str(chp)]
c.ConfigurableHTTPProxy.pid_file = str(s.hub_state_dir / "jupyterhub-proxy.pid")
c.JupyterHub.template_paths = [str(Path(__file__).parent / "templates")]
c.JupyterHub.template_vars = {
    "mdp_projects": projects_for,
    # Shown above the sign-in form: the way in for applicants and the public pages.
    "announcement_login": 'New here? <a id="mdp-register" href="/services/portal/register/">Create an account</a> to '
                          'apply for data. <a href="/services/portal/dictionary/">Data dictionary</a> · '
                          '<a href="/services/portal/projects/">Projects</a>',
}
c.JupyterHub.cleanup_servers = True  # desks do not outlive the hub
c.JupyterHub.redirect_to_server = False  # after login, the home page with the user's projects
c.JupyterHub.default_url = "/hub/home"

# --- login -------------------------------------------------------------------
c.JupyterHub.authenticator_class = "mdp.hub.authenticator.MDPAuthenticator"
c.Authenticator.auth_refresh_age = s.auth_refresh_age
c.Authenticator.refresh_pre_spawn = True
c.MDPAuthenticator.allowed_failed_logins = 5
c.MDPAuthenticator.seconds_before_next_try = 300
c.MDPAuthenticator.check_common_password = True
c.MDPAuthenticator.minimum_password_length = 10

# --- desks -------------------------------------------------------------------
c.JupyterHub.spawner_class = "mdp.hub.spawner.ProjectDeskSpawner"
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 0
c.ProjectDeskSpawner.image = current_desk_image(client)
c.ProjectDeskSpawner.data_root = str(s.data_root)
c.ProjectDeskSpawner.network_name = s.desk_network
c.ProjectDeskSpawner.use_internal_ip = True
c.ProjectDeskSpawner.dns = [s.desk_gateway]
c.ProjectDeskSpawner.desk_policy = desk_policy.load(s.policies_dir / "desk.yaml")
c.ProjectDeskSpawner.remove = True
c.ProjectDeskSpawner.disable_user_config = True
c.ProjectDeskSpawner.default_url = "/lab/tree/WORK"  # new notebooks land in WORK (the top level is read-only)
c.ProjectDeskSpawner.start_timeout = 120
c.ProjectDeskSpawner.http_timeout = 90
c.ProjectDeskSpawner.debug = False
# The desk's server token may do what a single-user server needs, nothing more.
c.ProjectDeskSpawner.server_token_scopes = ["users:activity!user", "access:servers!server"]

# --- services ----------------------------------------------------------------
# Only MDP_* settings and what Python needs cross into the services' environment.
service_env = {k: v for k, v in os.environ.items() if k.startswith("MDP_")}
service_env["DJANGO_SETTINGS_MODULE"] = "mdp.portal.settings"
portal_port = s.public_port + 2
c.JupyterHub.services = [
    {
        "name": "portal",
        "url": f"http://127.0.0.1:{portal_port}",
        "command": [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{portal_port}", "--workers", "2",
                    "--threads", "4", "--access-logfile", "-", "mdp.portal.wsgi:application"],
        "environment": service_env,
        "oauth_no_confirm": True,
        "display": True,
    },
    {
        "name": cutoff.SERVICE_NAME,
        "command": [sys.executable, "-m", "mdp.hub.cutoff"],
        "environment": service_env,
    },
]
c.JupyterHub.load_roles = [
    cutoff.ROLE,
    {"name": "user", "scopes": ["self", "access:services!service=portal"]},
]
