"""The server's peak memory while an accepted upload is published, with clients browsing.

One more run of the dashboard load, on a copy of the data folder so the data set is left as
it was: once every client has signed in, a signed-in user submits a revised national
quarterly file through the Submit page's own callback (the request the browser sends), the
server records it and publishes (as it does after every accepted upload), and the run lasts
until the new snapshot is live. The server's peak (VmHWM) covers sign-ins, browsing, the
upload and the publish it asked for.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
import threading
import time
from pathlib import Path

from benchmarks.capture import PageScript
from benchmarks.dash_client import UPDATE
from benchmarks.dashboard_bench import MEMORY_GOAL_MB
from benchmarks.dataset import Dataset, bench_env, say
from benchmarks.load import ChildPeaks, HttpTransport, LoadResult, peak_rss_mb, run_clients, serving
from benchmarks.stats import Measure

PUBLISH_WAIT_S = 300.0


def copy_data(ds: Dataset, target: Path) -> Path:
    """The system of record and the published snapshot, laid out as publish leaves them."""
    from etl.warehouse import Warehouse

    source = ds.root / "data"
    if target.exists():
        shutil.rmtree(target)
    (target / "snapshots").mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        if (source / f"naio.db{suffix}").exists():
            shutil.copyfile(source / f"naio.db{suffix}", target / f"naio.db{suffix}")
    snapshot = Warehouse(source / "warehouse.duckdb").meta()["snapshot_id"]
    shutil.copyfile(source / "warehouse.duckdb", target / "snapshots" / f"{snapshot}.duckdb")
    os.link(target / "snapshots" / f"{snapshot}.duckdb", target / "warehouse.duckdb")
    return target


def revised(path: Path) -> bytes:
    """The same return with a note on every row: new bytes, the same (valid) values."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) + [c for c in ("notes",) if c not in rows[0]],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows({**r, "notes": "revised for the memory run"} for r in rows)
    return out.getvalue().encode()


def submit_body(deps: list[dict], file_name: str, data: bytes) -> dict:
    """The body the browser posts when Submit is pressed on the Submit page."""
    dep = next(d for d in deps if "submit-result.children" in d["output"])
    outs = [{"id": o.split(".")[0], "property": o.split(".", 1)[1]} for o in dep["output"].strip(".").split("...")]
    values = {"submit-submit-btn.n_clicks": 1, "submit-upload.filename": file_name, "submit-lang.data": "en",
              "submit-reason.value": "revised figures",
              "submit-upload.contents": "data:text/csv;base64," + base64.b64encode(data).decode()}

    def pick(items: list[dict]) -> list[dict]:
        return [{"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
                for i in items]

    return {"output": dep["output"], "outputs": outs, "inputs": pick(dep["inputs"]), "state": pick(dep["state"]),
            "changedPropIds": ["submit-submit-btn.n_clicks"]}


def _submit_and_wait(url: str, ds: Dataset, data_dir: Path, outcome: dict) -> None:
    from etl.warehouse import Warehouse

    before = Warehouse(data_dir / "warehouse.duckdb").meta()["snapshot_id"]
    t = HttpTransport(url, timeout=120)
    t.login()
    deps = json.loads(t.get("/_dash-dependencies")[1])
    path = Path(ds.probe_item.path)
    started = time.monotonic()
    status, answer = t.post(UPDATE, json.dumps(submit_body(deps, path.name, revised(path))).encode())
    accepted = status == 200 and b'"data-status":"accepted"' in answer.replace(b" ", b"")
    outcome.update(status=status, accepted=accepted, upload_s=round(time.monotonic() - started, 2))
    if not accepted:
        outcome["answer"] = answer[:300].decode(errors="replace")
        return
    while time.monotonic() - started < PUBLISH_WAIT_S:
        if Warehouse(data_dir / "warehouse.duckdb").meta()["snapshot_id"] != before:
            outcome["live_after_s"] = round(time.monotonic() - started, 1)
            return
        time.sleep(0.5)


def measure_upload_memory(ds: Dataset, scripts: list[PageScript], clients: int, seconds: float) -> Measure:
    data_dir = copy_data(ds, ds.root / "runs" / "upload-data")
    outcome: dict = {}
    m = Measure(name=f"server peak memory (VmHWM), {clients} sign-ins + browsing + an upload and its publish",
                unit="MB", goal=f"< {MEMORY_GOAL_MB:g} MB", max_value=MEMORY_GOAL_MB)
    try:
        with serving(bench_env(data_dir), ds.root / "server-upload.log") as (proc, url):
            run_clients(url, scripts, 1, 0.0)  # warm-up, as in the other runs
            uploader = threading.Thread(target=_submit_and_wait, args=(url, ds, data_dir, outcome))
            load: list[LoadResult] = []
            browsing = threading.Thread(target=lambda: load.append(
                run_clients(url, scripts, clients, seconds, signed_in=uploader.start)))
            with ChildPeaks(proc.pid) as children:
                browsing.start()
                browsing.join()
                uploader.join(timeout=PUBLISH_WAIT_S)
            peak = peak_rss_mb(proc.pid)[0]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    m.runs = [peak]
    m.extra = {**outcome, "page_views": load[0].views if load else 0, "errors": len(load[0].errors) if load else None,
               # the processes the server started for the upload and the publish: not the server's own memory
               "children_peak_mb": {str(pid): {"command": cmd, "peak_mb": round(mb, 1)}
                                    for pid, (cmd, mb) in children.peaks.items()}}
    if not outcome.get("accepted") or "live_after_s" not in outcome:
        m.error = f"the upload was not accepted and published during the run: {outcome}"
    started = ", ".join(f"{mb:.0f} MB" for _, mb in children.peaks.values()) or "none seen"
    say(f"upload run: server peak {peak:.0f} MB (processes it started, each: {started}); {outcome}")
    return m
