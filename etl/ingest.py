"""Ingest: read -> validate -> record, the one path every file takes.

The command line, the upload page, the inbox poller, HTTP sources and the demo loader all
call ``ingest_bytes``. A file is archived byte for byte, checked whole, and then either
recorded whole (one transaction) or rejected whole with every located problem.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path

from etl.archive import Archive, sha256_of
from etl.problems import MAX_PROBLEMS_KEPT, Problem, errors, problem, warnings
from etl.readers import detect_kind, paused_gc, read_sheet
from etl.register import check_register
from etl.returns import Catalogue, ValidationContext, check_return, load_catalogue
from etl.sector import check_sector
from etl.settings import Settings
from etl.store import Store, utcnow

KINDS = ("return", "register", "sector")
ACCEPTED = "accepted"
REJECTED = "rejected"
DUPLICATE = "duplicate"
CHECKED = "checked"


@dataclass
class IngestResult:
    file_name: str
    sha256: str
    kind: str
    status: str  # accepted | rejected | duplicate | checked (check-only, no errors)
    submission_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    n_rows: int = 0
    pairs: list[tuple[str, str]] = field(default_factory=list)
    superseded: dict[tuple[str, str], int] = field(default_factory=dict)
    duplicate_of: int | None = None
    rows: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in (ACCEPTED, DUPLICATE, CHECKED)

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return warnings(self.problems)


class Ingestor:
    """Holds what every file needs (store, archive, catalogue) so batches reuse it."""

    def __init__(self, store: Store, settings: Settings, catalogue: Catalogue | None = None):
        self.store = store
        self.settings = settings
        self.archive = Archive(settings.archive_dir)
        self.catalogue = catalogue or load_catalogue(settings.reference_dir)
        self._cumulative = sorted(c for c, s in self.catalogue.indicators.items() if s.temporal == "cumulative")

    def today(self) -> date:
        return self.settings.today_date()

    def context(self, agency_scope: str | None = None) -> ValidationContext:
        cache: dict[str, dict] = {}

        def accepted(agency: str) -> dict:
            if agency not in cache:
                cache[agency] = self.store.accepted_values(agency)
            return cache[agency]

        def accepted_window(agencies: list[str], first: str, last: str) -> dict:
            return self.store.accepted_many(agencies, first, last, earlier=())

        def cumulative_history(agencies: list[str], first: str, last: str) -> dict:
            return self.store.accepted_many(agencies, first, last, indicators=self._cumulative)

        return ValidationContext(catalogue=self.catalogue, agencies=self.store.agencies(), today=self.today(),
                                 accepted=accepted, agency_scope=agency_scope,
                                 accepted_many=accepted_window, accepted_history=cumulative_history)

    def ingest_bytes(self, data: bytes, file_name: str, *, kind: str | None = None, source: str = "cli",
                     submitted_by: str = "cli", reason: str | None = None, check_only: bool = False,
                     received_at: datetime | None = None, agency_scope: str | None = None,
                     kinds: tuple[str, ...] | None = None) -> IngestResult:
        """Check one file and, unless ``check_only``, archive and record it whole or not at all.
        ``kinds``: the kinds of file taken here (``None``: any); a file of another kind is rejected."""
        # A large file's rows, problems and database parameters are many small objects that all
        # stay alive until the end: the cyclic collector would only rescan them (see paused_gc).
        with paused_gc():
            return self._ingest_bytes(data, file_name, kind=kind, source=source, submitted_by=submitted_by,
                                      reason=reason, check_only=check_only, received_at=received_at,
                                      agency_scope=agency_scope, kinds=kinds)

    def _ingest_bytes(self, data: bytes, file_name: str, *, kind: str | None, source: str, submitted_by: str,
                      reason: str | None, check_only: bool, received_at: datetime | None,
                      agency_scope: str | None, kinds: tuple[str, ...] | None) -> IngestResult:
        name = Path(file_name).name or "upload"
        digest = sha256_of(data)
        meta = {"file_name": name, "sha256": digest, "size_bytes": len(data), "source": source,
                "submitted_by": submitted_by, "received_at": received_at or utcnow(), "reason": reason or None}
        if len(data) > self.settings.max_upload_bytes:
            return self._too_big(data, name, digest, meta, kind or "return", check_only)
        # The file is written to the archive (and synced to disk) while it is read and checked;
        # nothing is recorded before the archive holds it.
        archiving = None if check_only else _Background(self.archive.put, data, digest)
        try:
            sheet, problems = read_sheet(data, name)
            detected = detect_kind(sheet, self.catalogue.indicators) if sheet is not None else None
            kind = kind or detected or "return"
            result = IngestResult(file_name=name, sha256=digest, kind=kind, status=REJECTED,
                                  problems=list(problems))
            if kinds and kind not in kinds:
                result.problems.append(_wrong_kind(name, kind, kinds))
            elif sheet is not None:
                rows, found = self._check(sheet, name, kind, agency_scope)
                result.problems.extend(found)
                result.rows = rows
        finally:
            if archiving is not None:
                archiving.wait()
        return self._finish(result, meta, check_only, agency_scope)

    def ingest_path(self, path: Path, **options) -> IngestResult:
        return self.ingest_bytes(Path(path).read_bytes(), Path(path).name, **options)

    # ---- steps --------------------------------------------------------------------------
    def _check(self, sheet, name: str, kind: str, agency_scope: str | None) -> tuple[list, list[Problem]]:
        """Parse and validate in one go, so every problem of the file is reported at once."""
        check = {"register": check_register, "sector": check_sector}.get(kind, check_return)
        return check(sheet, name, self.context(agency_scope))

    def _finish(self, result: IngestResult, meta: dict, check_only: bool,
                agency_scope: str | None = None) -> IngestResult:
        rows = result.rows
        result.n_rows = len(rows)
        result.pairs = sorted(_pairs(result.kind, rows))
        if not rows and not result.errors:
            result.problems.append(problem("no-rows", "the file holds no data rows", file=result.file_name,
                                           expected="at least one data row below the header",
                                           message_ms="fail ini tidak mengandungi baris data",
                                           expected_ms="sekurang-kurangnya satu baris data di bawah pengepala"))
        if result.pairs:
            result.superseded = self.store.current_pairs(result.kind, result.pairs)
        # A file whose rows could not be read still belongs to the uploading analyst's agency.
        meta["agency_code"] = result.pairs[0][0] if result.pairs and result.kind != "sector" else agency_scope
        meta["periods"] = ",".join(sorted({p for _, p in result.pairs}))[:255] or None
        meta["n_rows"] = result.n_rows
        meta["n_errors"], meta["n_warnings"] = len(result.errors), len(result.warnings)
        if result.errors:
            result.status = REJECTED
            if not check_only:
                result.submission_id = self.store.record_other(meta, result.kind, REJECTED, _problems_json(result.problems))
            return result
        earlier = self.store.accepted_by_sha(result.sha256, result.kind)
        if earlier is not None:
            result.status, result.duplicate_of = DUPLICATE, earlier
            if not check_only:
                result.submission_id = self.store.record_other(meta, result.kind, DUPLICATE, None)
            return result
        if check_only:
            result.status = CHECKED
            return result
        if result.superseded and not meta["reason"]:
            meta["reason"] = "resubmission (no reason given)"
        meta["problems_json"] = _problems_json(result.problems) if result.problems else None
        if result.kind == "register":  # a row saying "no AI system" records its pair, not a system
            rows = [r for r in rows if not r.declares_none]
        result.submission_id = self.store.record_accepted(meta, result.kind, rows, set(result.pairs))
        result.status = ACCEPTED
        return result

    def _too_big(self, data: bytes, name: str, digest: str, meta: dict, kind: str, check_only: bool) -> IngestResult:
        p = file_too_large(name, len(data), self.settings.max_upload_mb)
        result = IngestResult(file_name=name, sha256=digest, kind=kind, status=REJECTED, problems=[p])
        if not check_only:
            meta.update(n_rows=0, n_errors=1, n_warnings=0, agency_code=None, periods=None)
            result.submission_id = self.store.record_other(meta, kind, REJECTED, _problems_json([p]))
        return result


def file_too_large(file_name: str, size: int, limit_mb: float) -> Problem:
    """The problem of a file over the upload limit (refused before it is read)."""
    mb = f"{size / 1048576:.1f}"
    return problem("file-too-large", f"the file is {mb} MB, over the {limit_mb:g} MB limit",
                   file=file_name, value=f"{size} bytes", expected=f"a file of at most {limit_mb:g} MB",
                   message_ms=f"saiz fail ini {mb} MB, melebihi had {limit_mb:g} MB",
                   expected_ms=f"fail yang tidak melebihi {limit_mb:g} MB")


class _Background:
    """``fn(*args)`` in a thread (file writes and fsync release the interpreter lock);
    ``wait`` joins it and raises what it raised."""

    def __init__(self, fn: Callable, *args) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable, args: tuple) -> None:
        try:
            fn(*args)
        except BaseException as exc:  # handed to the caller by wait()
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


def _pairs(kind: str, rows: list) -> set[tuple[str, str]]:
    if kind == "sector":
        return {(r.sector_code, r.period) for r in rows}
    return {(r.agency_code, r.period) for r in rows}


_PROBLEM_FIELDS = tuple(f.name for f in fields(Problem))


def _problems_json(problems: list[Problem]) -> str:
    # Problem.as_dict() without dataclasses.asdict's deep copy (every field is a str, int or None)
    kept = [{name: getattr(p, name) for name in _PROBLEM_FIELDS} for p in problems[:MAX_PROBLEMS_KEPT]]
    return json.dumps({"total": len(problems), "kept": kept}, ensure_ascii=False)


def ingest_files(ingestor: Ingestor, paths: list[Path], *, progress: Callable[[str], None] | None = None,
                 **options) -> list[IngestResult]:
    """Ingest several files in order, leaving one ETL run row with the counts."""
    store = ingestor.store
    if not options.get("check_only"):
        store.close_abandoned_runs()
    run_id = None if options.get("check_only") else store.start_run("ingest", options.get("source", "cli"))
    results: list[IngestResult] = []
    try:
        for i, path in enumerate(paths, 1):
            results.append(ingestor.ingest_path(path, **options))
            if progress:
                progress(f"[{i}/{len(paths)}] {Path(path).name}: {results[-1].status}")
    except BaseException as exc:
        if run_id is not None:
            store.finish_run(run_id, "failed", _counts(results), f"{type(exc).__name__}: {exc}")
        raise
    if run_id is not None:
        status = "ok" if all(r.ok for r in results) else "failed"
        error = None if status == "ok" else f"{sum(not r.ok for r in results)} file(s) rejected"
        store.finish_run(run_id, status, _counts(results), error)
    return results


def _counts(results: list[IngestResult]) -> dict:
    counts = {"files": len(results), "rows": sum(r.n_rows for r in results if r.status == ACCEPTED)}
    for status in (ACCEPTED, REJECTED, DUPLICATE, CHECKED):
        counts[status] = sum(r.status == status for r in results)
    return counts


KIND_WORDS = {"return": ("a quarterly return", "penyata suku tahunan"),
              "register": ("an AI use-case register", "daftar kes penggunaan AI"),
              "sector": ("a sector report", "laporan sektor")}


def _wrong_kind(file_name: str, kind: str, kinds: tuple[str, ...]) -> Problem:
    """A file of a kind not taken where it was sent (a sector report on the agencies' upload page)."""
    taken = " or ".join(KIND_WORDS[k][0] for k in kinds)
    taken_ms = " atau ".join(KIND_WORDS[k][1] for k in kinds)
    return problem("wrong-kind", f"the file is {KIND_WORDS[kind][0]} (from its columns); {taken} is taken here",
                   file=file_name, row=1, expected=taken, expected_ms=taken_ms,
                   message_ms=f"fail ini ialah {KIND_WORDS[kind][1]} (berdasarkan lajurnya); hanya {taken_ms} "
                              "diterima di sini")
