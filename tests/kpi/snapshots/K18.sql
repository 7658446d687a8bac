-- K18 AI incident rate
-- formula: numerator: AI_INCIDENTS; denominator: count(register, stage = 'production'); scale: 100
-- rollup: ratio_of_sums
-- parameters:
--   $kpi_id = 'K18'
--   $p1 = 'production'
--   $p2 = 'AI_INCIDENTS'
--   $scale = 100
--   $today = the date the KPIs are computed for
WITH
kpi_periods AS (
    -- every quarter of the warehouse; qidx counts quarters, so differences are in quarters;
    -- period_end is the quarter's end, or today if the quarter has not ended
    SELECT period, year, quarter, year * 4 + quarter - 1 AS qidx,
           least(quarter_end, $today) AS period_end
    FROM dim_period
),
kpi_agencies AS (
    -- the KPI population: agencies that submit returns
    SELECT agency_code, ministry_code
    FROM dim_agency
    WHERE submits_returns
),
kpi_observations AS (
    -- accepted return values per agency (or breakdown), period and indicator; ytd_value is
    -- the year-to-date value: flows summed (exactly) over the quarters of the year to date,
    -- stocks and cumulative indicators as reported in the quarter. Sorted by indicator, so
    -- that each KPI reads only the row groups of its own indicators.
    WITH reported AS (
        SELECT f.agency_code,
               coalesce(f.breakdown_type, '') AS breakdown_type,
               coalesce(f.breakdown_code, '') AS breakdown_code,
               f.period, p.year, p.qidx, f.indicator_code, f.value, i.temporal
        FROM fact_return AS f
        JOIN kpi_agencies AS a ON a.agency_code = f.agency_code
        JOIN kpi_periods AS p ON p.period = f.period
        JOIN dim_indicator AS i ON i.indicator_code = f.indicator_code
        WHERE f.value IS NOT NULL
    )
    SELECT agency_code, breakdown_type, breakdown_code, period, indicator_code, value, value AS ytd_value
    FROM reported
    WHERE temporal <> 'flow'
    UNION ALL
    SELECT agency_code, breakdown_type, breakdown_code, period, indicator_code, value,
           CAST(sum(CAST(value AS DECIMAL(38, 12))) OVER (
               PARTITION BY agency_code, breakdown_type, breakdown_code, indicator_code, year
               ORDER BY qidx ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DOUBLE)
    FROM reported
    WHERE temporal = 'flow'
    ORDER BY indicator_code
),
kpi_return_lineage AS (
    -- the return submissions behind each agency's values: those of the quarter, and for
    -- year-to-date values those of the quarters of the year to date
    WITH filed AS (
        SELECT DISTINCT f.agency_code, p.year, p.qidx, f.submission_id
        FROM fact_return AS f
        JOIN kpi_agencies AS a ON a.agency_code = f.agency_code
        JOIN kpi_periods AS p ON p.period = f.period
        WHERE f.value IS NOT NULL
    )
    SELECT f.agency_code, p.period, t.period_type, list_sort(list(DISTINCT f.submission_id)) AS submission_ids
    FROM kpi_periods AS p
    CROSS JOIN (VALUES ('quarter'), ('ytd')) AS t(period_type)
    JOIN filed AS f ON f.year = p.year AND f.qidx <= p.qidx AND (t.period_type = 'ytd' OR f.qidx = p.qidx)
    GROUP BY f.agency_code, p.period, t.period_type
),
kpi_register_units AS (
    -- each agency's register in force in each period (that period's snapshot, else its
    -- latest earlier one), as agency totals and breakdowns by the system's MSIC section and
    -- by the states it serves
    WITH snapshots AS (
        SELECT DISTINCT agency_code, period FROM fact_register
        UNION
        SELECT sp.agency_code, sp.period
        FROM submission_pairs AS sp
        JOIN submissions AS s ON s.submission_id = sp.submission_id
        WHERE s.kind = 'register'
    ),
    in_force AS (
        SELECT a.agency_code, p.period, p.qidx, max(s.period) AS snapshot_period
        FROM kpi_agencies AS a
        JOIN snapshots AS s ON s.agency_code = a.agency_code
        JOIN kpi_periods AS p ON s.period <= p.period
        GROUP BY a.agency_code, p.period, p.qidx
    ),
    systems AS (
        SELECT r.agency_code, r.period AS snapshot_period, r.submission_id, r.system_id, r.title,
               r."function", r.focus_sector, upper(trim(coalesce(r.msic_section, ''))) AS msic_section,
               lower(trim(r.stage)) AS stage, lower(trim(r.risk_tier)) AS risk_tier,
               r.impact_assessment, r.human_oversight, r.citizen_facing, r.build_mode, r.uses_genai,
               r.sandbox, r.est_hours_saved, r.est_cost_saved_rm,
               CASE WHEN regexp_full_match(r.pilot_start_period, '\d{4}Q[1-4]')
                THEN CAST(substr(r.pilot_start_period, 1, 4) AS INTEGER) * 4 + CAST(substr(r.pilot_start_period, 6, 1) AS INTEGER) - 1 END AS pilot_start_qidx,
               CASE WHEN regexp_full_match(r.production_period, '\d{4}Q[1-4]')
                THEN CAST(substr(r.production_period, 1, 4) AS INTEGER) * 4 + CAST(substr(r.production_period, 6, 1) AS INTEGER) - 1 END AS production_qidx,
               (SELECT list(CAST(d.state_code AS VARCHAR)) FROM dim_state AS d
                WHERE upper(trim(r.states_served)) = 'ALL'
                   OR list_contains(list_transform(regexp_split_to_array(r.states_served, '[^0-9]+'),
                                                   lambda x: TRY_CAST(x AS INTEGER)), d.state_code))
                   AS states
        FROM fact_register AS r
    ),
    in_force_systems AS (
        SELECT f.agency_code, f.period, f.qidx, s.* EXCLUDE (agency_code, snapshot_period)
        FROM in_force AS f
        LEFT JOIN systems AS s ON s.agency_code = f.agency_code AND s.snapshot_period = f.snapshot_period
    )
    SELECT '' AS breakdown_type, '' AS breakdown_code, * EXCLUDE (states) FROM in_force_systems
    UNION ALL
    SELECT 'MSIC', msic_section, * EXCLUDE (states) FROM in_force_systems WHERE msic_section <> ''
    UNION ALL
    SELECT 'STATE', unnest(states), * EXCLUDE (states) FROM in_force_systems
),
kpi_register_lineage AS (
    -- the register submissions behind each agency's values: those of the quarter, and for
    -- year-to-date values those of the quarters of the year to date
    WITH filed AS (
        SELECT DISTINCT u.agency_code, p.year, p.qidx, u.submission_id
        FROM kpi_register_units AS u
        JOIN kpi_periods AS p ON p.period = u.period
        WHERE u.breakdown_type = '' AND u.submission_id IS NOT NULL
    )
    SELECT f.agency_code, p.period, t.period_type, list_sort(list(DISTINCT f.submission_id)) AS submission_ids
    FROM kpi_periods AS p
    CROSS JOIN (VALUES ('quarter'), ('ytd')) AS t(period_type)
    JOIN filed AS f ON f.year = p.year AND f.qidx <= p.qidx AND (t.period_type = 'ytd' OR f.qidx = p.qidx)
    GROUP BY f.agency_code, p.period, t.period_type
),
returns_by_period AS (
    -- one row per agency (or breakdown) and period; quarter and year-to-date value of each indicator
    SELECT agency_code, breakdown_type, breakdown_code, period,
           max(value) FILTER (WHERE indicator_code = $p2) AS ai_incidents,
           max(ytd_value) FILTER (WHERE indicator_code = $p2) AS ytd_ai_incidents
    FROM kpi_observations
    WHERE indicator_code IN ($p2)
    GROUP BY agency_code, breakdown_type, breakdown_code, period
),
returns AS (
    SELECT agency_code, breakdown_type, breakdown_code, period, 'quarter' AS period_type,
           ai_incidents
    FROM returns_by_period
    UNION ALL
    SELECT agency_code, breakdown_type, breakdown_code, period, 'ytd',
           ytd_ai_incidents
    FROM returns_by_period
),
register_by_period AS (
    -- one row per agency (or breakdown) and period, from the register in force
    SELECT u.agency_code, u.breakdown_type, u.breakdown_code, u.period,
           count(u.system_id) FILTER (WHERE u.stage = $p1) AS register_1
    FROM kpi_register_units AS u
    GROUP BY u.agency_code, u.breakdown_type, u.breakdown_code, u.period
),
register AS (
    -- the register is a snapshot: its year-to-date value is the quarter's
    SELECT *, 'quarter' AS period_type FROM register_by_period
    UNION ALL
    SELECT *, 'ytd' AS period_type FROM register_by_period
),
units AS (
    -- each agency (or breakdown) in each period, with the parts of the KPI
    SELECT agency_code, breakdown_type, breakdown_code, period, period_type,
           ai_incidents AS numerator,
           register_1 AS denominator
    FROM returns
    FULL JOIN register USING (agency_code, breakdown_type, breakdown_code, period, period_type)
),
counted AS (
    -- the units that reported every part, with the submissions behind them
    SELECT u.*, list_concat(coalesce(return_lineage.submission_ids, []), coalesce(register_lineage.submission_ids, [])) AS submission_ids
    FROM units AS u
    LEFT JOIN kpi_return_lineage AS return_lineage
           ON return_lineage.agency_code = u.agency_code AND return_lineage.period = u.period AND return_lineage.period_type = u.period_type
    LEFT JOIN kpi_register_lineage AS register_lineage
           ON register_lineage.agency_code = u.agency_code AND register_lineage.period = u.period AND register_lineage.period_type = u.period_type
    WHERE numerator IS NOT NULL AND denominator IS NOT NULL
),
placed AS (
    -- each counted unit at every level above the agency that it counts for
    SELECT 'national' AS level, 'MY' AS entity_code, c.* FROM counted AS c WHERE c.breakdown_type = ''
    UNION ALL
    SELECT 'ministry' AS level, a.ministry_code AS entity_code, c.* FROM counted AS c
    JOIN kpi_agencies AS a ON a.agency_code = c.agency_code
    WHERE c.breakdown_type = '' AND a.ministry_code IS NOT NULL
    UNION ALL
    SELECT 'sector' AS level, c.breakdown_code AS entity_code, c.* FROM counted AS c WHERE c.breakdown_type = 'MSIC'
    UNION ALL
    SELECT 'state' AS level, c.breakdown_code AS entity_code, c.* FROM counted AS c WHERE c.breakdown_type = 'STATE'
)
-- ratio_of_sums over the units that reported every part in the period
SELECT $kpi_id AS kpi_id, period, period_type, level, entity_code,
       $scale * CAST(sum(CAST(numerator AS DECIMAL(38, 12))) AS DOUBLE) / nullif(CAST(sum(CAST(denominator AS DECIMAL(38, 12))) AS DOUBLE), 0) AS value,
       CAST(sum(CAST(numerator AS DECIMAL(38, 12))) AS DOUBLE) AS numerator,
       CAST(sum(CAST(denominator AS DECIMAL(38, 12))) AS DOUBLE) AS denominator,
       count(*) AS reported,
       list_sort(list_distinct(flatten(list(submission_ids)))) AS submission_ids
FROM placed
GROUP BY period, period_type, level, entity_code
UNION ALL
-- agency level: each agency's own value
SELECT $kpi_id, period, period_type, 'agency', agency_code,
       $scale * (numerator) / nullif((denominator), 0),
       (numerator),
       (denominator),
       1,
       submission_ids
FROM counted
WHERE breakdown_type = ''
