"""The real server under load: ``python app.py serve`` on 127.0.0.1, many signed-in clients.

Each client signs in, then views pages in turn the way a browser does: the page itself,
``/_dash-layout``, ``/_dash-dependencies``, then the page's callback requests replayed
byte for byte (captured by ``capture``). Every request is timed. The loops are bounded in
both count and time, and only ever talk to 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from benchmarks.capture import BENCH_PASSWORD, BENCH_USER, PageScript
from benchmarks.dash_client import UPDATE
from dashboard.auth import LOGIN_TOKEN, token_in_page

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
JSON = {"Content-Type": "application/json"}
MAX_VIEWS_PER_CLIENT = 2000


@dataclass
class Sample:
    page: str
    kind: str  # callback | view
    seconds: float  # as the client saw it (includes waiting for a free server thread)
    status: int
    server: float | None = None  # the server's own time (Server-Timing), seconds
    output: str = ""  # the callback's output, as the renderer names it


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    views: int = 0

    def times(self, page: str, kind: str = "callback") -> list[float]:
        return [s.seconds for s in self.samples if s.page == page and s.kind == kind]

    def server_times(self, page: str) -> list[float]:
        return [s.server for s in self.samples if s.page == page and s.kind == "callback" and s.server is not None]


class HttpTransport:
    """One browser's connection: a requests session holding its sign-in cookie.

    With ``errors``, every answer of status 400 or more is noted there."""

    def __init__(self, base: str, timeout: float = 30.0, errors: list[str] | None = None):
        if not base.startswith(f"http://{HOST}:"):
            raise ValueError("load is only ever sent to 127.0.0.1")
        self.base, self.timeout, self.errors = base, timeout, errors
        self.session = requests.Session()
        self.last_server: float | None = None  # seconds, from the last answer's Server-Timing

    def login(self, username: str = BENCH_USER, password: str = BENCH_PASSWORD) -> int:
        token = token_in_page(self.session.get(self.base + "/login", timeout=self.timeout).text)
        r = self.session.post(self.base + "/login", data={"username": username, "password": password, "next": "/",
                                                          LOGIN_TOKEN: token},
                              allow_redirects=False, timeout=self.timeout)
        return r.status_code

    def get(self, path: str) -> tuple[int, bytes]:
        return self._noted(path, self.session.get(self.base + path, timeout=self.timeout))

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        return self._noted(path, self.session.post(self.base + path, data=body, headers=JSON, timeout=self.timeout))

    def _noted(self, path: str, r: requests.Response) -> tuple[int, bytes]:
        timing = r.headers.get("Server-Timing", "")
        self.last_server = float(timing.split("dur=")[1].split(",")[0]) / 1000 if "dur=" in timing else None
        if self.errors is not None and r.status_code >= 400:
            self.errors.append(f"{path}: HTTP {r.status_code} {r.content[:300]!r}")
        return r.status_code, r.content


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """``python app.py serve --no-demo`` (through ``timed_server``, with the server's own number of
    threads) on a free loopback port; stopped on exit."""
    port = free_port()
    cmd = [sys.executable, "-m", "benchmarks.timed_server", "serve", "--no-demo", "--host", HOST, "--port", str(port)]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env, "NAIO_SCHEDULER": "0"},
                                stdout=log, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:
        _wait_until_up(proc, base, log_path)
        yield proc, base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _wait_until_up(proc: subprocess.Popen, base: str, log_path: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {proc.returncode}); see {log_path}")
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s; see {log_path}")


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of a process in MB, from /proc/<pid>/status."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            found[name] = int(rest.split()[0]) / 1024
    return found.get("VmHWM", 0.0), found.get("VmRSS", 0.0)


class ChildPeaks:
    """The peak memory (VmHWM) of each process a process starts (an upload checked in a process
    of its own, a publish), sampled every ``interval`` seconds from /proc while it runs: a
    child that lives less than that may be missed."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, tuple[str, float]] = {}  # pid -> (command, MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ChildPeaks:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for child in _descendants(self.pid):
                try:
                    hwm = peak_rss_mb(child)[0]
                    command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
                except OSError:  # ended meanwhile
                    continue
                self.peaks[child] = (command, max(hwm, self.peaks.get(child, ("", 0.0))[1]))

    def largest(self) -> float:
        return max((mb for _, mb in self.peaks.values()), default=0.0)


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            out += [child, *_descendants(child)]
    return out


def reset_peak(pid: int) -> bool:
    """Reset a process's VmHWM to its current RSS (Linux ``clear_refs``); False if not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def view(t: HttpTransport, script: PageScript, out: LoadResult) -> None:
    """One page view: the page, the layout, the callback map, then every callback."""
    started = time.perf_counter()
    for path in (script.path, "/_dash-layout", "/_dash-dependencies"):
        _check(out, script, path, *t.get(path))
    for call in script.calls:
        t0 = time.perf_counter()
        status, data = t.post(UPDATE, call.body)
        out.samples.append(Sample(script.name, "callback", time.perf_counter() - t0, status, t.last_server,
                                  call.output))
        _check(out, script, UPDATE, status, data)
    out.samples.append(Sample(script.name, "view", time.perf_counter() - started, 200))
    out.views += 1


def _check(out: LoadResult, script: PageScript, path: str, status: int, data: bytes) -> None:
    if status >= 400:  # 204 is a callback's PreventUpdate: not an error
        out.errors.append(f"{script.name} {path}: HTTP {status} {data[:200]!r}")


def _client(n: int, base: str, scripts: list[PageScript], out: LoadResult, ready: threading.Barrier,
            stop: list[float], max_views: int) -> None:
    """One client: sign in, wait for the others, then view the pages in turn."""
    t = HttpTransport(base)
    try:
        if t.login() not in (302, 303):
            out.errors.append(f"client {n}: sign-in refused")
    except Exception as exc:  # a failed request is a result, not a crash of the bench
        out.errors.append(f"client {n}: {type(exc).__name__}: {exc}")
    try:
        ready.wait(timeout=120)
    except threading.BrokenBarrierError:
        return
    i = n
    # until the time is up, but every page at least once; bounded in views and errors
    while (time.monotonic() < stop[0] or i - n < len(scripts)) and out.views < max_views and len(out.errors) < 100:
        try:
            view(t, scripts[i % len(scripts)], out)
        except Exception as exc:
            out.errors.append(f"client {n}: {type(exc).__name__}: {exc}")
        i += 1


def run_clients(base: str, scripts: list[PageScript], clients: int, seconds: float,
                max_views: int = MAX_VIEWS_PER_CLIENT, signed_in: Callable[[], None] | None = None) -> LoadResult:
    """``clients`` signed-in clients viewing every page in turn for ``seconds`` (bounded).

    ``signed_in`` runs once every client has signed in, just before they start browsing."""
    results = [LoadResult() for _ in range(clients)]
    stop = [0.0]

    def start() -> None:
        if signed_in:
            signed_in()
        stop[0] = time.monotonic() + seconds

    ready = threading.Barrier(clients + 1, action=start)
    threads = [threading.Thread(target=_client, args=(n, base, scripts, results[n], ready, stop, max_views),
                                daemon=True) for n in range(clients)]
    for th in threads:
        th.start()
    ready.wait(timeout=120)
    for th in threads:
        th.join(timeout=seconds + 600)
    merged = LoadResult()
    for r in results:
        merged.samples += r.samples
        merged.errors += r.errors
        merged.views += r.views
    return merged
