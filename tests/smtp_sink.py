"""A tiny SMTP server for tests: accepts every message on 127.0.0.1 and keeps it in memory."""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from email.message import EmailMessage


class _Handler(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._say("220 sink ESMTP")
        sender, rcpts = "", []
        while line := self.rfile.readline():
            cmd = line.decode("ascii", "replace").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 sink")
            elif verb == "MAIL":
                sender, rcpts = cmd.split(":", 1)[1].strip(" <>"), []
                self._say("250 OK")
            elif verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip(" <>"))
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 end with .")
                self.server.sink.keep(sender, rcpts, self._data())
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 OK")

    def _data(self) -> bytes:
        chunks = []
        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
            chunks.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(chunks)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpSink:
    """``with SmtpSink() as sink:`` then point NAIO_SMTP_HOST/PORT at ``sink.host``/``sink.port``."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.sink = self
        self.host, self.port = self._server.server_address

    def keep(self, sender: str, rcpts: list[str], data: bytes) -> None:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        with self._lock:
            self.messages.append((sender, list(rcpts), msg))

    def __enter__(self) -> SmtpSink:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
