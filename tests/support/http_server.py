"""Small real HTTP servers on 127.0.0.1 for tests: one way to start, answer and stop them."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing (a stand-in's requests may carry test messages)."""

    def log_message(self, format: str, *args: object) -> None:
        return

    def read_body(self) -> bytes:
        """The request body, as long as its Content-Length says."""
        return self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))

    def send_json(self, status: int, body: bytes) -> None:
        """Answer with ``body`` (already encoded JSON) and ``status``."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve_in_background(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """A threading server on a free port of 127.0.0.1, already serving in a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    """The server's base URL."""
    return f"http://127.0.0.1:{server.server_address[1]}"


def stop(server: ThreadingHTTPServer) -> None:
    """Stop serving and close the socket."""
    server.shutdown()
    server.server_close()
