"""The sandbox's HTTP server: platform emulations on loopback, for the demo, training and tests.

One :class:`SandboxServer` listens on ``127.0.0.1`` (an ephemeral port by default) and hosts
every platform under its own prefix: ``http://127.0.0.1:PORT/zendesk/api/v2/...``. A platform
emulation is a :class:`Platform` subclass: it declares its routes (method, path pattern, handler),
checks credentials, and adds its rate-limit headers; the server does the rest.

What every platform gets here:

* **faults on demand**: :meth:`SandboxServer.inject` queues a status (429, 500, 503...) with
  headers, a delay (to exceed a client's timeout) or a dropped connection, for requests matching a
  method and path pattern, a number of times; :meth:`SandboxServer.set_fault_rate` makes a share of
  all requests of a platform fail, for the demo's "bad weather" mode;
* **a request log** (:attr:`SandboxServer.requests`) so tests can assert that a reply was posted
  exactly once;
* **rate-limit headers** counting a per-minute budget the platform declares.

Handlers run on the server's threads; platforms keep their state behind a lock or in a
:class:`~omniinbox.sandbox.player.ScenarioPlayer`, which is thread-safe.
"""

from __future__ import annotations

import json
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Request:
    method: str
    path: str  # below the platform's prefix, e.g. "/api/v2/users/me.json"
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route's pattern

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise HttpError(400, {"error": "InvalidJSON", "description": "the request body is not JSON"}) from None

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}


@dataclass(slots=True)
class Response:
    status: int = 200
    body: Any = None  # JSON-able, or bytes/str sent as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


