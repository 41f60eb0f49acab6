"""Server settings for every desk. Root-owned and read-only inside the image.

The hub passes the rest (URLs, tokens, notebook dir) through the environment.
"""

c = get_config()  # noqa: F821  (provided by Jupyter's config loader)

# Desks start in the project folder: IN (read-only), WORK and OUT.
c.ServerApp.root_dir = "/project"
# No terminals: a shell adds nothing the kernel lacks, and a policy may allow it later.
c.ServerApp.terminals_enabled = False
# Do not try to open a browser or look for updates from inside a desk.
c.ServerApp.open_browser = False
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.news_url = None
