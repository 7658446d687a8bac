"""Targets, trajectories, status and projection.

Trajectory: a straight line from the baseline to each dated target, flat after the last
one. The baseline is the definition's (on its first dated target) or, without one, each
entity's first quarter with enough data. A standing target (no period) is flat; a
``per_year`` standing target is an amount per calendar year (a quarter is a quarter of it,
year to date is pro rata); a growth target compounds ``growth_per_year`` % a year from the
entity's first quarter with data.

Status, direction-aware, with ``shortfall`` = how far the value is behind the trajectory
(``trajectory - value`` when up is good, ``value - trajectory`` when down is good), in %
of the trajectory value (``relative``) or in KPI units (``absolute``):
``on_track`` if shortfall <= on_track_within, ``at_risk`` if <= at_risk_within, else
``off_track``; ``no_target`` when no target applies at that level; ``awaiting_data`` when
there is no value or fewer than ``min_coverage`` x expected agencies reported.

Projection: least-squares line through the last ``PROJECTION_QUARTERS`` quarters with
enough data (at least ``MIN_POINTS``), carried to each upcoming dated target (or to a
standing target), with the first quarter in which the line meets the target. The line comes
from exact sums (``etl.kpi.exact``); a slope within ``SLOPE_TOLERANCE`` x the largest |value|
of the points per quarter is 0: the series is flat and heads towards no target.
"""

from __future__ import annotations

from etl import periods
from etl.kpi.definitions import KpiDefinition
from etl.kpi.exact import EXACT

PROJECTION_QUARTERS = 8  # two years of quarters
MIN_POINTS = 3
LATE_HORIZON = 20  # quarters after a dated target (or after the last data, for a standing target)
EPSILON = 1e-9  # absorbs floating-point noise when a value sits exactly on the trajectory
SLOPE_TOLERANCE = 1e-9  # a projection line moving less than this x the largest |value| a quarter is flat


def segment_rows(d: KpiDefinition, period_list: list[str]) -> list[tuple]:
    """Rows of ``_kpi_segment``: what the trajectory of ``d`` is made of in each period.

    (kpi_id, period, period_type, kind, target, end_qidx, end_value, start_qidx, start_value,
    growth, fixed); a NULL start means "the entity's first quarter with enough data".
    """
    rows = []
    for period in period_list:
        for period_type in ("quarter", "ytd"):
            row = _segment(d, period, period_type)
            if row is not None:
                rows.append((d.id, period, period_type, *row))
    return rows


def _segment(d: KpiDefinition, period: str, period_type: str) -> tuple | None:
    if not d.targets:
        return None
    first = d.targets[0]
    if first.kind == "standing":
        fixed = first.value
        if first.per_year:
            quarters = periods.split(period)[1] if period_type == "ytd" else 1
            fixed = first.value * quarters / 4
        return ("standing", first.value, None, None, None, None, None, fixed)
    if first.kind == "growth":
        return ("growth", None, None, None, None, None, first.growth_per_year, None)
    dated = d.dated_targets
    here = periods.index(period)
    i = next((k for k, t in enumerate(dated) if periods.index(t.period) >= here), len(dated) - 1)
    end = dated[i]
    if i > 0:
        start_q, start_v = periods.index(dated[i - 1].period), dated[i - 1].value
    elif end.baseline:
        start_q, start_v = periods.index(end.baseline.period), end.baseline.value
    else:
        start_q, start_v = None, None
    return ("dated", end.value, periods.index(end.period), end.value, start_q, start_v, None, None)


def target_point_rows(d: KpiDefinition) -> list[tuple]:
    """Rows of ``_kpi_target_point`` (kpi_id, kind, period, qidx, value): what projections aim at."""
    rows = []
    for t in d.targets:
        if t.kind == "dated":
            rows.append((d.id, "dated", t.period, periods.index(t.period), t.value))
        elif t.kind == "standing" and not t.per_year:
            rows.append((d.id, "standing", None, None, t.value))
    return rows


