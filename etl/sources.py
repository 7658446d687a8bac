"""HTTP sources pulled on a schedule: the sources file, fetching, and turning payloads into files.

The sources file (``NAIO_SOURCES_FILE``) is CSV or JSON, one source per row or object::

    name,url,kind,format
    dosm-ai-survey,https://example.gov.my/ai_survey.csv,sector,csv

``kind`` is what the file holds (``return``, ``register`` or ``sector``), ``format`` how it
travels (``csv``, ``xlsx`` or ``json``). A JSON payload must be a list of row objects with
plain values; it becomes a CSV file (columns in first-seen order) and then takes the
ordinary ingest path like any other file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

KINDS = ("return", "register", "sector")
FORMATS = ("csv", "xlsx", "json")
FIELDS = ("name", "url", "kind", "format")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$")
USER_AGENT = "naio-dashboard/1 (+scheduled source pull)"


class SourcesError(ValueError):
    """The sources file or a payload is not usable; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    kind: str
    format: str

    @property
    def file_name(self) -> str:
        """The name the fetched file is ingested under (JSON arrives as CSV)."""
        return f"{self.name}.{'csv' if self.format == 'json' else self.format}"


def load_sources(path: str | Path | None) -> list[Source]:
    """Read and check the sources file; an empty setting means no sources."""
    if not path:
        return []
    path = Path(path)
    if not path.is_file():
        raise SourcesError([f"{path}: no such sources file"])
    text = path.read_text(encoding="utf-8-sig")
    is_json = path.suffix.lower() == ".json"
    records = _json_records(text, path) if is_json else list(csv.DictReader(io.StringIO(text)))
    problems: list[str] = []
    sources = []
    for i, rec in enumerate(records, 1 if is_json else 2):  # CSV rows as a spreadsheet shows them
        where = f"{path.name}: {'item' if is_json else 'row'} {i}"
        if (source := _source(rec, where, problems)) is not None:
            sources.append(source)
    seen: set[str] = set()
    for s in sources:
        if s.name in seen:
            problems.append(f"{path.name}: source name {s.name!r} is used twice; names must be unique")
        seen.add(s.name)
    if problems:
        raise SourcesError(problems)
    return sources


def _json_records(text: str, path: Path) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourcesError([f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno})"]) from exc
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise SourcesError([f"{path.name}: expected a JSON list of objects with {', '.join(FIELDS)}"])
    return data


def _source(rec: dict, where: str, problems: list[str]) -> Source | None:
    values = {k: str(rec.get(k) or "").strip() for k in FIELDS}
    found: list[str] = []
    unknown = sorted(str(k) if k is not None else "(cells beyond the header)" for k in set(rec) - set(FIELDS))
    if unknown:
        found.append(f"{where}: unknown field(s) {', '.join(unknown)}; fields are {', '.join(FIELDS)}")
    if not NAME.match(values["name"]):
        found.append(f"{where}: name {values['name']!r} must be 1-48 letters, digits, '.', '_' or '-'")
    url = urlparse(values["url"])
    if url.scheme not in ("http", "https") or not url.netloc:
        found.append(f"{where}: url {values['url']!r} must be an http:// or https:// address")
    values["kind"], values["format"] = values["kind"].lower(), values["format"].lower()
    if values["kind"] not in KINDS:
        found.append(f"{where}: kind {values['kind']!r} must be one of {', '.join(KINDS)}")
    if values["format"] not in FORMATS:
        found.append(f"{where}: format {values['format']!r} must be one of {', '.join(FORMATS)}")
    problems.extend(found)
    return None if found else Source(**values)


def fetch(source: Source, max_bytes: int, timeout: float = 60.0) -> bytes:
    """Download a source's payload; refuses anything larger than ``max_bytes``."""
    request = urllib.request.Request(source.url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked on load)
        data = response.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SourcesError([f"{source.name}: the payload is larger than {max_bytes} bytes"])
    return data


def to_file_bytes(source: Source, payload: bytes) -> bytes:
    """The bytes to ingest: CSV and XLSX as received, JSON rows converted to CSV."""
    if source.format != "json":
        return payload
    try:
        rows = json.loads(payload.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourcesError([f"{source.name}: the payload is not valid UTF-8 JSON ({exc})"]) from exc
    return json_rows_to_csv(rows, source.name)


def json_rows_to_csv(rows: object, name: str = "payload") -> bytes:
    """A JSON list of flat row objects as UTF-8 CSV bytes (header = keys in first-seen order)."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise SourcesError([f"{name}: expected a JSON list of row objects"])
    columns: dict[str, None] = {}
    for i, row in enumerate(rows, 1):
        for key, value in row.items():
            if isinstance(value, (dict, list)):
                raise SourcesError([f"{name}: row {i}, field {key!r} holds a nested value; only plain values"])
            columns.setdefault(str(key), None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(columns))
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _plain(row.get(c)) for c in columns])
    return out.getvalue().encode("utf-8")


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
