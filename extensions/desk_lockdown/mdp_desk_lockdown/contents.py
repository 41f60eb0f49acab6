"""A contents manager that serves content only for what a researcher needs to see.

Every way a browser reads or writes a file's bytes through the server (the
contents API, and the `/files` and `/nbconvert` handlers, which are refused
anyway) goes through `get` and `save`, so this is the one place to check:
- reading content: notebooks, text and images under the policy's size caps;
  never data files, whatever their name says (their first bytes are checked);
- writing: notebook and text saves work; base64 writes (uploads of any file,
  chunked uploads) are refused.
Listings and metadata (content=False) are never restricted.
"""

from __future__ import annotations

import os

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

from mdp_desk_lockdown.policy import load_policy
from mdp_desk_lockdown.sniff import HEAD, classify


class LockedContentsManager(AsyncLargeFileManager):
    def _refuse(self, path: str, why: str):
        self.log.warning("mdp lockdown refused %s: %s", path, why)
        raise web.HTTPError(403, why)  # jupyter_server shows log_message as it is

    def check_readable(self, path: str, requested_format: str | None) -> None:
        policy = load_policy()
        os_path = self._get_os_path(path)
        if os.path.isdir(os_path):
            return
        size = os.path.getsize(os_path)
        with open(os_path, "rb") as fh:
            head = fh.read(HEAD)
        kind = classify(path, head)
        caps = {"notebook": policy.notebook_max_bytes, "text": policy.text_max_bytes,
                "image": policy.image_max_bytes}
        if kind == "data":
            self._refuse(path, f"{path} is a data file: it can be analysed in a kernel but not opened in the "
                               "browser. Results leave the desk through OUT and output checking.")
        if size > caps[kind]:
            self._refuse(path, f"{path} is {size:,} bytes, above the desk's limit of {caps[kind]:,} for "
                               f"{kind} files shown in the browser. Work with it in a kernel.")
        if requested_format == "base64" and kind != "image":
            self._refuse(path, f"{path} cannot be read as raw bytes in the browser.")

    async def get(self, path, content=True, type=None, format=None, require_hash=False):
        if content:
            self.check_readable(path.strip("/"), format)
        return await super().get(path, content=content, type=type, format=format, require_hash=require_hash)

    async def save(self, model, path=""):
        if model.get("format") == "base64" or "chunk" in model:
            self._refuse(path, "Uploading files into a desk is not allowed. Data reaches a desk only through "
                               "the project's extraction into IN.")
        if model.get("type") == "file" and model.get("content") is not None and \
                len(model["content"].encode()) > load_policy().text_max_bytes:
            self._refuse(path, "This text is above the desk's size limit for files saved from the browser.")
        return await super().save(model, path)
