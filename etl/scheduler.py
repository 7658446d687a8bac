"""The scheduler: APScheduler 3 inside the web server, or alone with ``python app.py scheduler``.

Exactly one scheduler runs per data folder: it holds an exclusive lock on
``<data_dir>/scheduler.lock`` (``fcntl.flock``), and a second one refuses to start and says
who holds the lock. Each job also takes its own lock (``<data_dir>/locks/<job>.lock``), so
a run started by hand never overlaps a scheduled one.

Every run leaves a row in ``etl_runs`` (start, end, status, counts, error): ``ok``,
``failed``, ``skipped`` (nothing to do, e-mail disabled, or the previous run still going) or
``missed``. Calendar jobs resume from their last run: a fire time that passed while no
scheduler was running is run late within its grace time, or recorded as missed.

When ``publish_if_new`` has published, ``prebuild_packs`` is run at once (it also runs hourly,
for publishes started by hand), so the current quarter's packs are ready before anyone asks.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from etl import jobs
from etl.settings import MALAYSIA, Settings
from etl.store import Store

TZ = MALAYSIA
log = logging.getLogger("naio.scheduler")
JobFunc = Callable[[Settings, Store, datetime], dict]
PUBLISH_JOB, PREBUILD_JOB = "publish_if_new", "prebuild_packs"


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: JobFunc
    trigger: BaseTrigger
    grace_seconds: int  # a run later than this after its fire time is recorded as missed
    catch_up: bool  # resume from the last run (calendar jobs) rather than from now
    help: str


def job_specs(pack_builder: jobs.PackBuilder | None = None) -> tuple[JobSpec, ...]:
    """The product's schedule (Asia/Kuala_Lumpur). Returns are due 30 days after a quarter ends."""
    mail_pack = partial(jobs.mail_pack, builder=pack_builder) if pack_builder else jobs.mail_pack
    prebuild = partial(jobs.prebuild_packs, builder=pack_builder) if pack_builder else jobs.prebuild_packs
    reminders = OrTrigger([CronTrigger(month="1,4,7,10", day="15,25", hour=9, timezone=TZ),
                           CronTrigger(month="2,5,8,11", day=1, hour=9, timezone=TZ)])
    return (
        JobSpec("poll_inbox", jobs.poll_inbox, IntervalTrigger(minutes=5, timezone=TZ), 240, False,
                "every 5 minutes: ingest files dropped in the inbox folder"),
        JobSpec("pull_sources", jobs.pull_sources, CronTrigger(minute=15, timezone=TZ), 1800, True,
                "hourly at :15: pull the HTTP sources of the sources file"),
        JobSpec("publish_if_new", jobs.publish_if_new, IntervalTrigger(minutes=10, timezone=TZ), 540, False,
                "every 10 minutes: publish when accepted or reference data changed"),
        JobSpec("prebuild_packs", prebuild, CronTrigger(minute=40, timezone=TZ), 1800, False,
                "after each scheduled publish, and hourly at :40: build the current quarter's packs (BM and EN)"),
        JobSpec("mail_pack", mail_pack, CronTrigger(month="2,5,8,11", day=10, hour=8, timezone=TZ), 3 * 86400, True,
                "10 Feb/May/Aug/Nov 08:00: e-mail the last quarter's minister pack (BM and EN)"),
        JobSpec("remind_missing", jobs.remind_missing, reminders, 12 * 3600, True,
                "15th and 25th of the month after a quarter, and the 1st of the next: remind missing returns"),
    )


# ---- locks ------------------------------------------------------------------------------------
class FileLock:
    """An exclusive, non-blocking ``flock`` on a file; the file names its holder."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fh = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now(TZ):%Y-%m-%d %H:%M:%S %Z}\n")
        fh.flush()
        self._fh = fh
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip() or "another process"
        except OSError:
            return "another process"

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


class SchedulerBusy(RuntimeError):
    """Another scheduler already runs for this data folder."""


def scheduler_lock(settings: Settings) -> FileLock:
    return FileLock(settings.data_dir / "scheduler.lock")


def job_lock(settings: Settings, name: str) -> FileLock:
    return FileLock(settings.data_dir / "locks" / f"{name}.lock")


# ---- one run ----------------------------------------------------------------------------------
def run_job(name: str, func: JobFunc, settings: Settings, store: Store, *, trigger: str = "schedule",
            now: datetime | None = None) -> str:
    """Run one job under its lock and leave a run row; returns the run's status."""
    now = now or datetime.now(TZ)
    lock = job_lock(settings, name)
    if not lock.try_acquire():
        store.record_run(name, "skipped", trigger, now.astimezone(UTC),
                         error=f"the previous run is still going ({lock.holder()})")
        return "skipped"
    try:
        run_id = store.start_run(name, trigger, started_at=now.astimezone(UTC))
        try:
            counts = func(settings, store, now)
        except jobs.JobStop as stop:
            store.finish_run(run_id, stop.status, stop.counts, str(stop))
            return stop.status
        except Exception as exc:
            log.exception("job %s failed", name)
            store.finish_run(run_id, "failed", {}, f"{type(exc).__name__}: {exc}")
            return "failed"
        store.finish_run(run_id, "ok", counts)
        return "ok"
    finally:
        lock.release()


def _on_missed(store: Store, event: JobEvent) -> None:
    when = event.scheduled_run_time
    store.record_run(event.job_id, "missed", "schedule", when.astimezone(UTC),
                     error=f"missed: due {when.astimezone(TZ):%Y-%m-%d %H:%M %Z} and not run within its grace time")