# Each entity's first quarter with enough data (as "enough" in STATUS_SQL below): the
# baseline of its trajectory when the definition has none. Read from the values themselves
# (2.2 million judged rows at national scale are not read twice), and from ``_kpi_first_kept``
# (``KEPT_FIRST_SQL``: the entities that had such a quarter before ``$since``, whose earlier
# values are then not in ``_kpi_result``; a later quarter never comes before it).
FIRST_DATA_SQL = """
CREATE OR REPLACE TEMP TABLE _kpi_first AS
SELECT kpi_id, level, entity_code, min(qidx) AS first_qidx, arg_min(value, qidx) AS first_value
FROM (
    SELECT v.kpi_id, v.level, v.entity_code, coalesce(e.qidx, p.qidx) AS qidx, v.value
    FROM _kpi_result AS v
    JOIN _kpi_def AS d ON d.kpi_id = v.kpi_id
    LEFT JOIN _kpi_expected AS e
      ON NOT d.milestones AND list_contains(d.levels, e.level)
     AND e.level = v.level AND e.entity_code = v.entity_code AND e.period = v.period
    LEFT JOIN kpi_periods AS p ON d.milestones AND p.period = v.period
    WHERE v.period_type = 'quarter' AND v.value IS NOT NULL AND isfinite(v.value)
      AND CASE WHEN d.milestones THEN p.qidx IS NOT NULL
               ELSE e.qidx IS NOT NULL AND v.reported > 0 AND v.reported >= d.min_coverage * e.expected END
    UNION ALL
    SELECT kpi_id, level, entity_code, first_qidx, first_value FROM _kpi_first_kept
)
GROUP BY kpi_id, level, entity_code
"""

# With ``$since``: the first quarter with enough data of each entity that had one before it,
# read from the judged rows ``kpi_value`` keeps (those quarters' values, expected agencies
# and definitions are the same: ``engine.materialise``). A judged row holds a value only where
# it was finite, and only rows on the grid of expected entities.
KEPT_FIRST_SQL = """
INSERT INTO _kpi_first_kept
SELECT v.kpi_id, v.level, v.entity_code, min(p.qidx), arg_min(v.value, p.qidx)
FROM kpi_value AS v
JOIN _kpi_def AS d ON d.kpi_id = v.kpi_id AND NOT d.milestones
JOIN kpi_periods AS p ON p.period = v.period
WHERE v.period < $since AND v.period_type = 'quarter' AND v.value IS NOT NULL
  AND v.reported > 0 AND v.reported >= d.min_coverage * v.expected
GROUP BY v.kpi_id, v.level, v.entity_code
"""

