"""`GET mdp-desk/policy`: what the desk's browser plugins need to know of the policy."""

from __future__ import annotations

from dataclasses import asdict

from jupyter_server.base.handlers import APIHandler
from tornado import web

from mdp_desk_lockdown.policy import load_policy


class PolicyHandler(APIHandler):
    @web.authenticated
    def get(self):
        self.finish(asdict(load_policy()))
