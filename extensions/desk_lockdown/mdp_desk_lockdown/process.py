"""Keep the desk's own code out of the Jupyter server process.

Kernels run as the server's user. Without this, code in a notebook could read
or write the server's memory (`/proc/<pid>/mem`), attach a debugger to it, or
take its open files and sockets (`pidfd_getfd`) — the kernel allows all of that
between processes of one user — and so switch the lockdown off from inside.
A process that is not "dumpable" is out of reach of those calls for anyone
without CAP_SYS_PTRACE, which no desk has. Kernels are new programs (exec), so
they are dumpable as usual: this protects the server from them, not the reverse.
"""

from __future__ import annotations

import ctypes
import os

PR_SET_DUMPABLE, PR_GET_DUMPABLE = 4, 3


def make_undumpable() -> None:
    """Refuse to run unprotected: a server that cannot protect itself must not serve the desk."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 or libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise RuntimeError(f"cannot make the Jupyter server undumpable: {os.strerror(ctypes.get_errno())}")