# The rows of every KPI on the grid of its expected entities (``_kpi_result`` holds the
# values of the compiled KPIs): an entity without data still gets a row, whose status is then
# awaiting_data. KPIs that are not about agencies (milestones) are national only, with no
# coverage. What each definition decides comes from ``_kpi_def``, so one statement judges
# every KPI.
#
# With ``$since`` (a quarter; NULL: none), ``kpi_value`` already holds the judged rows of the
# quarters before it (``engine.materialise``), and only those that can have changed are judged:
# the rows of the quarters from ``$since`` on, and every row of an entity whose first quarter
# with enough data is not before ``$since`` (not in ``_kpi_first_kept``), and of milestone KPIs. A judged row is made of
# its value, its entity's expected agencies in that quarter, the definition, and the entity's
# first quarter with enough data and its value; a new file can change the latter only for an
# entity that had no quarter with enough data before it (whose earlier rows then change, as
# their trajectory starts from it).
STATUS_SQL = f"""
INSERT INTO kpi_value
WITH
kpi_rows AS (
    SELECT d.kpi_id, e.period, t.period_type, e.level, e.entity_code, e.qidx, e.expected,
           v.value, v.numerator, v.denominator, coalesce(v.reported, 0) AS reported, v.submission_ids
    FROM _kpi_def AS d
    JOIN _kpi_expected AS e ON list_contains(d.levels, e.level)
    CROSS JOIN (VALUES ('quarter'), ('ytd')) AS t(period_type)
    LEFT JOIN _kpi_first_kept AS k ON k.kpi_id = d.kpi_id AND k.level = e.level AND k.entity_code = e.entity_code
    LEFT JOIN _kpi_result AS v
      ON v.kpi_id = d.kpi_id AND v.level = e.level AND v.entity_code = e.entity_code AND v.period = e.period
     AND v.period_type = t.period_type
    WHERE NOT d.milestones
      AND ($since IS NULL OR e.period >= $since OR k.kpi_id IS NULL)
    UNION ALL
    SELECT v.kpi_id, v.period, v.period_type, v.level, v.entity_code, p.qidx, CAST(NULL AS INTEGER) AS expected,
           v.value, v.numerator, v.denominator, v.reported, v.submission_ids
    FROM _kpi_result AS v
    JOIN _kpi_def AS d ON d.kpi_id = v.kpi_id AND d.milestones
    JOIN kpi_periods AS p ON p.period = v.period
),
covered AS (
    SELECT r.*, d.direction, d.target_levels,
           coalesce(d.threshold_mode, 'relative') AS threshold_mode,
           coalesce(d.on_track_within, 0) AS on_track_within,
           coalesce(d.at_risk_within, 0) AS at_risk_within,
           r.value IS NOT NULL AND isfinite(r.value)
           AND (r.expected IS NULL OR (r.reported > 0 AND r.reported >= d.min_coverage * r.expected)) AS enough
    FROM kpi_rows AS r
    JOIN _kpi_def AS d USING (kpi_id)
),
segments AS (
    SELECT c.*, s.kind, s.target, s.end_qidx, s.end_value, s.growth, s.fixed,
           coalesce(s.start_qidx, f.first_qidx) AS start_qidx,
           coalesce(s.start_value, f.first_value) AS start_value
    FROM covered AS c
    LEFT JOIN _kpi_segment AS s
           ON s.kpi_id = c.kpi_id AND list_contains(c.target_levels, c.level)
          AND s.period = c.period AND s.period_type = c.period_type
    LEFT JOIN _kpi_first AS f ON f.kpi_id = c.kpi_id AND f.level = c.level AND f.entity_code = c.entity_code
),
tracked AS (
    SELECT *,
           CASE kind
               WHEN 'standing' THEN fixed
               WHEN 'growth' THEN CASE WHEN qidx >= start_qidx
                   THEN start_value * power(1 + growth / 100, (qidx - start_qidx) / 4) END
               WHEN 'dated' THEN CASE
                   WHEN qidx >= end_qidx OR start_qidx >= end_qidx THEN end_value
                   WHEN start_qidx IS NULL THEN NULL
                   WHEN qidx <= start_qidx THEN start_value
                   ELSE start_value + (end_value - start_value) * (qidx - start_qidx) / (end_qidx - start_qidx)
               END
           END AS trajectory
    FROM segments
),
gapped AS (
    -- shortfall: how far the value is behind the trajectory, in the direction that is bad
    SELECT *,
           CASE WHEN threshold_mode = 'absolute' THEN shortfall
                WHEN trajectory = 0 THEN CASE WHEN shortfall <= 0 THEN 0 ELSE 'Infinity'::DOUBLE END
                ELSE 100 * shortfall / abs(trajectory) END AS gap
    FROM (SELECT *, CASE WHEN direction = 'up' THEN trajectory - value ELSE value - trajectory END AS shortfall
          FROM tracked)
)
SELECT kpi_id, period, period_type, level, entity_code,
       CASE WHEN isfinite(value) THEN value END AS value, numerator, denominator,
       CASE WHEN kind = 'growth' THEN trajectory ELSE target END AS target,
       trajectory,
       CASE
           WHEN kind IS NULL THEN 'no_target'
           WHEN NOT enough OR trajectory IS NULL THEN 'awaiting_data'
           WHEN gap <= on_track_within + {EPSILON} THEN 'on_track'
           WHEN gap <= at_risk_within + {EPSILON} THEN 'at_risk'
           ELSE 'off_track'
       END AS status,
       reported, expected,
       coalesce(array_to_string(submission_ids, ','), '') AS submission_ids
FROM gapped
ORDER BY kpi_id  -- one KPI's rows together: readers filter by KPI
"""

# The rows STATUS_SQL judges again when ``$since`` is given: all but those of the returns and
# registers KPIs' quarters before it whose entity had a quarter with enough data before it
# (``_kpi_first_kept``).
REJUDGED_DELETE_SQL = """
DELETE FROM kpi_value AS v
WHERE v.period >= $since OR NOT EXISTS (
    SELECT 1 FROM _kpi_first_kept AS k
    WHERE k.kpi_id = v.kpi_id AND k.level = v.level AND k.entity_code = v.entity_code)
"""


