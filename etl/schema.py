"""Tables of the system of record (SQLAlchemy Core, portable across SQLite and PostgreSQL).

Only ``etl/store.py`` imports this module: it is the one gateway to the system of record.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

# 1: first release; 2: etl_runs.owner (which process runs a run; see etl/process_owner.py);
# 3: the current-row indexes of return_rows and register_systems lead with the period
# 4: deliverables and milestones carry their description and evidence in Malay
SCHEMA_VERSION = 4

schema_info = Table(
    "schema_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)

# ---- reference tables -------------------------------------------------------------
ministries = Table(
    "ministries",
    metadata,
    Column("ministry_code", String(32), primary_key=True),
    Column("sort_order", Integer),
    Column("name_ms", String(255), nullable=False),
    Column("name_en", String(255), nullable=False),
    Column("org_type", String(64)),
    Column("note", Text),
)

agencies = Table(
    "agencies",
    metadata,
    Column("agency_code", String(32), primary_key=True),
    Column("name_ms", String(255), nullable=False),
    Column("name_en", String(255), nullable=False),
    Column("ministry_code", String(32)),
    Column("org_type", String(64)),
    Column("peer_group", String(32), nullable=False),
    Column("submits_returns", Boolean, nullable=False),
    Column("url", String(255)),
    Column("note", Text),
    Column("synthetic", Boolean, nullable=False, default=False),
)

sectors = Table(
    "sectors",
    metadata,
    Column("section", String(1), primary_key=True),
    Column("divisions", String(16)),
    Column("name_en", String(255), nullable=False),
    Column("name_ms", String(255), nullable=False),
    Column("note", Text),
    Column("in_eurostat_scope", String(32)),
)

states = Table(
    "states",
    metadata,
    Column("state_code", Integer, primary_key=True),
    Column("iso_3166_2", String(8), nullable=False),
    Column("geojson_name", String(64), nullable=False),
    Column("name_ms", String(128), nullable=False),
    Column("name_en", String(128), nullable=False),
    Column("type", String(32)),
    Column("region", String(32)),
)

indicators = Table(
    "indicators",
    metadata,
    Column("indicator_code", String(32), primary_key=True),
    Column("name_en", String(255), nullable=False),
    Column("name_ms", String(255), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("temporal", String(16), nullable=False),
    Column("min_value", Float),
    Column("max_value", Float),
    Column("allow_blank", Boolean, nullable=False),
    Column("required", Boolean, nullable=False),
)

deliverables = Table(
    "deliverables",
    metadata,
    Column("deliverable_code", String(8), primary_key=True),
    Column("name_en", Text, nullable=False),
    Column("name_ms", Text, nullable=False),
    Column("description", Text),
    Column("evidence", Text),
    Column("status", Text),
    Column("confidence", Text),
    Column("description_ms", Text),
    Column("evidence_ms", Text),
)

milestones = Table(
    "milestones",
    metadata,
    Column("milestone_id", String(32), primary_key=True),
    Column("deliverable_code", String(8), nullable=False),
    Column("title_en", Text, nullable=False),
    Column("title_ms", Text, nullable=False),
    Column("planned_date", String(10), nullable=False),
    Column("actual_date", String(10)),
    Column("status", String(16), nullable=False),
    Column("evidence", Text),
    Column("evidence_ms", Text),
)

# ---- submissions and their rows -------------------------------------------------------
submissions = Table(
    "submissions",
    metadata,
    Column("submission_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # return | register | sector
    Column("file_name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("source", String(16), nullable=False),  # upload | cli | inbox | http | demo
    Column("submitted_by", String(64), nullable=False),
    Column("agency_code", String(32)),  # the agency of the file (first one if several)
    Column("periods", String(255)),  # comma-separated periods the file covers
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # accepted | rejected | duplicate | checked
    Column("reason", Text),  # resubmission reason given by the sender
    Column("n_rows", Integer, nullable=False, default=0),
    Column("n_errors", Integer, nullable=False, default=0),
    Column("n_warnings", Integer, nullable=False, default=0),
    Column("problems_json", Text),  # capped list of problems, as JSON
    Index("ix_submissions_sha", "sha256"),
    Index("ix_submissions_agency", "agency_code"),
)

submission_pairs = Table(
    "submission_pairs",
    metadata,
    Column("submission_id", Integer, ForeignKey("submissions.submission_id"), primary_key=True),
    Column("agency_code", String(32), primary_key=True),
    Column("period", String(7), primary_key=True),
    Index("ix_submission_pairs_period", "period", "agency_code"),
)

return_rows = Table(
    "return_rows",
    metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.submission_id"), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("agency_code", String(32), nullable=False),
    Column("period", String(7), nullable=False),
    Column("indicator_code", String(32), nullable=False),
    Column("breakdown_type", String(8), nullable=False, default=""),
    Column("breakdown_code", String(8), nullable=False, default=""),
    Column("value", Float),
    Column("value_status", String(1), nullable=False, default="A"),
    Column("notes", Text),
    Column("superseded_by", Integer),
    # Period first: a quarterly file touches one period, so its rows land in one region of
    # the index rather than in every agency's (a national file: 0.19 -> 0.08 s to insert).
    Index("ix_return_rows_period", "period", "agency_code", "superseded_by"),
    Index("ix_return_rows_submission", "submission_id"),
    # The rows a later file replaced, for publish (``Store.superseded_return_pairs``): a
    # few percent of the rows, and none of a new file's, so inserts do not maintain it.
    Index("ix_return_rows_superseded", "superseded_by", sqlite_where=text("superseded_by IS NOT NULL"),
          postgresql_where=text("superseded_by IS NOT NULL")),
)

register_systems = Table(
    "register_systems",
    metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.submission_id"), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("agency_code", String(32), nullable=False),
    Column("period", String(7), nullable=False),
    Column("system_id", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("function", String(64)),
    Column("focus_sector", String(64)),
    Column("msic_section", String(1)),
    Column("stage", String(16), nullable=False),
    Column("risk_tier", String(16), nullable=False),
    Column("impact_assessment", Boolean, nullable=False),
    Column("human_oversight", Boolean, nullable=False),
    Column("citizen_facing", Boolean, nullable=False),
    Column("build_mode", String(32)),
    Column("uses_genai", Boolean, nullable=False),
    Column("sandbox", Boolean, nullable=False),
    Column("states_served", String(64)),
    Column("pilot_start_period", String(7)),
    Column("production_period", String(7)),
    Column("est_hours_saved", Float),
    Column("est_cost_saved_rm", Float),
    Column("superseded_by", Integer),
    Index("ix_register_period", "period", "agency_code", "superseded_by"),
)

sector_rows = Table(
    "sector_rows",
    metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.submission_id"), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("sector_code", String(8), nullable=False),  # MSIC section, or ALL
    Column("period", String(7), nullable=False),  # YYYYQn or YYYY
    Column("indicator_code", String(32), nullable=False),
    Column("value", Float, nullable=False),
    Column("state_code", Integer),
    Column("geo", String(16), nullable=False, default="MY"),
    Column("source", Text),
    Column("superseded_by", Integer),
)

# ---- people, audit, runs ----------------------------------------------------------------
users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("agency_code", String(32)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(255)),
    Column("outcome", String(16), nullable=False),  # ok | refused | failed
    Column("detail", Text),
)

etl_runs = Table(
    "etl_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(64), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | ok | failed | missed | skipped
    Column("counts_json", Text),
    Column("error", Text),
    Column("trigger", String(32)),
    Column("owner", String(255)),  # etl.process_owner.token() of the process running it
    Index("ix_etl_runs_job", "job", "started_at"),
)
