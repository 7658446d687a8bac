"""Build time of the PDF pack for a minister (``dashboard/pack.py``), when the product has one.

The runs go one after another in one process, as a server builds packs: the first one also
starts Chromium (the product keeps it for the next pack); each run's seconds by step are in
the report's ``extra.steps``."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.dataset import LAST_PERIOD, Dataset, say
from benchmarks.stats import Measure, timed

PACK_GOAL_SECONDS = 10.0
ENTRY_POINTS = ("build_pack", "build", "make_pack")


def _entry() -> tuple[Callable | None, str]:
    try:
        module = importlib.import_module("dashboard.pack")
    except ModuleNotFoundError as exc:
        if exc.name in ("dashboard.pack", "dashboard"):
            return None, "dashboard/pack.py is not in the product"
        raise
    for name in ENTRY_POINTS:
        if callable(getattr(module, name, None)):
            return getattr(module, name), ""
    return None, f"dashboard/pack.py has none of {', '.join(ENTRY_POINTS)}"


def _arguments(fn: Callable, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Keyword arguments for ``fn`` from ``values`` by parameter name; a missing one is named."""
    kwargs = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name in values:
            kwargs[name] = values[name]
        elif param.default is inspect.Parameter.empty and param.kind not in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            return {}, f"build_pack needs '{name}', which the bench cannot supply"
    return kwargs, ""


def measure_pack(ds: Dataset, repeat: int, lang: str = "en") -> Measure:
    m = Measure(name=f"PDF pack build ({lang})", unit="s", goal=f"< {PACK_GOAL_SECONDS:g} s",
                max_value=PACK_GOAL_SECONDS)
    fn, why = _entry()
    if fn is None:
        m.available, m.note = False, why
        return m
    from etl.store import Store

    settings = ds.settings
    out = ds.root / "runs" / f"pack-{lang}.pdf"
    out.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    try:
        values = {"settings": settings, "store": store, "period": LAST_PERIOD, "lang": lang, "language": lang,
                  "out_path": out, "out": out, "path": out, "output": out, "output_path": out,
                  "use_cache": False, "trigger": "bench"}
        kwargs, why = _arguments(fn, values)
        if why:
            m.available, m.note = False, why
            return m
        steps = []
        for n in range(repeat):
            out.unlink(missing_ok=True)
            seconds, pack = timed(lambda: fn(**kwargs))
            m.runs.append(seconds)
            steps.append(_steps(store))
            m.extra = {"pdf_bytes": _size(pack, out), "pages": getattr(pack, "pages", None), "steps": steps}
            say(f"pack run {n + 1}/{repeat}: {seconds:.2f} s, {m.extra['pdf_bytes']} bytes, seconds by step {steps[-1]}")
    finally:
        store.dispose()
    return m


def _steps(store) -> dict | None:
    """Seconds by step of the last pack build (data, html, print), from its run row."""
    import json

    try:
        runs = store.runs(job="pack", limit=1)
        return json.loads(runs["counts_json"].iloc[0] or "{}").get("timings") if len(runs) else None
    except Exception:  # a product without run rows or step times
        return None


def _size(pack: Any, path: Path) -> int:
    """Bytes of the PDF: the returned pack's ``pdf``, else the file written."""
    pdf = getattr(pack, "pdf", None)
    if isinstance(pdf, (bytes, bytearray)):
        return len(pdf)
    return path.stat().st_size if path.exists() else 0
