"""``python -m benchmarks.timed_server serve --no-demo ...``: the product's own serve command,
with each response's server time added as a ``Server-Timing: app;dur=<ms>`` header.

The time runs from the moment a worker thread starts the request until its response body is
complete, so it excludes waiting in the server's queue for a free thread but includes
waiting for the interpreter lock. The wrapper buffers each response (Dash responses are not
streamed) and changes nothing else.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any


class ServerTiming:
    """WSGI middleware adding the server time of each response."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        captured: dict[str, Any] = {}

        def start(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured.update(status=status, headers=list(headers), exc_info=exc_info)
            return lambda _data: None

        result = self.app(environ, start)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        ms = 1000 * (time.perf_counter() - started)
        start_response(captured["status"], captured["headers"] + [("Server-Timing", f"app;dur={ms:.3f}")],
                       captured["exc_info"])
        return [body]


def main(argv: list[str]) -> int:
    import app as product
    from dashboard import server

    original = server.create_app

    def create_app(settings: Any, store: Any) -> Any:
        dash_app = original(settings, store)
        dash_app.server.wsgi_app = ServerTiming(dash_app.server.wsgi_app)
        return dash_app

    server.create_app = create_app
    return product.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