class HttpError(Exception):
    """Raised by a handler to answer with an error status and a platform-shaped body."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


Handler = Callable[[Request], Response]


class Platform:
    """Base of a platform emulation. Subclasses set ``name`` (the URL prefix) and register routes
    in ``__init__`` with :meth:`route`; they override :meth:`authorize` and may override
    :meth:`rate_headers` and :meth:`unauthorized`."""

    name = "platform"
    budget_per_minute = 600

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        self._window_start = time.time()
        self._used = 0

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def authorize(self, request: Request) -> bool:
        return True

    def unauthorized(self) -> Response:
        return Response(401, {"error": "Unauthorized"})

    def spend(self) -> tuple[int, float]:
        """Count a request against the per-minute budget; return (remaining, seconds to reset)."""
        with self._lock:
            now = time.time()
            if now - self._window_start >= 60:
                self._window_start, self._used = now, 0
            self._used += 1
            return max(self.budget_per_minute - self._used, 0), 60 - (now - self._window_start)

    def rate_headers(self, remaining: int, reset_in: float) -> dict[str, str]:
        return {
            "ratelimit-limit": str(self.budget_per_minute),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(max(int(reset_in), 1)),
        }


@dataclass(slots=True)
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0  # seconds before answering (beyond a client's timeout: a timeout)
    drop: bool = False  # close the connection without an answer
    times: int = 1


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    platform: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    status: int


class SandboxServer:
    """Hosts platform emulations on loopback. Use as a context manager, or start()/stop()."""

    def __init__(self, platforms: list[Platform], *, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox listens on loopback only")
        self.platforms = {p.name: p for p in platforms}
        self._faults: list[Fault] = []
        self._fault_rates: dict[str, float] = {}
        self._rng = random.Random(7)
        self._lock = threading.Lock()
        self.requests: list[LoggedRequest] = []
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, platform: str) -> str:
        """The base URL a connector for ``platform`` is given."""
        return f"http://127.0.0.1:{self.port}/{platform}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="sandbox-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ faults

    def inject(self, method: str, path_pattern: str, *, status: int = 503, headers: dict[str, str] | None = None,
               body: Any = None, delay: float = 0.0, drop: bool = False, times: int = 1) -> None:  # fmt: skip
        """The next ``times`` requests matching ``method`` and the full path pattern (prefix
        included, e.g. ``/zendesk/api/v2/users/me.json``) get this fault instead of an answer.
        ``status=0`` with a ``delay`` is a late answer: the platform does the work and answers
        after ``delay`` seconds (a client that gave up has still, say, posted its reply)."""
        fault = Fault(method.upper(), re.compile(path_pattern), status, headers or {}, body, delay, drop, times)
        with self._lock:
            self._faults.append(fault)

    def set_fault_rate(self, platform: str, rate: float) -> None:
        """A share (0..1) of the platform's requests answer 429, 503 or 500, or answer slowly, at random."""
        with self._lock:
            self._fault_rates[platform] = max(0.0, min(rate, 1.0))

    def _take_fault(self, method: str, path: str, platform: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method in (method, "*") and fault.pattern.search(path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
            rate = self._fault_rates.get(platform, 0.0)
            if rate and self._rng.random() < rate:
                status = self._rng.choice((429, 503, 500, 0))
                if status == 0:  # slow: the platform answers, late (a few seconds, within a client's timeout)
                    return Fault(method, re.compile(""), 0, delay=self._rng.uniform(1.0, 4.0))
                return Fault(method, re.compile(""), status, {"Retry-After": "1"} if status != 500 else {})
        return None

    def count(self, method: str, path_pattern: str) -> int:
        """How many logged requests match (for "sent exactly once" checks)."""
        pattern = re.compile(path_pattern)
        with self._lock:
            return sum(
                1 for r in self.requests if r.method == method.upper() and pattern.search(f"/{r.platform}{r.path}")
            )

    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    # ------------------------------------------------------------------ dispatch

    def dispatch(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[Response, Fault | None]:
        parts = urlsplit(raw_path)
        segments = parts.path.split("/", 2)
        name = segments[1] if len(segments) > 1 else ""
        platform = self.platforms.get(name)
        if platform is None:
            return Response(404, {"error": f"no platform '{name}' in this sandbox"}), None
        path = "/" + (segments[2] if len(segments) > 2 else "")
        request = Request(method, path, parse_qs(parts.query, keep_blank_values=True), headers, body)
        fault = self._take_fault(method, parts.path, name)
        if fault is not None and fault.status and not fault.drop:
            response = Response(fault.status, fault.body if fault.body is not None else {"error": "injected fault"},
                                dict(fault.headers))  # fmt: skip
            self._log(LoggedRequest(name, method, path, request.query, body, response.status))
            return response, fault
        if fault is not None and fault.drop:
            self._log(LoggedRequest(name, method, path, request.query, body, 0))
            return Response(0), fault
        response = self._answer(platform, request)
        remaining, reset_in = platform.spend()
        response.headers = {**platform.rate_headers(remaining, reset_in), **response.headers}
        self._log(LoggedRequest(name, method, path, request.query, body, response.status))
        return response, fault  # a pure delay (status 0) still applies

    def _answer(self, platform: Platform, request: Request) -> Response:
        if not platform.authorize(request):
            return platform.unauthorized()
        allowed = False
        for method, pattern, handler in platform.routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            allowed = True
            if method != request.method:
                continue
            request.params = {k: v for k, v in match.groupdict().items() if v is not None}
            try:
                return handler(request)
            except HttpError as exc:
                return Response(exc.status, exc.body, exc.headers)
            except Exception:  # an emulation bug must look like a server error, not hang the client
                log.exception("sandbox %s %s failed", request.method, request.path)
                return Response(500, {"error": "sandbox internal error"})
        if allowed:
            return Response(405, {"error": f"{request.method} not allowed here"})
        return Response(404, {"error": f"no such endpoint: {request.path}"})

    def iter_requests(self, platform: str) -> Iterator[LoggedRequest]:
        with self._lock:
            yield from [r for r in self.requests if r.platform == platform]


def _handler_for(server: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "OmniInboxSandbox/1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; without this, Nagle's algorithm and the
            # client's delayed ACK hold the body back ~40 ms on every kept-alive request.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("sandbox: " + format, *args)

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            response, fault = server.dispatch(self.command, self.path, headers, body)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            if fault is not None and fault.drop:
                self.close_connection = True
                return
            if isinstance(response.body, bytes | str):
                payload = response.body.encode() if isinstance(response.body, str) else response.body
            else:
                payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
            try:
                self.send_response(response.status, HTTPStatus(response.status).phrase if response.status in
                                   HTTPStatus._value2member_map_ else None)  # fmt: skip
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout)
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return _Handler
