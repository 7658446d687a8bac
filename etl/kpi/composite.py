"""The NAIO AI Transformation Index per agency and per MSIC sector, each quarter.

Built as the OECD/JRC Handbook on Constructing Composite Indicators recommends:

* components: the KPIs marked ``in_composite``, each scored against its fixed target (the
  last dated target, or the standing one): up is good -> ``min(value / target, 1) x 100``;
  down is good -> 100 when ``value <= target``, else ``target / value x 100`` (and 0 when
  the target is 0 and the value is above it: "none allowed");
* pillars: the arithmetic mean of their components' scores (equal weights);
* index: the geometric mean of the pillar scores, each floored at ``PILLAR_FLOOR`` so that
  one empty pillar weighs heavily without zeroing the index; computed when at least
  ``MIN_PILLARS`` pillars have a component with data;
* ranks only within a peer group (``dim_agency.peer_group``; sectors form one group);
* sensitivity: the rank under two alternative aggregations (the arithmetic mean of the
  pillars, and equal weights for every component); ``rank_min``/``rank_max`` are the best
  and worst of the three ranks.

Components, pillar scores and both alternatives are kept in ``components_json``. Means are
exact (``etl.kpi.exact``): an index, and so a rank, does not depend on the order of the rows.

A quarter's index is made of that quarter's judged values alone: with ``$since``, only the
quarters from it on are computed (the earlier ones are carried over).
"""

from __future__ import annotations

from etl.kpi.exact import exact_mean

MIN_PILLARS = 2
PILLAR_FLOOR = 1.0

COMPOSITE_SQL = f"""
INSERT INTO composite_index
WITH
components AS (
    SELECT v.level, v.entity_code, v.period, d.pillar, v.kpi_id, v.value, d.composite_target AS target,
           CASE
               WHEN d.direction = 'up' AND d.composite_target <= 0 THEN 100
               WHEN d.direction = 'up' THEN 100 * least(greatest(v.value, 0) / d.composite_target, 1)
               WHEN v.value <= d.composite_target THEN 100
               WHEN d.composite_target <= 0 THEN 0
               ELSE 100 * d.composite_target / v.value
           END AS score
    FROM kpi_value AS v
    JOIN _kpi_def AS d USING (kpi_id)
    WHERE d.in_composite AND v.period_type = 'quarter' AND v.level IN ('agency', 'sector')
      AND v.status IN ('on_track', 'at_risk', 'off_track')  -- a value with enough data, judged
      AND ($since IS NULL OR v.period >= $since)  -- earlier quarters carried over (engine.materialise)
),
pillars AS (
    SELECT level, entity_code, period, pillar, {exact_mean('score')} AS score
    FROM components
    GROUP BY level, entity_code, period, pillar
),
by_pillar AS (
    SELECT level, entity_code, period, count(*) AS n_pillars,
           exp({exact_mean(f'ln(greatest(score, {PILLAR_FLOOR}))')}) AS geometric,
           {exact_mean('score')} AS arithmetic,
           to_json(map_from_entries(list_sort(list((pillar, round(score, 2)))))) AS pillar_scores
    FROM pillars
    GROUP BY level, entity_code, period
),
by_component AS (
    SELECT level, entity_code, period, {exact_mean('score')} AS equal_weights,
           -- each entry starts with its "kpi_id": sorting the entries sorts them by KPI
           '{{' || array_to_string(list_sort(list('"' || kpi_id || '":{{"pillar":"' || pillar || '","value":'
                                                  || round(value, 4) || ',"target":' || target || ',"score":'
                                                  || round(score, 2) || '}}')), ',') || '}}'
               AS component_scores
    FROM components
    GROUP BY level, entity_code, period
),
entities AS (
    SELECT p.*, c.equal_weights, c.component_scores,
           CASE WHEN p.level = 'sector' THEN 'sector' ELSE coalesce(a.peer_group, 'other') END AS peer_group
    FROM by_pillar AS p
    JOIN by_component AS c USING (level, entity_code, period)
    LEFT JOIN dim_agency AS a ON p.level = 'agency' AND a.agency_code = p.entity_code
),
ranked AS (
    SELECT level, entity_code, period,
           rank() OVER peers_geometric AS rank_geometric,
           rank() OVER (PARTITION BY level, period, peer_group ORDER BY arithmetic DESC) AS rank_arithmetic,
           rank() OVER (PARTITION BY level, period, peer_group ORDER BY equal_weights DESC) AS rank_equal,
           count(*) OVER (PARTITION BY level, period, peer_group) AS n_peers
    FROM entities
    WHERE n_pillars >= {MIN_PILLARS}
    WINDOW peers_geometric AS (PARTITION BY level, period, peer_group ORDER BY geometric DESC)
)
SELECT e.level, e.entity_code, e.period, e.peer_group,
       CASE WHEN e.n_pillars >= {MIN_PILLARS} THEN round(e.geometric, 2) END AS index_value,
       r.rank_geometric AS rank,
       least(r.rank_geometric, r.rank_arithmetic, r.rank_equal) AS rank_min,
       greatest(r.rank_geometric, r.rank_arithmetic, r.rank_equal) AS rank_max,
       r.n_peers,
       json_object(
           'method', 'geometric mean of pillar means; component = min(value/target, 1) x 100',
           'pillars', json(e.pillar_scores),
           'components', json(e.component_scores),
           'alternatives', json_object('arithmetic_mean_of_pillars', round(e.arithmetic, 2),
                                       'equal_weights_of_components', round(e.equal_weights, 2)),
           'ranks', json_object('geometric', r.rank_geometric, 'arithmetic', r.rank_arithmetic,
                                'equal_weights', r.rank_equal)
       ) AS components_json
FROM entities AS e
LEFT JOIN ranked AS r USING (level, entity_code, period)
"""
