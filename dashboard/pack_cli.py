"""``python app.py snapshot``: write the ministers' PDF pack of a quarter to a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from etl.settings import Settings


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("snapshot", help="write the ministers' PDF pack of a quarter (A4, BM or EN)",
                       description="Build the PDF pack of one quarter from one published warehouse snapshot "
                                   "(the current one unless --snapshot names an earlier one).")
    p.add_argument("--period", help="quarter such as 2026Q3 (default: the snapshot's current quarter)")
    p.add_argument("--lang", choices=["ms", "en"], default="ms", help="language of the whole pack (default ms)")
    p.add_argument("-o", "--output", help="PDF file to write (default naio-pack-<period>-<lang>.pdf)")
    p.add_argument("--snapshot", metavar="ID", help="build from this published snapshot (data/snapshots/ID.duckdb)")
    p.add_argument("--rebuild", action="store_true", help="print again even when this pack was built before")
    p.set_defaults(func=cmd_snapshot)


def cmd_snapshot(settings: Settings, args) -> int:
    from dashboard.pack import PackError, build_pack
    from dashboard.pack_print import PackRenderError
    from etl.store import Store

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.database_url, settings.reference_dir)
    try:
        pack = build_pack(settings, store, period=args.period, lang=args.lang, snapshot_id=args.snapshot,
                          trigger="cli", use_cache=not args.rebuild)
    except PackError as exc:
        say(f"no pack: {exc}")
        return 2
    except PackRenderError as exc:
        say(f"the pack did not render completely, nothing was written: {exc}")
        return 1
    finally:
        store.dispose()
    out = Path(args.output or pack.file_name)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(pack.pdf)
    tmp.replace(out)
    print(f"wrote {out} ({pack.pages} pages, {pack.period}, {pack.lang}) from snapshot {pack.snapshot_id} "
          f"content {pack.content_hash[:16]}")
    return 0
