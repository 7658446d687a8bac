"""National-scale benchmarks: ingest, publish, dashboard latency, PDF pack and memory.

``python app.py bench [--scale small|full] [--json FILE] [--repeat N]`` generates data with
the demo generator, loads it through the ordinary ingest path and measures each step
against the bare DuckDB operation that does the same work. See ``docs/performance.md``.
"""
