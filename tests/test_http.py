"""The connector HTTP framework over real HTTP on loopback: rate headers, retries, error mapping,
no repeated POSTs, no weakened TLS, no secrets in any text."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import quote, quote_plus

import pytest

from omniinbox.connectors import http
from omniinbox.connectors.base import (
    AuthenticationError,
    ConnectorBug,
    PermanentError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from omniinbox.connectors.http import (
    BearerAuth,
    HttpClient,
    InsecureConfiguration,
    QueryTokenAuth,
    RateControl,
    RateInfo,
    parse_rate_headers,
    parse_retry_after,
)
from omniinbox.sandbox.server import Platform, Request, Response, SandboxServer
from omniinbox.secrets import RedactingFilter

NOW = 1_800_000_000.0
SECRET = "tok-5f4e3d2c1b0a99887766"


class Echo(Platform):
    """Answers /status/NNN... with that status and a platform-style error body; /ok with JSON
    (remembering the query and headers it came with); /text with something that is not JSON;
    counts the posts and puts it performed."""

    name = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.posts = 0
        self.puts = 0
        self.seen_query: dict[str, list[str]] = {}
        self.seen_headers: dict[str, str] = {}
        self.route("GET", r"/ok", self.ok)
        self.route("GET", r"/text", lambda r: Response(body="<html>maintenance</html>", content_type="text/html"))
        self.route("GET", r"/status/(?P<code>\d+).*", self.status)
        self.route("POST", r"/post", self.post)
        self.route("PUT", r"/put", self.put)

    def ok(self, request: Request) -> Response:
        self.seen_query, self.seen_headers = request.query, request.headers
        return Response(body={"ok": True})

    def put(self, request: Request) -> Response:
        self.puts += 1
        return Response(body={"id": self.puts})

    def status(self, request: Request) -> Response:
        return Response(int(request.params["code"]), {"errors": [{"message": "Rate limit exceeded or nope"}]})

    def post(self, request: Request) -> Response:
        self.posts += 1
        return Response(body={"id": self.posts})


@pytest.fixture
def echo() -> Iterator[tuple[SandboxServer, Echo]]:
    platform = Echo()
    with SandboxServer([platform]) as server:
        yield server, platform


def _client(server: SandboxServer, **kw: object) -> tuple[HttpClient, list[float]]:
    waits: list[float] = []
    client = HttpClient(server.url("echo"), secrets=[SECRET], timeout=(2.0, 0.5), sleep=waits.append, backoff=0.0,
                        **kw)  # type: ignore[arg-type]  # fmt: skip
    return client, waits


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    assert parse_retry_after("120", NOW) == 120
    when = datetime.fromtimestamp(NOW + 90, UTC)
    assert parse_retry_after(format_datetime(when, usegmt=True), NOW) == pytest.approx(90)
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    ("headers", "remaining", "reset_in"),
    [
        ({"ratelimit-remaining": "0", "ratelimit-reset": "12"}, 0, 12),  # IETF / Zendesk: seconds from now
        ({"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW + 900))}, 0, 900),  # X: epoch
        ({"x-ratelimit-remaining": "3", "x-ratelimit-reset": "2027-01-15T08:00:30.000Z"}, 3, None),  # Mastodon
        ({"zendesk-ratelimit-tickets-index": "total=100; remaining=0; resets=50"}, 0, 50),
        ({"x-app-usage": '{"call_count":100,"total_time":20,"total_cputime":5}'}, 0, 60),  # Graph
        ({"x-business-use-case-usage": '{"1":[{"call_count":100,"estimated_time_to_regain_access":3}]}'}, 0, 180),
        ({"x-ratelimit-remaining": "49"}, 49, None),  # Freshdesk: no reset given
    ],
)
def test_each_platforms_rate_headers(headers: dict[str, str], remaining: float, reset_in: float | None) -> None:
    info = parse_rate_headers(headers, NOW)
    assert info.remaining == remaining
    if reset_in is None:
        assert info.reset_at is None or info.reset_at > NOW
    else:
        assert info.reset_at == pytest.approx(NOW + reset_in)


def test_a_spent_budget_makes_the_next_call_wait_or_reschedule() -> None:
    clock = [NOW]
    control = RateControl(clock=lambda: clock[0])
    control.observe("api.x.com", {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW + 900))})
    assert control.wait_for("api.x.com") == pytest.approx(900) and control.wait_for("other") == 0
    clock[0] += 901
    assert control.wait_for("api.x.com") == 0


def test_short_waits_are_slept_long_ones_are_handed_to_the_engine(echo: tuple[SandboxServer, Echo]) -> None:
    server, _ = echo
    client, waits = _client(server, max_wait=10)
    server.inject("GET", r"/echo/ok", status=429, headers={"Retry-After": "3"})
    assert client.get_json("ok") == {"ok": True} and waits == [pytest.approx(3, abs=0.2)]
    server.inject("GET", r"/echo/ok", status=429, headers={"Retry-After": "600"})
    with pytest.raises(RateLimited) as caught:
        client.get_json("ok")
    assert caught.value.retry_after == pytest.approx(600, abs=1)
    with pytest.raises(RateLimited):  # the host stays blocked for the other accounts too
        client.get_json("ok")


def test_statuses_map_to_who_is_at_fault(echo: tuple[SandboxServer, Echo]) -> None:
    server, _ = echo
    client, _ = _client(server, retries=1)
    for code, error in ((401, AuthenticationError), (403, PermissionDenied), (404, PermanentError),
                        (422, PermanentError), (500, TransientError), (503, TransientError)):  # fmt: skip
        with pytest.raises(error) as caught:
            client.get_json(f"status/{code}")
        assert f"GET 127.0.0.1/echo/status/{code}: {code}" in str(caught.value) or code == 503
    with pytest.raises(PermanentError, match="Rate limit exceeded or nope"):
        client.get_json("status/400")  # the platform's own words
    with pytest.raises(ConnectorBug, match="not JSON"):
        client.get_json("text")


def test_idempotent_reads_are_retried_after_timeouts_and_5xx(echo: tuple[SandboxServer, Echo]) -> None:
    server, _ = echo
    client, _ = _client(server)
    server.inject("GET", r"/echo/ok", status=502)
    server.inject("GET", r"/echo/ok", status=200, delay=1.0)
    assert client.get_json("ok") == {"ok": True}
    assert [r.status for r in server.requests] == [502, 200, 200]


def test_a_post_that_may_have_arrived_is_never_repeated(echo: tuple[SandboxServer, Echo]) -> None:
    server, _platform = echo
    client, _ = _client(server)
    server.inject("POST", r"/echo/post", status=200, delay=1.0)  # the answer comes too late
    with pytest.raises(PermanentError, match="may or may not have arrived"):
        client.send_json("POST", "post", {"text": "balasan"})
    assert server.count("POST", r"/echo/post") == 1
    assert client.send_json("POST", "post", {"text": "balasan"}) == {"id": 1}


def test_a_refused_connection_is_weather(echo: tuple[SandboxServer, Echo]) -> None:
    server, _ = echo
    port = server.port
    server.stop()
    client = HttpClient(f"http://127.0.0.1:{port}/echo", retries=1, backoff=0.0, timeout=(0.5, 0.5))
    with pytest.raises(TransientError, match=r"connection refused|failed repeatedly"):
        client.get_json("ok")
    server.start = lambda: server  # type: ignore[method-assign]  # the fixture stops it again


def test_tls_verification_cannot_be_disabled_and_plain_http_only_on_loopback() -> None:
    with pytest.raises(InsecureConfiguration):
        HttpClient("https://api.example.org/", verify=False)
    with pytest.raises(InsecureConfiguration, match=r"refusing plain http to api\.example\.org"):
        HttpClient("http://api.example.org/")
    HttpClient("https://api.example.org/", verify="/etc/ssl/certs/ca-certificates.crt").close()


def test_links_to_other_hosts_are_not_followed(echo: tuple[SandboxServer, Echo]) -> None:
    server, _ = echo
    client, _ = _client(server)
    with pytest.raises(ConnectorBug, match="another host"):
        client.get_json("https://collector.example.net/steal")


def test_secrets_never_reach_error_text_or_logs(
    echo: tuple[SandboxServer, Echo], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = echo
    client, _ = _client(server, retries=0)
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())  # as the application's handlers are set up
    with pytest.raises(PermanentError) as caught:
        client.get_json(f"status/404?access_token={SECRET}")
    with pytest.raises(PermanentError) as in_path:
        client.get_json(f"status/404/{SECRET}")
    for text in (str(caught.value), str(in_path.value), caplog.text):
        assert SECRET not in text


def test_the_tightest_budget_counts_and_per_ticket_budgets_do_not_block_the_host() -> None:
    both = {"ratelimit-remaining": "0", "ratelimit-reset": "12", "zendesk-ratelimit-tickets-index": "total=100; "
            "remaining=99; resets=50"}  # fmt: skip
    assert parse_rate_headers(both, NOW) == RateInfo(0, NOW + 12)
    per_ticket = {"zendesk-ratelimit-per-ticket-updates": "total=30; remaining=0; resets=468"}
    assert parse_rate_headers(per_ticket, NOW) == RateInfo(None, None)
    assert parse_rate_headers({}, NOW) == RateInfo(None, None)


def test_a_platform_can_plug_in_its_own_rate_header(monkeypatch: pytest.MonkeyPatch) -> None:
    def quota(headers: Mapping[str, str], now: float) -> RateInfo | None:
        left = headers.get("x-quota-left")
        return None if left is None else RateInfo(float(left), now + 30)

    monkeypatch.setattr(http, "RATE_PARSERS", [*http.RATE_PARSERS, quota])
    assert parse_rate_headers({"x-quota-left": "0", "ratelimit-remaining": "5"}, NOW) == RateInfo(0, NOW + 30)


def test_writes_are_repeated_only_when_the_platform_said_not_now(echo: tuple[SandboxServer, Echo]) -> None:
    server, platform = echo
    now = [NOW]
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # a test clock: waiting takes no time
        waits.append(seconds)
        now[0] += seconds

    client = HttpClient(server.url("echo"), timeout=(2.0, 0.5), backoff=0.0, clock=lambda: now[0], sleep=sleep)
    server.inject("POST", r"/echo/post", status=503, headers={"Retry-After": "2"})
    assert client.send_json("POST", "post", {}) == {"id": 1} and waits == [2]
    server.inject("POST", r"/echo/post", status=429)  # refused, with no word on how long
    with pytest.raises(RateLimited) as limited:
        client.send_json("POST", "post", {})
    assert limited.value.retry_after == 30 and client.rate.wait_for(client.rate_key) == 30
    now[0] += 30
    for status in (500, 502, 503, 504):  # a gateway may have passed it on: never repeated
        server.inject("POST", r"/echo/post", status=status)
        with pytest.raises(PermanentError, match="may or may not have done it"):
            client.send_json("POST", "post", {})
    assert server.count("POST", r"/echo/post") == 7 and platform.posts == 1


def test_a_put_that_may_have_arrived_is_never_repeated(echo: tuple[SandboxServer, Echo]) -> None:
    server, platform = echo
    client, _ = _client(server)
    server.inject("PUT", r"/echo/put", status=0, delay=1.0)  # done, but answered too late
    with pytest.raises(PermanentError, match="may or may not have arrived"):
        client.send_json("PUT", "put", {"comment": "balasan"})
    assert server.count("PUT", r"/echo/put") == 1 and platform.puts == 1


def test_one_budget_per_host_for_the_whole_process(echo: tuple[SandboxServer, Echo]) -> None:
    server, _ = echo
    first, _ = _client(server)
    second, _ = _client(server)
    assert first.rate is second.rate is RateControl.shared()
    private = HttpClient(server.url("echo"), clock=lambda: NOW)
    assert private.rate is not RateControl.shared()
    with SandboxServer([Echo()]) as other:  # another port on the same machine: another budget
        third, _ = _client(other)
        server.inject("GET", r"/echo/ok", status=429, headers={"Retry-After": "600"})
        with pytest.raises(RateLimited):
            first.get_json("ok")
        with pytest.raises(RateLimited):
            second.get_json("ok")  # without a request: it knows from the first
        assert third.get_json("ok") == {"ok": True}


def test_tokens_in_query_or_path_never_reach_errors_or_logs(
    echo: tuple[SandboxServer, Echo], caplog: pytest.LogCaptureFixture
) -> None:
    server, platform = echo
    token = "123456789:AAH-telegram/style+token"  # characters a URL encodes
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    client = HttpClient(server.url("echo"), auth=QueryTokenAuth(token), secrets=[token], retries=0,
                        timeout=(2.0, 0.5), sleep=lambda _s: None)  # fmt: skip
    assert client.get_json("ok") == {"ok": True}
    assert platform.seen_query["access_token"] == [token]  # the platform got it
    errors = []
    for path in ("status/404", f"status/404/bot{token}/getUpdates"):
        with pytest.raises(PermanentError) as caught:
            client.get_json(path)
        errors.append(str(caught.value))
    server.inject("GET", r"/echo/ok", drop=True, times=2)
    with pytest.raises(TransientError) as dropped:
        client.get_json("ok")
    errors.append(str(dropped.value))
    for text in (*errors, caplog.text):
        assert token not in text and quote(token, safe="") not in text and quote_plus(token) not in text


def test_bearer_tokens_go_in_the_authorization_header(echo: tuple[SandboxServer, Echo]) -> None:
    server, platform = echo
    client = HttpClient(server.url("echo"), auth=BearerAuth("tok-bearer-1"))
    client.get_json("ok")
    assert platform.seen_headers["authorization"] == "Bearer tok-bearer-1"
