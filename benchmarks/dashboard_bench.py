"""Dashboard pages under 20 concurrent clients, against the bare warehouse queries behind them.

For each page: the server time of its callback requests (p50 and p95 over every request of
every view, one figure per load run; from the Server-Timing header), against the same
percentile of the bare time of the reading statements each callback ran (run back to back
on open connections). The client-side latency, which adds the wait for a free server
thread, is kept beside it. The serving process's peak resident memory (VmHWM) is read
when every client has signed in (then reset) and again after browsing.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.capture import BENCH_PASSWORD, BENCH_USER, PageScript, bare_seconds, capture
from benchmarks.dataset import Dataset, say
from benchmarks.load import LoadResult, peak_rss_mb, reset_peak, run_clients, serving
from benchmarks.stats import Measure, percentile

P95_GOAL_MS = 150.0
P95_GOAL_RATIO = 3.0
MEMORY_GOAL_MB = 400.0


@dataclass
class PageBaseline:
    per_call_ms: list[float]

    def at(self, q: float) -> float:
        return percentile(self.per_call_ms, q)


def ensure_bench_user(store) -> None:
    from etl.accounts import add_user

    if not store.user(BENCH_USER):
        add_user(store, BENCH_USER, BENCH_PASSWORD, "admin")


def baselines(ds: Dataset, scripts: list[PageScript], repeat: int) -> dict[str, list[PageBaseline]]:
    """Per page, ``repeat`` independent timings of the bare statements of each callback."""
    path, database = ds.settings.warehouse_path, ds.settings.data_dir / "naio.db"
    out: dict[str, list[PageBaseline]] = {}
    for s in scripts:
        out[s.name] = [PageBaseline([1000 * bare_seconds(path, database, c.queries) for c in s.calls])
                       for _ in range(repeat)]
    return out


def page_measures(scripts: list[PageScript], runs: list[LoadResult],
                  base: dict[str, list[PageBaseline]]) -> list[Measure]:
    frame = frame_floor(scripts, runs)
    pages = [_page_measure(s, runs, base[s.name], q) for s in scripts for q in (50, 95)]
    for m in pages:
        _say_frame_floor(m, frame)
    return [*pages, frame]


# Dash pages' own callback: it builds each page's layout, so it is the page's work, not the frame's.
PAGE_LAYOUT_OUTPUT = "_pages_content"


def frame_output_keys(scripts: list[PageScript]) -> set[str]:
    """The callbacks of the page frame: those every page fires (navigation, run banner), but
    not the one that builds each page's own layout."""
    outputs = [{c.output for c in s.calls} for s in scripts if s.calls]
    shared = set.intersection(*outputs) if outputs else set()
    return {o for o in shared if PAGE_LAYOUT_OUTPUT not in o}


def frame_floor(scripts: list[PageScript], runs: list[LoadResult]) -> Measure:
    """p95 server time of the page frame's callbacks, over every page: what a callback that
    reads next to nothing takes under the same load (the request, the user, the response,
    and the turns at the interpreter lock while the other requests are served)."""
    keys = frame_output_keys(scripts)
    m = Measure(name="floor: the page frame's callbacks, every page: server time p95", unit="ms",
                goal="(no goal)", baseline="")
    m.runs = [1000 * percentile(times, 95) for r in runs
              if (times := [x.server for x in r.samples if x.output in keys and x.server is not None])]
    m.extra = {"callbacks": sorted(keys)}
    return m


def _say_frame_floor(m: Measure, frame: Measure) -> None:
    """Note on a page's p95 when its ratio goal lies below what the page frame's callbacks take."""
    if m.max_ratio is None or m.baseline_median is None or frame.median is None:
        return
    bound = m.max_ratio * m.baseline_median
    if bound < frame.median:
        m.add_note(f"the goal ({m.max_ratio:g}x the bare queries: {bound:.2g} ms) is below the p95 of the page "
                   f"frame's callbacks under the same load ({frame.median:.3g} ms)")


