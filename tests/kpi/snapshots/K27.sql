-- K27 NAIO milestone completion
-- formula: numerator: count(milestones, planned_date <= period_end and actual_date <= period_end); denominator: count(milestones, planned_date <= period_end); scale: 100
-- rollup: ratio_of_sums
-- parameters:
--   $kpi_id = 'K27'
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
milestones AS (
    -- NAIO milestones, counted at each quarter's end (or today, if the quarter has not ended)
    SELECT CAST(NULL AS VARCHAR) AS agency_code, '' AS breakdown_type, '' AS breakdown_code,
           p.period, t.period_type,
           count(m.milestone_id) FILTER (WHERE (m.planned_date <= p.period_end AND m.actual_date <= p.period_end)) AS milestones_1,
           count(m.milestone_id) FILTER (WHERE m.planned_date <= p.period_end) AS milestones_2
    FROM kpi_periods AS p
    CROSS JOIN (VALUES ('quarter'), ('ytd')) AS t(period_type)
    LEFT JOIN fact_milestone AS m ON TRUE
    GROUP BY p.period, p.qidx, p.period_end, t.period_type
),
units AS (
    -- each agency (or breakdown) in each period, with the parts of the KPI
    SELECT agency_code, breakdown_type, breakdown_code, period, period_type,
           milestones_1 AS numerator,
           milestones_2 AS denominator
    FROM milestones
),
counted AS (
    SELECT *, CAST([] AS INTEGER[]) AS submission_ids FROM units WHERE numerator IS NOT NULL AND denominator IS NOT NULL
),
placed AS (
    -- each counted unit at every level above the agency that it counts for
    SELECT 'national' AS level, 'MY' AS entity_code, c.* FROM counted AS c
)
-- ratio_of_sums over the units that reported every part in the period
SELECT $kpi_id AS kpi_id, period, period_type, level, entity_code,
       $scale * CAST(sum(CAST(numerator AS DECIMAL(38, 12))) AS DOUBLE) / nullif(CAST(sum(CAST(denominator AS DECIMAL(38, 12))) AS DOUBLE), 0) AS value,
       CAST(sum(CAST(numerator AS DECIMAL(38, 12))) AS DOUBLE) AS numerator,
       CAST(sum(CAST(denominator AS DECIMAL(38, 12))) AS DOUBLE) AS denominator,
       CAST(NULL AS INTEGER) AS reported,
       list_sort(list_distinct(flatten(list(submission_ids)))) AS submission_ids
FROM placed
GROUP BY period, period_type, level, entity_code
