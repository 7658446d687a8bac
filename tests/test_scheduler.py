"""The scheduler driven by a chosen clock: triggers, one scheduler at a time, runs, misses, jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.date import DateTrigger

from etl import jobs
from etl.accounts import add_user
from etl.scheduler import (
    TZ,
    JobSpec,
    SchedulerBusy,
    build_scheduler,
    first_run_time,
    job_lock,
    job_specs,
    run_foreground,
    run_job,
    start,
    start_in_process,
)
from tests.conftest import ROOT
from tests.smtp_sink import SmtpSink

RETURN_CSV = "agency_code,period,indicator_code,value\nJPN,2026Q3,HC_TOTAL,1200\nJPN,2026Q3,HC_AI_LIT,300\n"
BAD_CSV = "agency_code,period,indicator_code,value\nJPN,2026Q3,HC_TOTAL,abc\n"


def kl(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def spec(name: str) -> JobSpec:
    return next(s for s in job_specs() if s.name == name)


def last_run(store, job: str) -> dict:
    row = store.runs(limit=1, job=job).iloc[0].to_dict()
    row["counts"] = json.loads(row["counts_json"] or "{}")
    return row


# ---- triggers and options, computed with injected times -------------------------------------
@pytest.mark.parametrize("job, now, expected", [
    ("mail_pack", kl(2026, 10, 1), kl(2026, 11, 10, 8)),
    ("mail_pack", kl(2026, 11, 10, 8, 0, 1), kl(2027, 2, 10, 8)),
    ("remind_missing", kl(2026, 10, 1), kl(2026, 10, 15, 9)),
    ("remind_missing", kl(2026, 10, 16), kl(2026, 10, 25, 9)),
    ("remind_missing", kl(2026, 10, 26), kl(2026, 11, 1, 9)),
    ("remind_missing", kl(2026, 11, 2), kl(2027, 1, 15, 9)),
    ("pull_sources", kl(2026, 11, 26, 10, 20), kl(2026, 11, 26, 11, 15)),
])
def test_calendar_triggers_in_kuala_lumpur_time(job, now, expected):
    fire = spec(job).trigger.get_next_fire_time(None, now)
    assert fire == expected and fire.utcoffset() == timedelta(hours=8)


def test_interval_jobs_and_options(settings, sqlite_store):
    sched = build_scheduler(settings, sqlite_store, now=kl(2026, 11, 26, 10))
    jobs_by_id = {j.id: j for j in sched.get_jobs()}
    assert set(jobs_by_id) == {"poll_inbox", "pull_sources", "publish_if_new", "prebuild_packs", "mail_pack",
                              "remind_missing"}
    for job in jobs_by_id.values():
        assert job.max_instances == 1 and job.coalesce is True and job.misfire_grace_time > 0
    assert str(sched.timezone) == "Asia/Kuala_Lumpur"
    assert spec("poll_inbox").trigger.interval == timedelta(minutes=5)


def test_calendar_jobs_resume_from_their_last_run(sqlite_store):
    sqlite_store.record_run("mail_pack", "ok", "schedule", kl(2026, 5, 10, 8).astimezone(UTC))
    assert first_run_time(spec("mail_pack"), sqlite_store, kl(2026, 11, 26)) == kl(2026, 8, 10, 8)
    assert first_run_time(spec("remind_missing"), sqlite_store, kl(2026, 11, 26)) is None
    assert first_run_time(spec("poll_inbox"), sqlite_store, kl(2026, 11, 26)) is None


# ---- one scheduler at a time, no overlapping runs --------------------------------------------
def test_a_second_scheduler_refuses_and_says_why(settings, sqlite_store, capsys):
    first = start(settings, sqlite_store)
    try:
        with pytest.raises(SchedulerBusy, match=r"a scheduler already runs .*pid \d+"):
            start(settings, sqlite_store)
        assert start_in_process(settings, sqlite_store) is None
        assert "scheduler not started here" in capsys.readouterr().err
        said: list[str] = []
        assert run_foreground(settings, sqlite_store, said.append) == 1
        assert "refused to start" in said[0]
    finally:
        first.shutdown(wait=False)
    again = start_in_process(settings, sqlite_store)
    assert again is not None
    again.shutdown(wait=False)


def test_another_process_is_refused_while_the_lock_is_held(settings, sqlite_store):
    running = start(settings, sqlite_store)
    try:
        env = {**os.environ, "NAIO_DATA_DIR": str(settings.data_dir), "NAIO_TODAY": settings.today}
        proc = subprocess.run([sys.executable, "app.py", "scheduler"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
    finally:
        running.shutdown(wait=False)
    assert proc.returncode == 1
    assert "scheduler refused to start" in proc.stderr and "only one may run at a time" in proc.stderr


def test_an_overlapping_run_is_skipped_and_recorded(settings, sqlite_store):
    held = job_lock(settings, "poll_inbox")
    assert held.try_acquire()
    try:
        assert run_job("poll_inbox", jobs.poll_inbox, settings, sqlite_store, now=kl(2026, 11, 26, 10)) == "skipped"
    finally:
        held.release()
    run = last_run(sqlite_store, "poll_inbox")
    assert run["status"] == "skipped" and "still going" in run["error"]


def test_a_missed_run_is_recorded(settings, sqlite_store):
    due = datetime.now(TZ) - timedelta(hours=2)
    missed = JobSpec("mail_pack", lambda *_: {}, DateTrigger(run_date=due, timezone=TZ), 60, False, "test")
    sched = build_scheduler(settings, sqlite_store, specs=(missed,))
    sched.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and sqlite_store.runs(job="mail_pack").empty:
            time.sleep(0.05)
    finally:
        sched.shutdown(wait=False)
    run = last_run(sqlite_store, "mail_pack")
    assert run["status"] == "missed" and run["trigger"] == "schedule" and "missed: due" in run["error"]


def test_every_run_leaves_a_row(settings, sqlite_store):
    def boom(*_):
        raise RuntimeError("disk on fire")

    def skip(*_):
        raise jobs.JobSkipped("nothing to send", {"n": 0})

    now = kl(2026, 11, 26, 10)
    assert run_job("job_ok", lambda *_: {"n": 3}, settings, sqlite_store, now=now) == "ok"
    assert run_job("job_boom", boom, settings, sqlite_store, now=now) == "failed"
    assert run_job("job_skip", skip, settings, sqlite_store, now=now) == "skipped"
    rows = {r["job"]: r for r in sqlite_store.runs().to_dict("records")}
    assert rows["job_ok"]["status"] == "ok" and json.loads(rows["job_ok"]["counts_json"]) == {"n": 3}
    assert rows["job_boom"]["error"] == "RuntimeError: disk on fire"
    assert rows["job_skip"]["status"] == "skipped" and rows["job_skip"]["error"] == "nothing to send"
    assert all(r["ended_at"] is not None for r in rows.values())


# ---- the jobs ---------------------------------------------------------------------------------
def test_poll_inbox_files_accepted_and_rejected(settings, sqlite_store):
    inbox = settings.inbox_dir
    inbox.mkdir(parents=True)
    (inbox / "jpn.csv").write_text(RETURN_CSV)
    (inbox / "bad.csv").write_text(BAD_CSV)
    (inbox / "copying.csv.part").write_text(RETURN_CSV)
    now = datetime.now(TZ) + timedelta(minutes=1)
    assert run_job("poll_inbox", jobs.poll_inbox, settings, sqlite_store, now=now) == "ok"
    assert (inbox / "done" / "jpn.csv").exists() and (inbox / "rejected" / "bad.csv").exists()
    problems = (inbox / "rejected" / "bad.csv.problems.txt").read_text()
    assert "row 2, column value" in problems and "'abc' is not a number" in problems
    assert (inbox / "copying.csv.part").exists()
    assert last_run(sqlite_store, "poll_inbox")["counts"] == {"accepted": 1, "rejected": 1, "files": 2}
    subs = sqlite_store.submissions()
    assert set(subs["source"]) == {"inbox"} and sorted(subs["status"]) == ["accepted", "rejected"]


def test_poll_inbox_waits_for_files_still_being_written(settings, sqlite_store):
    settings.inbox_dir.mkdir(parents=True)
    (settings.inbox_dir / "jpn.csv").write_text(RETURN_CSV)
    counts = jobs.poll_inbox(settings, sqlite_store, datetime.now(TZ))
    assert counts == {"files": 0} and (settings.inbox_dir / "jpn.csv").exists()


def test_the_pack_is_mailed_to_the_distribution_list(settings, sqlite_store):
    built: list[tuple[str, str]] = []

    def builder(_settings, _store, period, lang, trigger):
        built.append((period, lang))
        return b"%PDF-1.7 " + lang.encode(), "snap-1"

    with SmtpSink() as sink:
        s = settings.with_(smtp_host=sink.host, smtp_port=sink.port, today="",
                           pack_recipients=("minister@example.gov.my", "ksu@example.gov.my"))
        assert run_job("mail_pack", lambda *a: jobs.mail_pack(*a, builder=builder), s, sqlite_store,
                       now=kl(2026, 11, 10, 8)) == "ok"
    assert built == [("2026Q3", "ms"), ("2026Q3", "en")]
    (sender, rcpts, msg), = sink.messages
    assert sender == s.mail_from and sorted(rcpts) == ["ksu@example.gov.my", "minister@example.gov.my"]
    assert "2026Q3" in msg["Subject"]
    names = [a.get_filename() for a in msg.iter_attachments()]
    assert names == ["naio-pack-2026Q3-ms.pdf", "naio-pack-2026Q3-en.pdf"]
    assert last_run(sqlite_store, "mail_pack")["counts"]["mails"] == 1


def test_the_pack_job_is_skipped_without_e_mail(settings, sqlite_store):
    s = settings.with_(pack_recipients=("minister@example.gov.my",))
    assert run_job("mail_pack", jobs.mail_pack, s, sqlite_store, now=kl(2026, 11, 10, 8)) == "skipped"
    assert "NAIO_SMTP_HOST is empty" in last_run(sqlite_store, "mail_pack")["error"]


def test_reminders_go_to_agencies_with_missing_returns(settings, sqlite_store):
    from etl.ingest import Ingestor

    Ingestor(sqlite_store, settings).ingest_bytes(RETURN_CSV.encode(), "jpn.csv")
    settings.data_dir.joinpath(jobs.CONTACTS_FILE).write_text(
        "agency_code,email\nJPN,ict@jpn.gov.my\nlhdn,ai@hasil.gov.my\nLHDN,cio@hasil.gov.my\n")
    add_user(sqlite_store, "data@audit.gov.my", "a-long-password", "analyst", "AUDIT")
    with SmtpSink() as sink:
        s = settings.with_(smtp_host=sink.host, smtp_port=sink.port, today="")
        assert run_job("remind_missing", jobs.remind_missing, s, sqlite_store, now=kl(2026, 11, 1, 9)) == "ok"
    sent = {tuple(sorted(rcpts)): msg for _, rcpts, msg in sink.messages}
    assert set(sent) == {("ai@hasil.gov.my", "cio@hasil.gov.my"), ("data@audit.gov.my",)}
    body = sent[("data@audit.gov.my",)].get_content()
    assert "2026Q3" in body and "overdue" in body and "30.10.2026" in body
    counts = last_run(sqlite_store, "remind_missing")["counts"]
    assert counts["emailed"] == 2 and counts["period"] == "2026Q3"
    assert counts["missing"] == counts["no_contact"] + 2


def test_scheduler_command_lists_and_runs_jobs(settings):
    env = {**os.environ, "NAIO_DATA_DIR": str(settings.data_dir), "NAIO_TODAY": settings.today}
    listed = subprocess.run([sys.executable, "app.py", "scheduler", "--list"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "mail_pack" in listed.stdout and "+08" in listed.stdout
    ran = subprocess.run([sys.executable, "app.py", "scheduler", "--run", "poll_inbox"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and json.loads(ran.stdout)["status"] == "ok"
    runs = subprocess.run([sys.executable, "app.py", "runs", "--job", "poll_inbox"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert "poll_inbox" in runs.stdout and " ok " in runs.stdout


def test_packs_are_prebuilt_right_after_a_publish(settings, sqlite_store):
    """When the publish job has published, the prebuild job runs at once (not at its next hour);
    a publish run that published nothing starts no prebuild."""
    from apscheduler.triggers.interval import IntervalTrigger

    built: list[int] = []
    published = iter([0, 1, 0, 0, 0, 0, 0, 0, 0, 0] + [0] * 100)
    specs = (JobSpec("publish_if_new", lambda *_: {"published": next(published)},
                     IntervalTrigger(seconds=0.4, timezone=TZ), 60, False, "test"),
             JobSpec("prebuild_packs",
                     lambda *_: built.append(len(sqlite_store.runs(job="publish_if_new"))) or {"packs": 2},
                     DateTrigger(run_date=datetime.now(TZ) + timedelta(days=1), timezone=TZ), 60, False, "test"))
    sched = build_scheduler(settings, sqlite_store, specs=specs)
    sched.start()
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(sqlite_store.runs(job="publish_if_new")) < 4:
            time.sleep(0.05)
    finally:
        sched.shutdown(wait=False)
    assert len(built) == 1 and built[0] >= 2  # once, after the second publish run (the one that published)
    assert last_run(sqlite_store, "prebuild_packs")["counts"] == {"packs": 2}


def test_prebuild_is_skipped_without_a_warehouse(settings, sqlite_store):
    assert run_job("prebuild_packs", jobs.prebuild_packs, settings, sqlite_store, now=kl(2026, 11, 26, 10)) == "skipped"
    assert "no warehouse" in last_run(sqlite_store, "prebuild_packs")["error"]
