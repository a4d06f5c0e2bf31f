"""A local stand-in for the ClinicalTrials.gov API v2, for the client and sync tests: http.server in a thread on
127.0.0.1 at a random port, serving the recorded study records of tests/assets/data/ctgov_api and playing scripted
failures. No network.

    server.publish(record)                      # what GET /studies/{id} and /studies?filter.ids= now return
    server.script(Reply(503), Reply(429, headers={"Retry-After": "2"}))   # the next answers, whatever is asked
    server.requests                             # [(path, {query}), ...] as received
"""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDS = Path(__file__).parent / "data" / "ctgov_api"


def record(name: str) -> dict:
    """A recorded response by file name without .json: "NCT05552976", "NCT05552976.2024-03"."""
    return json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Reply:
    """One scripted answer. ``body`` None means the normal answer for the request. ``truncate_to`` sends only the
    first bytes of the body with a Content-Length saying the full size, then closes (a transfer cut off); ``delay``
    waits before answering; ``drop`` closes the connection without answering."""

    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    truncate_to: int | None = None
    delay: float = 0.0
    drop: bool = False


class CtgovServer:
    def __init__(self):
        self.studies: dict[str, dict] = {}
        self.scripted: list[Reply] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"api": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api/v2"

    def start(self) -> CtgovServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def publish(self, *records: dict) -> None:
        for study in records:
            self.studies[study["protocolSection"]["identificationModule"]["nctId"]] = study

    def script(self, *replies: Reply) -> None:
        with self.lock:
            self.scripted.extend(replies)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def next_reply(self) -> Reply | None:
        with self.lock:
            return self.scripted.pop(0) if self.scripted else None

    # --- the API ---------------------------------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict]:
        if path.startswith("/api/v2/studies/"):
            nct = path.rsplit("/", 1)[1]
            if nct in self.studies:
                return 200, self.studies[nct]
            return 404, {"message": f"Study {nct} not found"}
        if path == "/api/v2/studies":
            ids = [i for i in query.get("filter.ids", "").replace("|", ",").split(",") if i]
            found = [self.studies[i] for i in ids if i in self.studies]
            size = int(query.get("pageSize", 10))
            start = int(query.get("pageToken", "page-0").split("-")[1])
            page = {"studies": found[start : start + size]}
            if start + size < len(found):
                page["nextPageToken"] = f"page-{start + size}"
            return 200, page
        return 404, {"message": "no such endpoint"}


class _Handler(BaseHTTPRequestHandler):
    api: CtgovServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.api.requests.append((parts.path, query))
        reply = self.api.next_reply() or Reply(body=None)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if reply.body is None:
            status, payload = self.api.answer(parts.path, query)
            body = json.dumps(payload, indent=2).encode()
        else:
            status, body = 200, reply.body
        if reply.status != 200:
            status = reply.status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if reply.truncate_to is not None:
            self.wfile.write(body[: reply.truncate_to])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)
