"""Completeness of the quarterly returns, per active agency and period.

* ``expected``: the required indicators (``dim_indicator.required``), for every agency that
  submits returns, in every period of ``dim_period``;
* ``received``: those with a current agency-total value (``breakdown_type = ''``);
* ``on_time`` / ``late``: received on or before / after ``dim_period.deadline``, judged by
  the first time the value was received (current or superseded rows of ``fact_return`` and
  ``fact_return_history``), so that a correction after the deadline does not make an
  on-time return late; ``received_at`` is compared as stored, by its date;
* ``missing_indicators``: the required indicators not received, comma-separated, sorted.
"""

from __future__ import annotations

COMPLETENESS_SQL = """
INSERT INTO completeness
WITH
required AS (
    SELECT indicator_code FROM dim_indicator WHERE required
),
expected AS (
    SELECT a.agency_code, p.period, p.deadline, r.indicator_code
    FROM dim_agency AS a
    CROSS JOIN dim_period AS p
    CROSS JOIN required AS r
    WHERE a.submits_returns
),
current_rows AS (
    SELECT agency_code, period, indicator_code
    FROM fact_return
    WHERE coalesce(breakdown_type, '') = '' AND value IS NOT NULL
    GROUP BY agency_code, period, indicator_code
),
first_received AS (
    SELECT agency_code, period, indicator_code, min(received_at) AS received_at
    FROM (
        SELECT agency_code, period, indicator_code, received_at, breakdown_type, value FROM fact_return
        UNION ALL
        SELECT agency_code, period, indicator_code, received_at, breakdown_type, value FROM fact_return_history
    ) AS all_rows
    WHERE coalesce(breakdown_type, '') = '' AND value IS NOT NULL
    GROUP BY agency_code, period, indicator_code
),
judged AS (
    SELECT e.agency_code, e.period, e.indicator_code,
           c.indicator_code IS NOT NULL AS received,
           c.indicator_code IS NOT NULL AND coalesce(CAST(f.received_at AS DATE) <= e.deadline, FALSE) AS on_time
    FROM expected AS e
    LEFT JOIN current_rows AS c USING (agency_code, period, indicator_code)
    LEFT JOIN first_received AS f USING (agency_code, period, indicator_code)
)
SELECT agency_code, period,
       count(*) AS expected,
       count(*) FILTER (WHERE received) AS received,
       count(*) FILTER (WHERE on_time) AS on_time,
       count(*) FILTER (WHERE received AND NOT on_time) AS late,
       coalesce(string_agg(indicator_code, ',' ORDER BY indicator_code) FILTER (WHERE NOT received), '')
           AS missing_indicators
FROM judged
GROUP BY agency_code, period
"""
