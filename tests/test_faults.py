"""Faults: SIGKILL of ingest and publish at many moments, and a busy server under writes.

After every kill the stores must be consistent: each accepted submission has all its rows,
no row lacks an accepted submission, no (agency, period) has two current row sets, the
archive holds complete files only, and the warehouse opens with whole meta. Nothing
accepted before a kill is lost, and re-running the ingest completes the set.
"""

from __future__ import annotations

import hashlib
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from etl.store import Store
from etl.warehouse import Warehouse
from tests.conftest import ROOT, make_settings

META_KEYS = {"snapshot_id", "content_hash", "published_at", "current_period", "today"}
ROW_TABLES = {"return": "return_rows", "register": "register_systems", "sector": "sector_rows"}
INGEST_KILLS = 24
PUBLISH_KILLS = 24
STRESS_SECONDS = 60.0
STRESS_CLIENTS = 20
PACK = "/pack"  # the PDF pack: a download, not a page; fetched once during the busy minute


def cli_env(settings) -> dict[str, str]:
    return {**os.environ, "NAIO_DATA_DIR": str(settings.data_dir), "NAIO_TODAY": settings.today,
            "NAIO_DATABASE_URL": settings.database_url, "NAIO_SCHEDULER": "0", "NAIO_DEMO_ACCOUNTS": "0"}


def run_and_kill(args: list[str], env: dict, after_lines: int, delay: float, timeout: float = 180) -> bool:
    """Run ``app.py args``; SIGKILL it ``delay`` s after its ``after_lines``-th stderr line.

    Returns whether the kill landed (False: the command had already finished)."""
    proc = subprocess.Popen([sys.executable, "app.py", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr] + [lines.put(None)], daemon=True).start()
    deadline, seen = time.monotonic() + timeout, 0
    while seen < after_lines and time.monotonic() < deadline:
        try:
            if lines.get(timeout=1) is None:
                break
            seen += 1
        except queue.Empty:
            continue
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return killed


def accepted_files(store: Store) -> set[tuple[str, str]]:
    subs = store.frame("submissions")
    return set(zip(subs.loc[subs["status"] == "accepted", "sha256"], subs.loc[subs["status"] == "accepted", "kind"], strict=True))


def assert_consistent(settings) -> None:
    """The invariants of the system of record, the archive and the warehouse."""
    store = Store(settings.database_url)  # no migrate: read what the killed process left
    try:
        subs = store.frame("submissions")
        accepted = subs[subs["status"] == "accepted"]
        for kind, table in ROW_TABLES.items():
            rows = store.frame(table)
            mine = accepted[accepted["kind"] == kind]
            counts = rows.groupby("submission_id").size()
            for sid, n_rows in zip(mine["submission_id"], mine["n_rows"], strict=True):
                assert counts.get(sid, 0) == n_rows, f"{kind} submission {sid} has {counts.get(sid, 0)} of {n_rows} rows"
            assert set(rows["submission_id"]) <= set(mine["submission_id"]), f"{table} rows without an accepted file"
            assert set(rows["superseded_by"].dropna().astype(int)) <= set(accepted["submission_id"])
            if kind != "sector":
                current = rows[rows["superseded_by"].isna()]
                sets = current.groupby(["agency_code", "period"])["submission_id"].nunique()
                assert sets.max() <= 1 if len(sets) else True, f"two current {table} sets for one (agency, period)"
        assert_archive_whole(settings, set(accepted["sha256"]))
    finally:
        store.dispose()
    if settings.warehouse_path.exists():
        assert META_KEYS <= set(Warehouse(settings.warehouse_path).meta())


def assert_archive_whole(settings, accepted_hashes: set[str]) -> None:
    names = set()
    for path in settings.archive_dir.rglob("*"):
        if path.is_file() and not path.name.startswith("."):  # dot files: an interrupted write
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"partial archive file {path}"
            names.add(path.name)
    assert accepted_hashes <= names, "an accepted file is missing from the archive"


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> list[Path]:
    from etl.demo import first_period_for, generate

    out = tmp_path_factory.mktemp("fault-files")
    manifest = generate(out, reference_dir=ROOT / "data" / "reference", n_agencies=16,
                        first_period=first_period_for("2026Q3", 3), last_period="2026Q3", seed=11)
    return [Path(item.path) for item in manifest.items]