PROJECTION_SQL = f"""
INSERT INTO kpi_projection
WITH
periods AS (
    SELECT period, year * 4 + quarter - 1 AS qidx FROM dim_period
),
points AS (
    -- quarterly values judged against a target (enough data, a target at that level)
    SELECT v.kpi_id, v.level, v.entity_code, p.qidx, v.value
    FROM kpi_value AS v
    JOIN periods AS p USING (period)
    WHERE v.period_type = 'quarter' AND v.status IN ('on_track', 'at_risk', 'off_track')
),
latest AS (
    SELECT kpi_id, level, entity_code, max(qidx) AS last_qidx, arg_max(value, qidx) AS last_value
    FROM points
    GROUP BY kpi_id, level, entity_code
),
recent AS (
    -- the last {PROJECTION_QUARTERS} quarters; x counts quarters back from the latest (0, -1, ...)
    SELECT p.kpi_id, p.level, p.entity_code, l.last_qidx, l.last_value, p.qidx - l.last_qidx AS x,
           CAST(p.value AS {EXACT}) AS y
    FROM points AS p
    JOIN latest AS l USING (kpi_id, level, entity_code)
    WHERE p.qidx > l.last_qidx - {PROJECTION_QUARTERS}
),
sums AS (
    -- exact sums (etl.kpi.exact): the line does not depend on the order of the points
    SELECT kpi_id, level, entity_code, last_qidx, last_value, count(*) AS points,
           CAST(sum(x) AS BIGINT) AS sx, CAST(sum(x * x) AS BIGINT) AS sxx, sum(y) AS sy, sum(x * y) AS sxy,
           CAST(max(abs(y)) AS DOUBLE) AS scale
    FROM recent
    GROUP BY kpi_id, level, entity_code, last_qidx, last_value
),
fit AS (
    -- least squares through (mean qidx, mean value); slope = (n Sxy - Sx Sy) / (n Sxx - Sx^2),
    -- its numerator exact, so a flat series has slope 0; a slope within {SLOPE_TOLERANCE} x the
    -- largest |value| per quarter counts as flat
    SELECT kpi_id, level, entity_code, last_qidx, last_value, points,
           last_qidx + sx / points AS centre, CAST(sy AS DOUBLE) / points AS mean,
           CASE WHEN abs(raw_slope) <= {SLOPE_TOLERANCE} * scale THEN 0 ELSE raw_slope END AS slope
    FROM (SELECT *, CAST(points * sxy - sx * sy AS DOUBLE) / nullif(points * sxx - sx * sx, 0) AS raw_slope
          FROM sums)
),
goals AS (
    -- upcoming dated targets, and standing targets
    SELECT f.*, t.period AS target_period, t.qidx AS target_qidx, t.value AS target_value, d.direction,
           coalesce(t.qidx, f.last_qidx) + {LATE_HORIZON} AS horizon_qidx,
           CASE WHEN d.direction = 'up' THEN f.last_value >= t.value ELSE f.last_value <= t.value END AS reached,
           f.points >= {MIN_POINTS} AND (CASE WHEN d.direction = 'up' THEN f.slope > 0 ELSE f.slope < 0 END)
               AS heading_there
    FROM fit AS f
    JOIN _kpi_target_point AS t USING (kpi_id)
    JOIN _kpi_def AS d USING (kpi_id)
    WHERE list_contains(d.target_levels, f.level) AND (t.kind = 'standing' OR t.qidx >= f.last_qidx)
),
solved AS (
    SELECT *,
           CASE WHEN heading_there AND NOT reached
                THEN greatest(ceil(centre + (target_value - mean) / slope - {EPSILON}), last_qidx + 1)
           END AS attainment_qidx
    FROM goals
)
SELECT kpi_id, level, entity_code, target_period, target_value,
       CASE WHEN points >= {MIN_POINTS} AND target_qidx IS NOT NULL THEN mean + slope * (target_qidx - centre) END
           AS projected_value,
       CASE WHEN reached THEN (last_qidx // 4) || 'Q' || (last_qidx % 4 + 1)
            WHEN attainment_qidx <= horizon_qidx
                THEN (CAST(attainment_qidx AS INTEGER) // 4) || 'Q' || (CAST(attainment_qidx AS INTEGER) % 4 + 1)
       END AS attainment_period,
       CASE WHEN reached THEN 'reached'
            WHEN points < {MIN_POINTS} THEN 'insufficient_data'
            WHEN attainment_qidx IS NULL OR attainment_qidx > horizon_qidx THEN 'not_at_this_pace'
            WHEN target_qidx IS NULL OR attainment_qidx <= target_qidx THEN 'on_pace'
            ELSE 'after_target_date'
       END AS note,
       points,
       slope AS slope_per_quarter,
       (last_qidx // 4) || 'Q' || (last_qidx % 4 + 1) AS last_period,
       last_value
FROM solved
"""
