"""One lifecycle for the suite's local HTTP servers (the GitHub, YouTube and AI stand-ins, the
App's capture host): a ``ThreadingHTTPServer`` on a free loopback port, served from a daemon
thread, optionally over TLS, started on entry and shut down and closed on exit."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LocalServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], *,
                 tls: ssl.SSLContext | None = None, poll_interval: float = 0.5,
                 **attributes: Any) -> None:
        """``attributes`` are set on the server object, where handlers read them
        (``self.server.<name>``)."""
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        for name, value in attributes.items():
            setattr(self.server, name, value)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port: int = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": poll_interval}, daemon=True)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