def test_killed_ingest_loses_no_accepted_file(tmp_path, demo_files):
    settings = make_settings(tmp_path)
    env, hashes = cli_env(settings), [hashlib.sha256(p.read_bytes()).hexdigest() for p in demo_files]
    rng, landed, accepted_before = random.Random(20261126), 0, set()
    for k in range(INGEST_KILLS):
        # the first kills land during start-up (store creation), the others one to three files
        # into a batch that starts just before the first file not yet accepted
        done = next((i for i, h in enumerate(hashes) if h not in {a for a, _ in accepted_before}), len(hashes))
        # once every file is in, the whole set again: the duplicates are read, recognised and
        # recorded, which is killable work too (and keeps kills landing on a fast machine)
        batch = [str(p) for p in demo_files[max(done - 1, 0):]] if done < len(hashes) else list(map(str, demo_files))
        after, delay = (0, 0.05 + 0.15 * k) if k < 4 else (rng.randint(1, 3), rng.uniform(0.0, 0.06))
        landed += run_and_kill(["ingest", *batch], env, after, delay)
        if not Path(settings.database_url.removeprefix("sqlite:///")).exists():
            continue
        assert_consistent(settings)
        store = Store(settings.database_url)
        now = accepted_files(store)
        store.dispose()
        assert accepted_before <= now, "a file accepted before a kill was lost"
        accepted_before = now
    assert landed >= 20, f"only {landed} kills landed while the ingest was running"
    rerun = subprocess.run([sys.executable, "app.py", "ingest", *map(str, demo_files)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert_consistent(settings)
    store = Store(settings.database_url)
    assert set(hashes) <= {h for h, _ in accepted_files(store)}
    runs = store.runs(job="ingest", limit=500)
    store.dispose()
    # the runs the kills interrupted were closed by the next ingest, none is left "running"
    # (a kill during start-up lands before the run row is written, so not every kill has one)
    assert "running" not in set(runs["status"])
    assert (runs["error"].fillna("").str.startswith("interrupted")).sum() >= 10


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A small published data folder (demo data through ingest, then publish)."""
    from etl.demo_loader import load_demo
    from etl.publish import publish

    settings = make_settings(tmp_path_factory.mktemp("faults"))
    settings.data_dir.mkdir(parents=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    load_demo(settings, store, n_agencies=10, n_quarters=3)
    publish(store, settings, trigger="test")
    yield settings, store
    store.dispose()


def test_killed_publish_keeps_a_whole_warehouse(loaded):
    settings, store = loaded
    env = cli_env(settings)
    # The kills are spread over the quickest of three publishes: one slowed down by a busy
    # machine would put the later kills after the end of a normal publish.
    durations = []
    for _ in range(3):
        started = time.monotonic()
        assert subprocess.run([sys.executable, "app.py", "publish"], cwd=ROOT, env=env, capture_output=True,
                              timeout=300).returncode == 0
        durations.append(time.monotonic() - started)
    full = min(durations)
    rng, landed, seen = random.Random(7), 0, {Warehouse(settings.warehouse_path).meta()["snapshot_id"]}
    k = attempts = 0
    while k < PUBLISH_KILLS and attempts < 3 * PUBLISH_KILLS:
        attempts += 1
        delay = full * (0.05 + 0.8 * k / PUBLISH_KILLS) + rng.uniform(0.0, 0.05)
        if run_and_kill(["publish"], env, 0, delay):
            landed, k = landed + 1, k + 1
        else:  # that publish was quicker than the measured one: aim the next kills earlier
            full *= 0.85
        meta = Warehouse(settings.warehouse_path).meta()
        assert META_KEYS <= set(meta)
        assert Warehouse(settings.warehouse_path).rows("SELECT count(*) FROM kpi_value")[0][0] > 0
        seen.add(meta["snapshot_id"])
        assert_consistent(settings)
    assert landed >= 20, f"only {landed} kills landed while publish was running"
    done = subprocess.run([sys.executable, "app.py", "publish"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not list(settings.snapshots_dir.glob(".*.building*"))
    assert "running" not in set(store.runs(job="publish", limit=50)["status"])


# ---- a busy server: 20 clients, uploads and publishes at once ---------------------------
def browse(base: str, deadline: float, errors: list[str], done: list[str]) -> None:
    import json

    from benchmarks.dash_client import nav_paths, page_view
    from benchmarks.load import HttpTransport

    t = HttpTransport(base, errors=errors)
    if t.login() not in (302, 303):
        errors.append("sign-in refused")
    paths, i = nav_paths(json.loads(t.get("/_dash-layout")[1]), exclude=(PACK,)), 0
    while time.monotonic() < deadline:
        try:
            t.get(paths[i % len(paths)])
            calls = page_view(t, paths[i % len(paths)])
            done.append(f"{paths[i % len(paths)]}: {len(calls)} callbacks")
        except Exception as exc:
            errors.append(f"client: {type(exc).__name__}: {exc}")
        i += 1


def download_pack(base: str, errors: list[str], done: list[str]) -> None:
    from benchmarks.load import HttpTransport

    t = HttpTransport(base, timeout=180, errors=errors)
    t.login()
    status, data = t.get(PACK)
    if status == 200 and not data.startswith(b"%PDF"):
        errors.append(f"{PACK}: not a PDF")
    done.append(f"{PACK}: {status}, {len(data)} bytes")


def revised(path: Path, n: int) -> bytes:
    """The same return with new notes: new bytes, the same (valid) values."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({**r, "notes": f"revision {n}"} for r in rows)
    return out.getvalue().encode()


def upload(settings, store: Store, files: list[Path], deadline: float, errors: list[str], done: list[str],
           seed: int) -> None:
    from etl.ingest import Ingestor

    ingestor, rng, n = Ingestor(store, settings), random.Random(seed), 0
    while time.monotonic() < deadline:
        n += 1
        path = rng.choice(files)
        try:
            result = ingestor.ingest_bytes(revised(path, seed * 100000 + n), path.name, source="upload",
                                           submitted_by="test", reason="revised while the dashboard is busy")
            if result.status != "accepted":
                errors.append(f"upload {path.name}: {result.status} {result.errors[:1]}")
            done.append(path.name)
        except Exception as exc:
            errors.append(f"upload {path.name}: {type(exc).__name__}: {exc}")


def keep_publishing(settings, store: Store, deadline: float, errors: list[str], done: list[str]) -> None:
    from etl.publish import publish

    while time.monotonic() < deadline:
        try:
            done.append(publish(store, settings, trigger="test").snapshot_id)
        except Exception as exc:
            errors.append(f"publish: {type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_busy_dashboard_with_uploads_and_publish_gives_no_error(loaded, tmp_path):
    from benchmarks.dashboard_bench import ensure_bench_user
    from benchmarks.load import serving
    from etl.demo import first_period_for, generate

    settings, store = loaded
    ensure_bench_user(store)
    manifest = generate(tmp_path / "files", reference_dir=settings.reference_dir, n_agencies=10,
                        first_period=first_period_for("2026Q3", 3), last_period="2026Q3", seed=7)
    files = [Path(i.path) for i in manifest.items if i.kind == "return" and not i.reason]
    errors: dict[str, list[str]] = {"clients": [], "uploads": [], "publish": []}
    done: dict[str, list[str]] = {"clients": [], "uploads": [], "publish": []}
    with serving(cli_env(settings), tmp_path / "server.log") as (_proc, base):
        deadline = time.monotonic() + STRESS_SECONDS
        workers = [threading.Thread(target=browse, args=(base, deadline, errors["clients"], done["clients"]))
                   for _ in range(STRESS_CLIENTS)]
        workers += [threading.Thread(target=upload, args=(settings, store, files, deadline, errors["uploads"],
                                                          done["uploads"], seed)) for seed in (1, 2)]
        workers.append(threading.Thread(target=keep_publishing, args=(settings, store, deadline, errors["publish"],
                                                                      done["publish"])))
        workers.append(threading.Thread(target=download_pack, args=(base, errors["clients"], done["clients"])))
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=STRESS_SECONDS + 120)
    assert all(not w.is_alive() for w in workers)
    assert errors == {"clients": [], "uploads": [], "publish": []}, {k: v[:5] for k, v in errors.items()}
    assert len(done["clients"]) >= STRESS_CLIENTS and len(done["uploads"]) >= 4 and len(done["publish"]) >= 2, \
        {k: len(v) for k, v in done.items()}
    assert_consistent(settings)
