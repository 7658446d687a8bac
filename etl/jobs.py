"""The scheduled jobs: plain functions of (settings, store, now) that return their counts.

The scheduler (``etl/scheduler.py``) wraps each call in a run row; a job says how it ended
by returning counts (``ok``) or raising ``JobFailed`` / ``JobSkipped`` with counts and a
reason. ``now`` is passed in (time-zone aware), so tests drive every job with a chosen clock.

Agency contacts for reminders: ``<data_dir>/agency_contacts.csv`` (``agency_code,email``,
one row per address), plus every active analyst whose user name is an e-mail address.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from etl import periods
from etl.archive import sha256_of
from etl.ingest import ACCEPTED, DUPLICATE, REJECTED, Ingestor, IngestResult
from etl.mailer import Attachment, Mail, Mailer
from etl.settings import Settings
from etl.sources import Source, fetch, load_sources, to_file_bytes
from etl.store import Store

CONTACTS_FILE = "agency_contacts.csv"
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".problems.txt")
PACK_LANGS = ("ms", "en")


class JobStop(Exception):
    """A job ending other than ``ok``: carries its status, counts and reason."""

    status = "failed"

    def __init__(self, reason: str, counts: dict | None = None):
        super().__init__(reason)
        self.counts = counts or {}


class JobFailed(JobStop):
    status = "failed"


class JobSkipped(JobStop):
    status = "skipped"


class PackBuilder(Protocol):
    def __call__(self, settings: Settings, store: Store, period: str, lang: str, trigger: str) -> tuple[bytes, str]:
        """The PDF bytes of the pack and the id of the snapshot it was built from."""


def today_of(settings: Settings, now: datetime) -> date:
    """The product's today: ``NAIO_TODAY`` when set, else the clock's date."""
    return date.fromisoformat(settings.today) if settings.today else now.date()


def _state(settings: Settings, job: str) -> tuple[Path, dict]:
    path = settings.data_dir / "state" / f"{job}.json"
    return path, (json.loads(path.read_text()) if path.exists() else {})


def _save_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, path)


# ---- inbox ------------------------------------------------------------------------------------
def poll_inbox(settings: Settings, store: Store, now: datetime, min_age_seconds: float = 5.0) -> dict:
    """Ingest every file in the inbox; file it under done/ or rejected/ (with a .problems.txt)."""
    inbox = settings.inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    ingestor = Ingestor(store, settings)
    counts: Counter = Counter()
    failures: list[str] = []
    for path in _ready_files(inbox, now, min_age_seconds):
        try:
            result = ingestor.ingest_path(path, source="inbox", submitted_by="inbox",
                                          received_at=now.astimezone(UTC))
        except Exception as exc:  # left in place and retried next time
            failures.append(f"{path.name}: {type(exc).__name__}: {exc}")
            counts["errors"] += 1
            continue
        counts[result.status] += 1
        _file_away(path, result, inbox, now)
    counts["files"] = sum(counts.values())
    if failures:
        raise JobFailed("; ".join(failures), dict(counts))
    return dict(counts)


def _ready_files(inbox: Path, now: datetime, min_age_seconds: float) -> list[Path]:
    """Files at the top of the inbox, skipping hidden, partial and still-changing ones."""
    ready = []
    for p in sorted(inbox.iterdir()):
        if not p.is_file() or p.name.startswith(".") or p.name.lower().endswith(IGNORED_SUFFIXES):
            continue
        if now.timestamp() - p.stat().st_mtime >= min_age_seconds:
            ready.append(p)
    return ready


def _file_away(path: Path, result: IngestResult, inbox: Path, now: datetime) -> None:
    folder = inbox / ("rejected" if result.status == REJECTED else "done")
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{now:%Y%m%dT%H%M%S}-{n}{path.suffix}"
        n += 1
    os.replace(path, target)
    if result.status == REJECTED:
        lines = [f"{path.name}: rejected, {len(result.errors)} error(s), {len(result.warnings)} warning(s)"]
        lines += [str(p) for p in result.problems]
        target.with_name(target.name + ".problems.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---- HTTP sources -----------------------------------------------------------------------------
Fetcher = Callable[[Source, int], bytes]


def pull_sources(settings: Settings, store: Store, now: datetime, fetcher: Fetcher = fetch) -> dict:
    """Fetch every source; ingest a payload whose bytes changed since the last pull."""
    sources = load_sources(settings.sources_file)
    state_path, state = _state(settings, "pull_sources")
    ingestor = Ingestor(store, settings)
    counts: Counter = Counter(sources=len(sources))
    failures: list[str] = []
    for source in sources:
        try:
            outcome = _pull_one(source, ingestor, state, now, fetcher)
        except Exception as exc:
            outcome = f"failed: {type(exc).__name__}: {exc}"
        counts[outcome.split(":")[0]] += 1
        if outcome.startswith(("failed", REJECTED, "still-rejected")):
            failures.append(f"{source.name}: {outcome}")
    _save_state(state_path, state)
    if failures:
        raise JobFailed("; ".join(failures), dict(counts))
    return dict(counts)


def _pull_one(source: Source, ingestor: Ingestor, state: dict, now: datetime, fetcher: Fetcher) -> str:
    data = to_file_bytes(source, fetcher(source, ingestor.settings.max_upload_bytes))
    digest = sha256_of(data)
    last = state.get(source.name, {})
    if last.get("sha256") == digest:
        return "still-rejected: unchanged since " + last["at"] if last.get("status") == REJECTED else "unchanged"
    result = ingestor.ingest_bytes(data, source.file_name, kind=source.kind, source="http",
                                   submitted_by=f"http:{source.name}"[:64], received_at=now.astimezone(UTC))
    state[source.name] = {"sha256": digest, "status": result.status, "at": now.isoformat(timespec="seconds")}
    if result.status == REJECTED:
        first = str(result.errors[0]) if result.errors else "rejected"
        return f"{REJECTED}: {len(result.errors)} error(s), first: {first}"
    return result.status


# ---- publish after new data -------------------------------------------------------------------
def publish_if_new(settings: Settings, store: Store, now: datetime) -> dict:
    """Publish when accepted data, reference data, the KPI definitions or the last complete
    quarter changed since the last publish."""
    from etl.publish import PublishFailed, is_current, publish_in_child

    if is_current(store, settings):
        return {"published": 0}
    try:
        snapshot_id = publish_in_child(settings, trigger="schedule")
    except PublishFailed as exc:  # refused KPI definitions, or a failed build: the run row says
        raise JobFailed(str(exc), {"published": 0}) from exc
    return {"published": 1, "snapshot_id": snapshot_id}


# ---- the quarterly minister pack --------------------------------------------------------------
def resolve_pack_builder() -> PackBuilder:
    """The pack is drawn by the dashboard layer; the scheduler finds its builder by name at run time."""
    import importlib

    return importlib.import_module("dashboard.pack").render_pack


def prebuild_packs(settings: Settings, store: Store, now: datetime, builder: PackBuilder | None = None) -> dict:
    """Build the published snapshot's current-quarter pack in both languages, so that downloads
    are served from ``data/packs``; a pack built before is kept and not printed again."""
    from etl.warehouse import Warehouse

    wh = Warehouse(settings.warehouse_path)
    if not wh.exists():
        raise JobSkipped("no warehouse has been published yet")
    meta = wh.meta()
    period = meta["current_period"]
    build = builder or resolve_pack_builder()
    snapshots, failures = set(), []
    for lang in PACK_LANGS:
        try:
            _, snapshot_id = build(settings, store, period, lang, "schedule")
        except Exception as exc:  # the other language is still built
            failures.append(f"{lang}: {type(exc).__name__}: {exc}")
            continue
        snapshots.add(snapshot_id)
    counts = {"period": period, "packs": len(PACK_LANGS) - len(failures), "snapshot_id": ",".join(sorted(snapshots))}
    if failures:
        raise JobFailed("; ".join(failures), counts)
    return counts


def mail_pack(settings: Settings, store: Store, now: datetime, builder: PackBuilder | None = None) -> dict:
    """Build the pack of the last complete quarter in both languages and e-mail it to the list."""
    mailer = Mailer(settings)
    if not settings.pack_recipients:
        raise JobSkipped("no distribution list: NAIO_PACK_RECIPIENTS is empty")
    if not mailer.enabled:
        raise JobSkipped("e-mail is disabled: NAIO_SMTP_HOST is empty")
    period = periods.last_complete(today_of(settings, now))
    build = builder or resolve_pack_builder()
    attachments, snapshots = [], set()
    for lang in PACK_LANGS:
        pdf, snapshot_id = build(settings, store, period, lang, "schedule")
        attachments.append(Attachment(f"naio-pack-{period}-{lang}.pdf", pdf))
        snapshots.add(snapshot_id)
    subject = f"Pek KPI AI Negara / National AI KPI pack {period}"
    body = (f"Dilampirkan pek KPI penerimagunaan AI bagi suku tahun {period} (Bahasa Malaysia dan English).\n"
            f"Attached is the AI adoption KPI pack for {period} (Bahasa Malaysia and English).\n\n"
            f"Snapshot: {', '.join(sorted(snapshots))}\n")
    sent = mailer.send([Mail(list(settings.pack_recipients), subject, body, attachments)])
    return {"period": period, "recipients": len(settings.pack_recipients), "mails": sent,
            "snapshot_id": ",".join(sorted(snapshots))}


# ---- reminders for missing returns ------------------------------------------------------------
def load_contacts(settings: Settings, store: Store) -> dict[str, list[str]]:
    """Agency code -> e-mail addresses (contacts file, then analysts named by address)."""
    contacts: dict[str, list[str]] = {}
    path = settings.data_dir / CONTACTS_FILE
    if path.exists():
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                code, email = (row.get("agency_code") or "").strip().upper(), (row.get("email") or "").strip()
                if code and "@" in email:
                    contacts.setdefault(code, []).append(email)
    users = store.table("users")
    for u in users.itertuples():
        if u.role == "analyst" and u.active and u.agency_code and "@" in u.username:
            contacts.setdefault(u.agency_code, [])
            if u.username not in contacts[u.agency_code]:
                contacts[u.agency_code].append(u.username)
    return contacts


def remind_missing(settings: Settings, store: Store, now: datetime) -> dict:
    """E-mail each agency whose return for the last complete quarter has not been accepted."""
    today = today_of(settings, now)
    period = periods.last_complete(today)
    due = [a for a, submits in sorted(store.agencies().items()) if submits]
    have = store.current_pairs("return", [(a, period) for a in due])
    missing = [a for a in due if (a, period) not in have]
    contacts = load_contacts(settings, store)
    mails = [_reminder(a, contacts[a], period, today) for a in missing if contacts.get(a)]
    counts = {"period": period, "missing": len(missing), "to_remind": len(mails),
              "no_contact": sum(1 for a in missing if not contacts.get(a))}
    mailer = Mailer(settings)
    if mails and not mailer.enabled:
        raise JobSkipped("e-mail is disabled: NAIO_SMTP_HOST is empty", counts)
    counts["emailed"] = mailer.send(mails) if mails else 0
    return counts


def _reminder(agency: str, to: list[str], period: str, today: date) -> Mail:
    deadline = periods.deadline(period)
    late = today > deadline
    ms = "telah melepasi tarikh akhir" if late else "perlu dihantar selewat-lewatnya"
    en = "is overdue; it was due on" if late else "is due by"
    body = (f"Pulangan suku tahun {period} bagi agensi {agency} belum diterima; ia {ms} {deadline:%d.%m.%Y}.\n"
            f"The quarterly return {period} of agency {agency} has not been received; it {en} {deadline:%d.%m.%Y}.\n\n"
            "Muat naik melalui papan pemuka NAIO / Upload through the NAIO dashboard (Submissions).\n")
    return Mail(to, f"Peringatan pulangan {period} / Return reminder {period}: {agency}", body)


__all__ = ["ACCEPTED", "DUPLICATE", "JobFailed", "JobSkipped", "JobStop", "mail_pack", "poll_inbox",
           "prebuild_packs", "publish_if_new", "pull_sources", "remind_missing"]
