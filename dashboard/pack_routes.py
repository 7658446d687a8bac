"""``GET /pack?period=2026Q3&lang=ms|en[&snapshot=ID]``: the ministers' PDF pack for signed-in users.

The pack holds national, sector and ministry figures and completeness by ministry, which
every role may read on the pages, so every signed-in role may download it; the sign-in
guard sends anyone else to the sign-in page. The PDF is printed by the process's own
Chromium (see ``dashboard.pack``), never by asking this server for a page, so a busy server
cannot deadlock on itself. Each download is written to the audit log.

A finished pack is served from ``data/packs`` (the scheduler builds the current quarter's
packs in both languages after each publish). Otherwise the request builds it; a request for
a pack that is being built at that moment, or that finds the server already building
``MAX_BUILDS`` packs, is answered at once with 503 and ``Retry-After`` rather than holding
a server thread.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, abort, request

from dashboard import auth, context
from etl.settings import Settings
from etl.store import Store

log = logging.getLogger("naio.pack")
BUSY_TEXT = {
    "same": ("Pek ini sedang dibina. Cuba lagi dalam {s} saat.", "This pack is being built. Try again in {s} seconds."),
    "busy": ("Pelayan sedang membina pek lain. Cuba lagi dalam {s} saat.",
             "The server is building other packs. Try again in {s} seconds."),
}


def init_app(server: Flask, settings: Settings, store: Store) -> None:
    server.add_url_rule("/pack", "pack", pack)


def pack() -> Response:
    from dashboard.pack import PackBusy, PackError, build_pack
    from dashboard.pack_print import PackRenderError

    try:
        user = auth.require(lambda u: u.can_view(), "download the minister pack", request.path)
    except auth.Forbidden:
        abort(403)
    lang = (request.args.get("lang") or "ms").strip().lower()
    settings, store = context.settings(), context.store()
    try:
        built = build_pack(settings, store, period=request.args.get("period") or None, lang=lang,
                           snapshot_id=request.args.get("snapshot") or None, trigger="web", wait=False)
    except PackBusy as exc:
        ms, en = (text.format(s=exc.retry_after) for text in BUSY_TEXT[exc.reason])
        return Response(f"{ms}\n{en}\n", status=503, mimetype="text/plain", headers={
            "Retry-After": str(exc.retry_after), "Cache-Control": "no-store"})
    except PackError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    except PackRenderError as exc:
        log.error("pack build failed: %s", exc)
        return Response("The pack could not be built completely, so none is sent; the failure is recorded "
                        "in the runs (data status page).\n", status=500, mimetype="text/plain")
    store.audit(user.username, "download pack", target=f"{built.period} {built.lang} {built.snapshot_id}")
    return Response(built.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{built.file_name}"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
