"""Completeness of the quarterly returns, per active agency and period.

* ``expected``: the required indicators (``dim_indicator.required``), for every agency that
  submits returns, in every period of ``dim_period``;
* ``received``: those with a current agency-total value (``breakdown_type = ''``);
* ``on_time`` / ``late``: received on or before / after ``dim_period.deadline``, judged by
  the first time the value was received (current or superseded rows of ``fact_return`` and
  ``fact_return_history``), so that a correction after the deadline does not make an
  on-time return late; ``received_at`` is compared as stored, by its date;
* ``missing_indicators``: the required indicators not received, comma-separated, sorted.

A period's rows are made of that period's returns alone: with ``$since``, only the periods
from it on are computed (the earlier ones are carried over: ``engine.materialise``).
"""

from __future__ import annotations

COMPLETENESS_SQL = """
INSERT INTO completeness
WITH
required AS (
    SELECT list(indicator_code ORDER BY indicator_code) AS codes, count(*) AS n
    FROM dim_indicator
    WHERE required
),
earlier AS (
    -- superseded values: a correction keeps the date the value was first received
    SELECT agency_code, period, indicator_code, min(received_at) AS received_at
    FROM fact_return_history
    WHERE coalesce(breakdown_type, '') = '' AND value IS NOT NULL AND ($since IS NULL OR period >= $since)
    GROUP BY agency_code, period, indicator_code
),
first_received AS (
    SELECT c.agency_code, c.period, c.indicator_code,
           least(min(c.received_at), min(e.received_at)) AS received_at
    FROM fact_return AS c
    JOIN dim_indicator AS i ON i.indicator_code = c.indicator_code AND i.required
    LEFT JOIN earlier AS e
           ON e.agency_code = c.agency_code AND e.period = c.period AND e.indicator_code = c.indicator_code
    WHERE coalesce(c.breakdown_type, '') = '' AND c.value IS NOT NULL AND ($since IS NULL OR c.period >= $since)
    GROUP BY c.agency_code, c.period, c.indicator_code
),
received AS (
    SELECT f.agency_code, f.period, list(f.indicator_code) AS codes, count(*) AS received,
           count(*) FILTER (WHERE CAST(f.received_at AS DATE) <= p.deadline) AS on_time
    FROM first_received AS f
    JOIN dim_period AS p ON p.period = f.period
    GROUP BY f.agency_code, f.period
)
SELECT a.agency_code, p.period, r.n AS expected,
       coalesce(x.received, 0) AS received,
       coalesce(x.on_time, 0) AS on_time,
       coalesce(x.received - x.on_time, 0) AS late,
       array_to_string(list_filter(r.codes, lambda code: NOT list_contains(coalesce(x.codes, []), code)), ',')
           AS missing_indicators
FROM dim_agency AS a
CROSS JOIN dim_period AS p
CROSS JOIN required AS r
LEFT JOIN received AS x ON x.agency_code = a.agency_code AND x.period = p.period
WHERE a.submits_returns AND r.n > 0 AND ($since IS NULL OR p.period >= $since)
"""
