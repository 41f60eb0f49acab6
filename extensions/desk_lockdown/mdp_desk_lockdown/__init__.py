"""Close the ways out of a desk that go through the Jupyter server.

The container and its network are the wall; this is defence in depth for the
channels a browser offers: it refuses file downloads (`/files`, `?download=`),
rendered views (`/view`), exports (`/nbconvert`, `/api/nbconvert`), reading data
files through the contents API and uploading through it; and it puts the
server process out of reach of its own kernels (mdp_desk_lockdown.process). Enabled from the
desk's root-owned, read-only Jupyter config; the policy comes from the spawner
(`MDP_DESK_POLICY`), not from anything the researcher can write.
"""


def _jupyter_server_extension_points():
    return [{"module": "mdp_desk_lockdown"}]


def _load_jupyter_server_extension(serverapp):
    from jupyter_server.utils import url_path_join

    from mdp_desk_lockdown.handlers import install_blocks
    from mdp_desk_lockdown.policy import load_policy
    from mdp_desk_lockdown.policy_handler import PolicyHandler
    from mdp_desk_lockdown.process import make_undumpable

    make_undumpable()
    policy = load_policy()
    install_blocks(serverapp.web_app, serverapp.base_url)
    serverapp.web_app.add_handlers(".*$", [(url_path_join(serverapp.base_url, "mdp-desk/policy"), PolicyHandler)])
    serverapp.log.info("mdp desk lockdown active: %s", policy)
