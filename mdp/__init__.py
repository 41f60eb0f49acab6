"""Microdata Platform: locked-down JupyterHub desks on pseudonymised microdata."""

__version__ = "0.1.0"
