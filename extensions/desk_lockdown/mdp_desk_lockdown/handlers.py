"""Refuse, with 403 and a sentence, the server endpoints that hand files to the browser."""

from __future__ import annotations

from jupyter_server.utils import url_path_join
from tornado import web
from tornado.routing import Matcher, PathMatches, Rule

BLOCKED = ("files/.*", "view/.*", "nbconvert/.*", "api/nbconvert.*")
MESSAGE = ("Downloading, exporting and viewing files outside JupyterLab are closed on this desk. "
           "Results leave through OUT and output checking.")


class Refused(web.RequestHandler):
    def prepare(self):
        self.set_status(403)
        self.set_header("Content-Type", "application/json")
        self.finish({"status": 403, "message": MESSAGE})


class AsksForDownload(Matcher):
    """Any request carrying `download=`, whatever its path."""

    def match(self, request):
        return {} if "download" in request.query_arguments else None


def install_blocks(web_app, base_url: str) -> None:
    """Put the refusals ahead of every handler the server (and other extensions) registered."""
    rules = [Rule(AsksForDownload(), Refused)]
    rules += [Rule(PathMatches(url_path_join(base_url, pattern)), Refused) for pattern in BLOCKED]
    web_app.default_router.rules[0:0] = rules
