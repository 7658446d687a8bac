"""Server-side paging of long lists: the page is held in the URL (``?page=N``), the server
reads only that page's rows, and the pager is plain links (keyboard reachable, shareable).

National-scale lists (1,000 agencies, thousands of submissions) are never built whole as
components: a page shows ``PAGE_SIZE`` rows, or hands rows as plain JSON to a grid.
"""

from __future__ import annotations

import math
from typing import Any

import dash_ag_grid as dag
from dash import html

from dashboard import components as C
from dashboard import i18n

PAGE_SIZE = 50
TEXT: dict[str, tuple[str, str]] = {
    "pages": ("Pages", "Halaman"),
    "page_of": ("Page {page} of {pages} · rows {first}–{last} of {total}",
                "Halaman {page} daripada {pages} · baris {first}–{last} daripada {total}"),
    "previous": ("‹ Previous page", "‹ Halaman sebelumnya"),
    "next": ("Next page ›", "Halaman seterusnya ›"),
    "first": ("« First", "« Pertama"),
    "last": ("Last »", "Terakhir »"),
}


def tr(key: str, lang: str, **values: Any) -> str:
    en, ms = TEXT[key]
    return (ms if lang == "ms" else en).format(**values)


def grid(grid_id: str, rows: list[dict], columns: list[dict], lang: str, page_size: int = PAGE_SIZE) -> dag.AgGrid:
    """A national-scale list as a grid of plain JSON rows: sortable, filterable and resizable
    columns, paged in the browser, its pager and filter menu in the page's language."""
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=columns,
        # Headers wrap onto more lines rather than cut long (Malay) names short.
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "wrapHeaderText": True,
                       "autoHeaderHeight": True},
        dashGridOptions={"pagination": True, "paginationPageSize": page_size,
                         "paginationPageSizeSelector": [25, 50, 100], "animateRows": False,
                         "ensureDomOrder": True, "localeText": i18n.grid_locale(lang)},
        className="ag-theme-alpine grid",
        style={"height": "560px"},
    )


def page_number(value: Any) -> int:
    """The page asked for in the URL (1 when absent or not a positive whole number)."""
    try:
        page = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return page if page >= 1 else 1


def page_count(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(total / size))


def clamp(page: int, total: int, size: int = PAGE_SIZE) -> int:
    """``page`` within the pages ``total`` rows make (a stale URL shows the last page)."""
    return min(max(1, page), page_count(total, size))


def offset(page: int, size: int = PAGE_SIZE) -> int:
    return (max(1, page) - 1) * size


def pager(path: str, lang: str, page: int, total: int, size: int = PAGE_SIZE, pager_id: str = "pager",
          **params: Any) -> html.Nav | None:
    """Links to the first, previous, next and last pages of ``path`` (``params`` kept in the
    query string), and where this page stands. ``None`` when everything fits on one page."""
    pages = page_count(total, size)
    if pages <= 1:
        return None
    first, last = offset(page, size) + 1, min(total, page * size)

    def link(key: str, target: int) -> Any:
        if target == page or not 1 <= target <= pages:
            return C.fast.Span(tr(key, lang), className="pager-off", **{"aria-disabled": "true"})
        return C.fast.Link(tr(key, lang), href=C.href(path, lang, **params, page=target if target > 1 else None),
                        className="pager-link")

    return C.fast.Nav(id=pager_id, className="pager", **{"aria-label": tr("pages", lang), "data-page": str(page),
                                                         "data-pages": str(pages)}, children=[
        link("first", 1), " ", link("previous", page - 1), " ",
        C.fast.Span(tr("page_of", lang, page=f"{page:,}", pages=f"{pages:,}", first=f"{first:,}", last=f"{last:,}",
                       total=f"{total:,}"),
                  className="pager-status", **{"aria-current": "page"}),
        " ", link("next", page + 1), " ", link("last", pages),
    ])
