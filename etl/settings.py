"""The product's settings: one typed object, built once at the edge (``app.py``).

Each setting has a name, an environment variable, a default and one line of help, so the
README table and ``python app.py --help`` are generated from the same list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

# Where NAIO and the agencies work: the day, the schedule and the times shown are Malaysia's.
try:
    from zoneinfo import ZoneInfo

    MALAYSIA = ZoneInfo("Asia/Kuala_Lumpur")
except Exception:  # pragma: no cover - a system without the time-zone database
    MALAYSIA = timezone(timedelta(hours=8), "Asia/Kuala_Lumpur")  # UTC+08:00, no daylight saving since 1982


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "NAIO_DATA_DIR", "data", "folder holding the archive, the SQLite system of record and the warehouse"),
    Setting("database_url", "NAIO_DATABASE_URL", "", "SQLAlchemy URL of the system of record; empty means SQLite at <data_dir>/naio.db"),
    Setting("kpi_dir", "NAIO_KPI_DIR", "kpi_definitions", "folder of KPI definition YAML files"),
    Setting("reference_dir", "NAIO_REFERENCE_DIR", "data/reference", "folder of versioned reference data"),
    Setting("max_upload_mb", "NAIO_MAX_UPLOAD_MB", "10", "largest return file accepted, in megabytes"),
    Setting("demo_accounts", "NAIO_DEMO_ACCOUNTS", "1", "1 creates the documented demo accounts when demo data is loaded; 0 never"),
    Setting("secret_key", "NAIO_SECRET_KEY", "", "key signing session cookies; empty makes a random key kept in <data_dir>/secret.key"),
    Setting("scheduler", "NAIO_SCHEDULER", "1", "1 runs the scheduler inside the web server; 0 when `app.py scheduler` runs it alone"),
    Setting("inbox_dir", "NAIO_INBOX_DIR", "", "folder polled for new files; empty means <data_dir>/inbox"),
    Setting("sources_file", "NAIO_SOURCES_FILE", "", "CSV/JSON list of HTTP sources pulled on a schedule; empty means none"),
    Setting("smtp_host", "NAIO_SMTP_HOST", "", "SMTP server for the minister pack and reminders; empty disables e-mail"),
    Setting("smtp_port", "NAIO_SMTP_PORT", "25", "SMTP port"),
    Setting("mail_from", "NAIO_MAIL_FROM", "naio-dashboard@localhost", "sender address of e-mails"),
    Setting("pack_recipients", "NAIO_PACK_RECIPIENTS", "", "comma-separated distribution list of the quarterly minister pack"),
    Setting("chromium", "NAIO_CHROMIUM", "/usr/bin/chromium", "Chromium used to print PDF packs"),
    Setting("secure_cookies", "NAIO_SECURE_COOKIES", "0", "1 marks the session cookie Secure (named __Host-naio_session): set it when served over HTTPS"),
    Setting("publish_memory_mb", "NAIO_PUBLISH_MEMORY_MB", "1024",
            "memory a publish's DuckDB may use, in megabytes; beyond it, it works on disk beside the new warehouse"),
    Setting("today", "NAIO_TODAY", "", "date (YYYY-MM-DD) the product takes as today; empty means today's date in Malaysia"),
)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    kpi_dir: Path
    reference_dir: Path
    max_upload_mb: float
    demo_accounts: bool
    secret_key: str
    scheduler: bool
    inbox_dir: Path
    sources_file: str
    smtp_host: str
    smtp_port: int
    mail_from: str
    pack_recipients: tuple[str, ...]
    chromium: str
    secure_cookies: bool
    publish_memory_mb: int
    today: str

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def today_date(self) -> date:
        """The date the product takes as today: ``NAIO_TODAY`` when set, else the date in Malaysia
        (whatever the server's own time zone: a quarter ends at midnight in Kuala Lumpur)."""
        return date.fromisoformat(self.today) if self.today else datetime.now(MALAYSIA).date()

    def as_env(self) -> dict[str, str]:
        """The ``NAIO_*`` variables that ``load_settings`` turns back into these settings
        (for a child process, such as a publish, that must see the same folders and database)."""
        def text(value) -> str:
            if isinstance(value, bool):
                return "1" if value else "0"
            if isinstance(value, tuple):
                return ",".join(value)
            return str(value)

        return {s.env: text(getattr(self, s.name)) for s in SETTINGS}

    def with_(self, **changes) -> Settings:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def load_settings(environ: dict[str, str] | None = None, root: Path | None = None) -> Settings:
    """Build settings from ``NAIO_*`` variables (``environ`` defaults to ``os.environ``)."""
    env = os.environ if environ is None else environ
    root = root or Path(__file__).resolve().parent.parent
    raw = {s.name: env.get(s.env, s.default) for s in SETTINGS}

    def path(value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else (root / p)

    data_dir = path(raw["data_dir"])
    return Settings(
        data_dir=data_dir,
        database_url=raw["database_url"] or f"sqlite:///{data_dir / 'naio.db'}",
        kpi_dir=path(raw["kpi_dir"]),
        reference_dir=path(raw["reference_dir"]),
        max_upload_mb=float(raw["max_upload_mb"]),
        demo_accounts=raw["demo_accounts"] not in ("0", "false", "no", ""),
        secret_key=raw["secret_key"],
        scheduler=raw["scheduler"] not in ("0", "false", "no", ""),
        inbox_dir=path(raw["inbox_dir"]) if raw["inbox_dir"] else data_dir / "inbox",
        sources_file=raw["sources_file"],
        smtp_host=raw["smtp_host"],
        smtp_port=int(raw["smtp_port"]),
        mail_from=raw["mail_from"],
        pack_recipients=tuple(a.strip() for a in raw["pack_recipients"].split(",") if a.strip()),
        chromium=raw["chromium"],
        secure_cookies=raw["secure_cookies"] not in ("0", "false", "no", ""),
        publish_memory_mb=int(raw["publish_memory_mb"]),
        today=raw["today"],
    )
