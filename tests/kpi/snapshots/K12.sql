-- K12 End-to-end online services
-- formula: numerator: SVC_E2E; denominator: SVC_TOTAL; scale: 100
-- rollup: ratio_of_sums
-- parameters:
--   $kpi_id = 'K12'
--   $p1 = 'SVC_E2E'
--   $p2 = 'SVC_TOTAL'
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
    -- the year-to-date value: flows summed over the quarters of the year to date, stocks and
    -- cumulative indicators as reported in the quarter. Sorted by indicator, so that each KPI
    -- reads only the row groups of its own indicators.
    SELECT f.agency_code,
           coalesce(f.breakdown_type, '') AS breakdown_type,
           coalesce(f.breakdown_code, '') AS breakdown_code,
           f.period, f.indicator_code, f.value,
           CASE WHEN i.temporal = 'flow'
                THEN sum(f.value) OVER (
                    PARTITION BY f.agency_code, f.breakdown_type, f.breakdown_code, f.indicator_code, p.year
                    ORDER BY p.qidx ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                ELSE f.value END AS ytd_value
    FROM fact_return AS f
    JOIN kpi_agencies AS a ON a.agency_code = f.agency_code
    JOIN kpi_periods AS p ON p.period = f.period
    JOIN dim_indicator AS i ON i.indicator_code = f.indicator_code
    WHERE f.value IS NOT NULL
    ORDER BY f.indicator_code
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
    SELECT DISTINCT f.agency_code, p.period, t.period_type, f.submission_id
    FROM kpi_periods AS p
    CROSS JOIN (VALUES ('quarter'), ('ytd')) AS t(period_type)
    JOIN filed AS f ON f.year = p.year AND f.qidx <= p.qidx AND (t.period_type = 'ytd' OR f.qidx = p.qidx)
),
returns_by_period AS (
    -- one row per agency (or breakdown) and period; quarter and year-to-date value of each indicator
    SELECT agency_code, breakdown_type, breakdown_code, period,
           max(value) FILTER (WHERE indicator_code = $p1) AS svc_e2e,
           max(ytd_value) FILTER (WHERE indicator_code = $p1) AS ytd_svc_e2e,
           max(value) FILTER (WHERE indicator_code = $p2) AS svc_total,
           max(ytd_value) FILTER (WHERE indicator_code = $p2) AS ytd_svc_total
    FROM kpi_observations
    WHERE indicator_code IN ($p1, $p2)
    GROUP BY agency_code, breakdown_type, breakdown_code, period
),
returns AS (
    SELECT agency_code, breakdown_type, breakdown_code, period, 'quarter' AS period_type,
           svc_e2e,
           svc_total
    FROM returns_by_period
    UNION ALL
    SELECT agency_code, breakdown_type, breakdown_code, period, 'ytd',
           ytd_svc_e2e,
           ytd_svc_total
    FROM returns_by_period
),
units AS (
    -- each agency (or breakdown) in each period, with the parts of the KPI
    SELECT agency_code, breakdown_type, breakdown_code, period, period_type,
           svc_e2e AS numerator,
           svc_total AS denominator
    FROM returns
),
counted AS (
    -- the units that reported every part
    SELECT * FROM units WHERE numerator IS NOT NULL AND denominator IS NOT NULL
),
lineage AS (
    -- the submissions behind each agency's values in each period
    SELECT * FROM kpi_return_lineage
),
placed AS (
    -- each counted unit at every level it counts for
    SELECT 'national' AS level, 'MY' AS entity_code, c.* FROM counted AS c WHERE c.breakdown_type = ''
    UNION ALL
    SELECT 'ministry' AS level, a.ministry_code AS entity_code, c.* FROM counted AS c
    JOIN kpi_agencies AS a ON a.agency_code = c.agency_code
    WHERE c.breakdown_type = '' AND a.ministry_code IS NOT NULL
    UNION ALL
    SELECT 'agency' AS level, c.agency_code AS entity_code, c.* FROM counted AS c WHERE c.breakdown_type = ''
    UNION ALL
    SELECT 'sector' AS level, c.breakdown_code AS entity_code, c.* FROM counted AS c WHERE c.breakdown_type = 'MSIC'
    UNION ALL
    SELECT 'state' AS level, c.breakdown_code AS entity_code, c.* FROM counted AS c WHERE c.breakdown_type = 'STATE'
),
values_by_entity AS (
    -- ratio_of_sums over the units that reported every part in the period
    SELECT period, period_type, level, entity_code,
           $scale * sum(numerator) / nullif(sum(denominator), 0) AS value,
           sum(numerator) AS numerator,
           sum(denominator) AS denominator,
           count(*) AS reported
    FROM placed
    GROUP BY period, period_type, level, entity_code
),
lineage_by_entity AS (
    SELECT p.period, p.period_type, p.level, p.entity_code,
           list_sort(list(DISTINCT l.submission_id)) AS submission_ids
    FROM placed AS p
    JOIN lineage AS l
      ON l.agency_code = p.agency_code AND l.period = p.period AND l.period_type = p.period_type
    GROUP BY p.period, p.period_type, p.level, p.entity_code
)
SELECT $kpi_id AS kpi_id, v.*, coalesce(s.submission_ids, []) AS submission_ids
FROM values_by_entity AS v
LEFT JOIN lineage_by_entity AS s USING (period, period_type, level, entity_code)
