"""How hub-side code (an asyncio process) reads and writes the Django registry.

The Django ORM is synchronous and refuses to run on a thread with an event loop,
so hub plugins call it on a small thread pool: `await call(fn, ...)` from
coroutines, `call_blocking(fn, ...)` from the few synchronous hub hooks
(template variables). Connections are closed after each call so that no thread
keeps a stale SQLite handle.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from mdp import djangosetup

djangosetup.setup()

from django.db import close_old_connections, connections  # noqa: E402

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mdp-registry")


def _run(fn, *args, **kwargs):
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        connections.close_all()


async def call(fn, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(_pool, lambda: _run(fn, *args, **kwargs))


def call_blocking(fn, *args, timeout: float = 10, **kwargs):
    return _pool.submit(_run, fn, *args, **kwargs).result(timeout=timeout)