def _after_publish(sched: BaseScheduler, store: Store, event: JobEvent) -> None:
    """Run ``prebuild_packs`` now when ``publish_if_new`` has just published a snapshot."""
    if event.job_id != PUBLISH_JOB or event.retval != "ok" or sched.get_job(PREBUILD_JOB) is None:
        return
    last = store.runs(limit=1, job=PUBLISH_JOB)
    if last.empty or not json.loads(last["counts_json"].iloc[0] or "{}").get("published"):
        return
    sched.modify_job(PREBUILD_JOB, next_run_time=datetime.now(TZ))


def _on_max_instances(store: Store, event: JobEvent) -> None:
    when = event.scheduled_run_times[-1] if event.scheduled_run_times else datetime.now(TZ)
    store.record_run(event.job_id, "skipped", "schedule", when.astimezone(UTC),
                     error="skipped: the previous run was still going")


# ---- building and starting --------------------------------------------------------------------
def first_run_time(spec: JobSpec, store: Store, now: datetime) -> datetime | None:
    """The fire time after the job's last run (calendar jobs), or None to start from now."""
    if not spec.catch_up:
        return None
    last = store.runs(limit=1, job=spec.name)
    if last.empty:
        return None
    started = last["started_at"].iloc[0].to_pydatetime()
    started = started.replace(tzinfo=UTC) if started.tzinfo is None else started
    return spec.trigger.get_next_fire_time(None, started.astimezone(TZ) + timedelta(seconds=1))


def build_scheduler(settings: Settings, store: Store, *, blocking: bool = False,
                    specs: tuple[JobSpec, ...] | None = None, now: datetime | None = None) -> BaseScheduler:
    """A configured (not started) scheduler: one job per spec, misses and skips recorded."""
    now = now or datetime.now(TZ)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    sched = cls(timezone=TZ, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    for spec in specs or job_specs():
        options = {"next_run_time": first} if (first := first_run_time(spec, store, now)) else {}
        sched.add_job(run_job, spec.trigger, args=[spec.name, spec.func, settings, store], id=spec.name,
                      name=spec.name, misfire_grace_time=spec.grace_seconds, coalesce=True, max_instances=1,
                      replace_existing=True, **options)
    sched.add_listener(partial(_on_missed, store), EVENT_JOB_MISSED)
    sched.add_listener(partial(_on_max_instances, store), EVENT_JOB_MAX_INSTANCES)
    sched.add_listener(partial(_after_publish, sched, store), EVENT_JOB_EXECUTED)
    return sched


def _close_interrupted(settings: Settings, store: Store, specs: tuple[JobSpec, ...]) -> None:
    """Runs left 'running' by a stopped process; a job whose lock is held is really running."""
    for spec in specs:
        lock = job_lock(settings, spec.name)
        if lock.try_acquire():
            try:
                store.close_interrupted_runs(spec.name)
            finally:
                lock.release()


class RunningScheduler:
    """A started scheduler and the lock it holds; ``shutdown`` stops both."""

    def __init__(self, scheduler: BaseScheduler, lock: FileLock):
        self.scheduler = scheduler
        self.lock = lock

    def shutdown(self, wait: bool = False) -> None:
        try:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=wait)
        finally:
            self.lock.release()


def _acquire(settings: Settings) -> FileLock:
    lock = scheduler_lock(settings)
    if not lock.try_acquire():
        raise SchedulerBusy(f"a scheduler already runs for {settings.data_dir} ({lock.holder()}); "
                            "only one may run at a time (lock: scheduler.lock)")
    return lock


def start(settings: Settings, store: Store, specs: tuple[JobSpec, ...] | None = None) -> RunningScheduler:
    """Start a background scheduler; raises ``SchedulerBusy`` when another one runs."""
    specs = specs or job_specs()
    lock = _acquire(settings)
    try:
        _close_interrupted(settings, store, specs)
        sched = build_scheduler(settings, store, specs=specs)
        sched.start()
    except BaseException:
        lock.release()
        raise
    return RunningScheduler(sched, lock)


def start_in_process(settings: Settings, store: Store) -> RunningScheduler | None:
    """The web server's scheduler; when another scheduler runs, serve without one and say why."""
    try:
        return start(settings, store)
    except SchedulerBusy as exc:
        log.warning("scheduler not started: %s", exc)
        print(f"scheduler not started here: {exc}", file=sys.stderr, flush=True)
        return None


def run_foreground(settings: Settings, store: Store, say: Callable[[str], None]) -> int:
    """``python app.py scheduler``: run the jobs in this process until stopped (exit 1 when busy)."""
    try:
        lock = _acquire(settings)
    except SchedulerBusy as exc:
        say(f"scheduler refused to start: {exc}")
        return 1
    try:
        specs = job_specs()
        _close_interrupted(settings, store, specs)
        sched = build_scheduler(settings, store, blocking=True, specs=specs)
        signal.signal(signal.SIGTERM, lambda *_: sched.shutdown(wait=False))
        for line in describe(sched):
            say(line)
        try:
            sched.start()
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        lock.release()


def describe(sched: BaseScheduler) -> list[str]:
    """One line per job: name, next fire time (before start: the trigger's next time)."""
    now = datetime.now(TZ)
    lines = []
    for job in sched.get_jobs():
        nxt = getattr(job, "next_run_time", None) or job.trigger.get_next_fire_time(None, now)
        lines.append(f"{job.id:<15} next {nxt:%Y-%m-%d %H:%M %Z}  ({job.trigger})")
    return lines
