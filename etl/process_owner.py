"""Who runs an ETL run: a token naming this process, and whether such a process still lives.

A run row is written ``running`` when a run starts and finished when it ends. A process
killed in between (SIGKILL, power loss) leaves it ``running``; the token stored with the
row lets a later process on the same machine tell that its owner is gone and close it as
interrupted, while runs of other live processes (an upload in the dashboard while the CLI
ingests) are left alone.

The token is ``host/boot/pid/start``: the host name, the kernel's boot id (a reboot ends
every process), the process id and the process's start time in clock ticks since boot (a
pid reused by a new process has another start time). Where ``/proc`` is not available the
token has no boot id or start time, and such a run is never judged dead.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

_PROC = Path("/proc")


def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str | None:
    """Field 22 of /proc/<pid>/stat, or None when there is no such process."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: split after it
    return stat.rpartition(")")[2].split()[19]


def token(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return "/".join((socket.gethostname(), _boot_id(), str(pid), _start_ticks(pid) or ""))


def is_gone(owner: str | None) -> bool:
    """True only when ``owner`` names a process of this machine that is certainly not running."""
    parts = (owner or "").split("/")
    if len(parts) != 4:
        return False
    host, boot, pid, start = parts
    if host != socket.gethostname() or not boot or not start or not pid.isdigit():
        return False
    if boot != _boot_id():
        return True
    return _start_ticks(int(pid)) != start
