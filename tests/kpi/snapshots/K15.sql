-- K15 Agencies with adopted AI governance
-- formula: condition: GOV_AI_POLICY = 1; scale: 100
-- rollup: share_of_agencies
-- parameters:
--   $kpi_id = 'K15'
--   $p1 = 1
--   $p2 = 'GOV_AI_POLICY'
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
returns_by_period AS (
    -- one row per agency (or breakdown) and period; quarter and year-to-date value of each indicator
    SELECT agency_code, breakdown_type, breakdown_code, period,
           max(value) FILTER (WHERE indicator_code = $p2) AS gov_ai_policy,
           max(ytd_value) FILTER (WHERE indicator_code = $p2) AS ytd_gov_ai_policy
    FROM kpi_observations
    WHERE indicator_code IN ($p2)
    GROUP BY agency_code, breakdown_type, breakdown_code, period
),
returns AS (
    SELECT agency_code, breakdown_type, breakdown_code, period, 'quarter' AS period_type,
           gov_ai_policy
    FROM returns_by_period
    UNION ALL
    SELECT agency_code, breakdown_type, breakdown_code, period, 'ytd',
           ytd_gov_ai_policy
    FROM returns_by_period
),
units AS (
    -- each agency (or breakdown) in each period, with the parts of the KPI
    SELECT agency_code, breakdown_type, breakdown_code, period, period_type,
           CAST(gov_ai_policy = $p1 AS INTEGER) AS holds
    FROM returns
),
counted AS (
    -- the units that reported every part, with the submissions behind them
    SELECT u.*, coalesce(return_lineage.submission_ids, []) AS submission_ids
    FROM units AS u
    LEFT JOIN kpi_return_lineage AS return_lineage
           ON return_lineage.agency_code = u.agency_code AND return_lineage.period = u.period AND return_lineage.period_type = u.period_type
    WHERE holds IS NOT NULL
),
placed AS (
    -- each counted unit at every level above the agency that it counts for
    SELECT 'national' AS level, 'MY' AS entity_code, c.* FROM counted AS c WHERE c.breakdown_type = ''
    UNION ALL
    SELECT 'ministry' AS level, a.ministry_code AS entity_code, c.* FROM counted AS c
    JOIN kpi_agencies AS a ON a.agency_code = c.agency_code
    WHERE c.breakdown_type = '' AND a.ministry_code IS NOT NULL
)
-- share_of_agencies over the units that reported every part in the period
SELECT $kpi_id AS kpi_id, period, period_type, level, entity_code,
       $scale * CAST(sum(CAST(holds AS DECIMAL(38, 12))) AS DOUBLE) / count(*) AS value,
       CAST(sum(CAST(holds AS DECIMAL(38, 12))) AS DOUBLE) AS numerator,
       count(*) AS denominator,
       count(*) AS reported,
       list_sort(list_distinct(flatten(list(submission_ids)))) AS submission_ids
FROM placed
GROUP BY period, period_type, level, entity_code
UNION ALL
-- agency level: each agency's own value
SELECT $kpi_id, period, period_type, 'agency', agency_code,
       $scale * (holds) / 1,
       (holds),
       1,
       1,
       submission_ids
FROM counted
WHERE breakdown_type = ''