def _page_measure(s: PageScript, runs: list[LoadResult], base: list[PageBaseline], q: int) -> Measure:
    """Server time of the page's callbacks at percentile ``q``: one figure per load run."""
    goal = f"p95 <= {P95_GOAL_RATIO:g}x bare queries and < {P95_GOAL_MS:g} ms" if q == 95 else "(for information)"
    m = Measure(name=f"page {s.name} ({s.path}): callback server time p{q}", unit="ms", goal=goal,
                baseline=f"p{q} over the callbacks of their reading statements run bare",
                max_ratio=P95_GOAL_RATIO if q == 95 else None, max_value=P95_GOAL_MS if q == 95 else None)
    m.runs = [1000 * percentile(r.server_times(s.name), q) for r in runs if r.server_times(s.name)]
    m.baseline_runs = [b.at(q) for b in base]
    client = [1000 * t for r in runs for t in r.times(s.name)]
    views = [1000 * t for r in runs for t in r.times(s.name, "view")]
    alone = [1000 * c.seconds for c in s.calls]  # the recorded view: in-process, nothing else running
    m.extra = {"callbacks_per_view": len(s.calls), "requests": len(client),
               "statements_per_view": sum(len(c.queries) for c in s.calls),
               f"single_client_ms_p{q}": round(percentile(alone, q), 1),
               f"client_latency_ms_p{q}": round(percentile(client, q), 1),
               f"page_view_ms_p{q}": round(percentile(views, q), 1)}
    if not s.calls:
        m.available, m.note = False, "the page made no callback request"
    elif not any(b.per_call_ms and max(b.per_call_ms) > 0 for b in base):
        m.note = "no reading statement behind these callbacks: judged on the absolute goal only"
        m.max_ratio = None
    return m


def measure_dashboard(ds: Dataset, repeat: int, clients: int, seconds: float) -> list[Measure]:
    from etl.store import Store

    settings = ds.settings
    store = Store.open(settings.database_url, settings.reference_dir)
    try:
        ensure_bench_user(store)
        scripts = capture(settings, store)
    finally:
        store.dispose()
    say(f"captured {len(scripts)} pages: " + ", ".join(f"{s.name} ({len(s.calls)} callbacks)" for s in scripts))
    base = baselines(ds, scripts, repeat)
    runs: list[LoadResult] = []
    peaks: dict[str, list[float]] = {"all": [], "browsing": []}
    for n in range(repeat):  # a fresh server per run, so each run gives its own peak memory
        with serving(ds.env, ds.root / "server.log") as (proc, url):
            run_clients(url, scripts, 1, 0.0)  # warm-up: one pass over every page, not counted
            at_sign_in: list[float] = []
            runs.append(run_clients(url, scripts, clients, seconds,
                                    signed_in=lambda seen=at_sign_in, pid=proc.pid: seen.append(_peak_then_reset(pid))))
            browsing = peak_rss_mb(proc.pid)[0]
            peaks["browsing"].append(browsing)
            peaks["all"].append(max([browsing, *at_sign_in]))
        say(f"load run {n + 1}/{repeat}: {runs[-1].views} page views, {len(runs[-1].samples)} requests, "
            f"{len(runs[-1].errors)} errors, server peak {peaks['all'][-1]:.0f} MB "
            f"({peaks['browsing'][-1]:.0f} MB after sign-in)")
    from benchmarks.upload_bench import measure_upload_memory

    upload = measure_upload_memory(ds, scripts, clients, seconds)
    return page_measures(scripts, runs, base) + [_errors(runs), *_memory(peaks, clients, seconds), upload]


def _peak_then_reset(pid: int) -> float:
    peak = peak_rss_mb(pid)[0]
    reset_peak(pid)
    return peak


def _errors(runs: list[LoadResult]) -> Measure:
    errors = [e for r in runs for e in r.errors]
    return Measure(name="dashboard errors under load", unit="", goal="0", runs=[float(len(r.errors)) for r in runs],
                   max_value=0.0, extra={"first": errors[:5], "views": sum(r.views for r in runs)})


def _memory(peaks: dict[str, list[float]], clients: int, seconds: float) -> list[Measure]:
    whole = Measure(name=f"server peak memory (VmHWM), {clients} sign-ins + browsing", unit="MB",
                    goal=f"< {MEMORY_GOAL_MB:g} MB", runs=peaks["all"], max_value=MEMORY_GOAL_MB,
                    extra={"clients": clients, "seconds_per_run": seconds})
    browsing = Measure(name="server peak memory while browsing (after sign-in)", unit="MB",
                       goal=f"< {MEMORY_GOAL_MB:g} MB", runs=peaks["browsing"], max_value=MEMORY_GOAL_MB,
                       note="VmHWM reset once every client had signed in")
    return [whole, browsing]
