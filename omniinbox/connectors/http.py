"""The HTTP part every platform connector shares: one session per account, timeouts, retries,
per-host rate control, and errors sorted by who is at fault (see ``connectors.base``).

How a platform connector plugs in (``connectors/zendesk.py`` is the worked example):

1. In its ``__init__`` it builds one :class:`HttpClient` for the account: the base URL the user
   gave, an auth object (``requests.auth.HTTPBasicAuth``, :class:`BearerAuth`,
   :class:`QueryTokenAuth` for Graph-style ``access_token=``, or ``headers=`` for a token header),
   ``secrets=`` (every secret value, so it is masked wherever text leaves the client) and the
   ``rate=`` control it was given. Extra keyword arguments (``timeout``, ``sleep``, ``clock``,
   ``backoff``, ``retries``) are passed through so tests can make everything fast.
2. It reads with :meth:`HttpClient.get_json` (or :meth:`HttpClient.request` +
   :meth:`HttpClient.json_of` when it needs the headers, e.g. ``response.links`` for Link paging)
   and writes with :meth:`HttpClient.send_json`. It never sees a ``requests`` error: everything is
   one of the errors of ``connectors.base``.
3. It turns bodies into ``Page`` records in plain functions that take the parsed JSON, so the
   same functions read saved answers for ``omniinbox import`` (``parse_saved``), and reports a
   malformed entry as a ``SyncProblem`` instead of raising.
4. It registers a builder and its saved-answer parser in ``connectors/registry.py``, and an
   emulation in ``omniinbox/sandbox/`` (see ``sandbox/server.py``) for its tests and the demo.

What the client does for every platform:

* **Retries.** urllib3's ``Retry`` (mounted on the session) retries connection failures for every
  method (the request never reached the server), and read failures and 500/502/504 for reads
  (GET, HEAD, OPTIONS) only, with capped exponential backoff and jitter. A write (POST, and also
  PUT/PATCH/DELETE: Zendesk adds a reply with a PUT) that may have reached the server is never
  repeated: a reply must not go out twice. A write answered 429 or 503 *with* ``Retry-After`` was
  refused, not performed, and is repeated after that wait.
* **Rate control.** :class:`RateControl` remembers, per host and for the whole process
  (:meth:`RateControl.shared`), until when a host asked us to wait: from ``Retry-After`` (seconds
  or an HTTP date) on 429 and 503, and from the platform's own headers when they say nothing is
  left (:func:`parse_rate_headers` reads the IETF ``RateLimit-*`` headers, X's ``x-rate-limit-*``
  with an epoch reset, Mastodon's ``X-RateLimit-Reset`` ISO time, Zendesk's
  ``zendesk-ratelimit-*``, Freshdesk's ``X-Ratelimit-Remaining`` and Graph's usage percentages;
  the most restrictive one counts). A wait up to ``max_wait`` seconds is slept; a longer one raises
  ``RateLimited(retry_after=...)`` so the sync engine reschedules the account instead of blocking.
* **Errors.** 401 -> ``AuthenticationError``; 403 -> ``PermissionDenied``; 429 -> ``RateLimited``;
  5xx, timeouts, resets -> ``TransientError``; other 4xx -> ``PermanentError`` with the platform's
  own message; TLS certificate failures -> ``PermanentError`` (retrying will not fix them); a body that
  is not the JSON expected -> ``ConnectorBug``. Messages name the method, host and path, never the
  query string or a secret (secrets given to the client are masked everywhere by ``REDACTOR``).
* **TLS** verification cannot be turned off (a private CA bundle may be given); plain ``http://`` is
  accepted for loopback hosts only (the sandbox).
"""

from __future__ import annotations

import contextlib
import email.utils
import ipaddress
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from omniinbox import __version__
from omniinbox.connectors.base import (
    AuthenticationError,
    ConnectorBug,
    ConnectorError,
    PermanentError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from omniinbox.secrets import REDACTOR

log = logging.getLogger(__name__)

USER_AGENT = f"OmniInbox/{__version__} (+desktop inbox)"
DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read
# Methods repeated after a timeout or a 5xx. Only reads: a PUT or DELETE may be idempotent by the
# book, but Zendesk adds a comment with a PUT, and a reply must never be posted twice.
_REPEATABLE = frozenset({"GET", "HEAD", "OPTIONS"})


class InsecureConfiguration(ValueError):
    """A client configuration that would weaken transport security; refused."""


# ---------------------------------------------------------------------------------- headers


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


def _first(headers: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is not None and value != "":
            return value
    return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.split(",")[0].strip())
    except ValueError:
        return None


def _reset_at(value: str | None, now: float) -> float | None:
    """A reset given as delta seconds, epoch seconds, or an ISO time, as an epoch time."""
    if value is None:
        return None
    number = _number(value)
    if number is not None:
        return number if number > 1_000_000_000 else now + number  # epoch seconds, or seconds from now
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RateInfo:
    remaining: float | None  # calls (or percent of budget) left; None: the headers do not say
    reset_at: float | None  # epoch seconds when the budget refills


RateParser = Callable[[Mapping[str, str], float], RateInfo | None]


def _zendesk_budgets(headers: Mapping[str, str], now: float) -> RateInfo | None:
    """Zendesk on some endpoints: ``zendesk-ratelimit-tickets-index: total=100; remaining=99; resets=50``
    (several such headers may come at once: the tightest counts). A per-ticket budget
    (``zendesk-ratelimit-per-ticket-updates``) concerns one ticket, not the host: it is left out."""
    found: list[RateInfo] = []
    for name, value in headers.items():
        lower = name.lower()
        if lower.startswith("zendesk-ratelimit") and "per-ticket" not in lower:
            parts = dict(p.strip().split("=", 1) for p in value.split(";") if "=" in p)
            remaining = _number(parts.get("remaining"))
            resets = _number(parts.get("resets"))
            if remaining is not None:
                found.append(RateInfo(remaining, None if resets is None else now + resets))
    return _tightest(found)


def _graph_budget(headers: Mapping[str, str], now: float) -> RateInfo | None:
    """Graph: JSON usage percentages; 100 means throttled. The business header may say how long."""
    usage = _first(headers, "x-business-use-case-usage", "x-app-usage", "x-ad-account-usage")
    return None if usage is None else _graph_usage(usage, now)


def _counter_budget(headers: Mapping[str, str], now: float) -> RateInfo | None:
    """IETF draft / Zendesk ``ratelimit-*`` (reset in seconds), X ``x-rate-limit-*`` (reset in
    epoch seconds), Mastodon ``X-RateLimit-*`` (reset an ISO time), Freshdesk
    ``X-Ratelimit-Remaining`` (no reset: the 429 that follows says how long)."""
    remaining = _number(_first(headers, "ratelimit-remaining", "x-rate-limit-remaining", "x-ratelimit-remaining"))
    reset = _first(headers, "ratelimit-reset", "x-rate-limit-reset", "x-ratelimit-reset")
    if remaining is None and reset is None:
        return None
    return RateInfo(remaining, _reset_at(reset, now))


RATE_PARSERS: list[RateParser] = [_zendesk_budgets, _graph_budget, _counter_budget]
"""The rate-header parsers every response goes through. A platform with headers of its own
appends a function ``(headers, now) -> RateInfo | None`` here when its module is imported."""


def _tightest(infos: Sequence[RateInfo]) -> RateInfo | None:
    known = [i for i in infos if i.remaining is not None]
    if not known:
        return infos[0] if infos else None
    return min(known, key=lambda i: (i.remaining, -(i.reset_at or 0.0)))


def parse_rate_headers(headers: Mapping[str, str], now: float) -> RateInfo:
    """What a response's rate headers say, whichever platform's style they use; when several
    budgets are reported at once, the one with the least left.

    ``requests`` headers are case-insensitive; plain dicts should use lower-case names."""
    infos = [info for parser in RATE_PARSERS if (info := parser(headers, now)) is not None]
    return _tightest(infos) or RateInfo(None, None)


def _graph_usage(value: str, now: float) -> RateInfo:
    try:
        data = json.loads(value)
    except ValueError:
        return RateInfo(None, None)
    entries: list[Mapping[str, Any]] = []
    if isinstance(data, Mapping) and any(k in data for k in ("call_count", "total_time", "total_cputime")):
        entries = [data]
    elif isinstance(data, Mapping):  # business use case: {"<id>": [{...}, ...]}
        entries = [e for v in data.values() if isinstance(v, list) for e in v if isinstance(e, Mapping)]
    worst = 0.0
    regain = 0.0
    for entry in entries:
        for key in ("call_count", "total_time", "total_cputime"):
            try:
                worst = max(worst, float(entry.get(key, 0) or 0))
            except (TypeError, ValueError):
                continue
        with contextlib.suppress(TypeError, ValueError):
            regain = max(regain, float(entry.get("estimated_time_to_regain_access", 0) or 0))
    remaining = max(100.0 - worst, 0.0)
    reset = now + (regain * 60 if regain else 60.0) if remaining <= 0 else None
    return RateInfo(remaining, reset)


# ---------------------------------------------------------------------------------- rate control


class RateControl:
    """Until when each host asked us to wait. One per process (or per test), shared by every
    client so that two accounts on one platform spend one budget."""

    _shared: RateControl | None = None
    _shared_lock = threading.Lock()

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._blocked_until: dict[str, float] = {}

    @classmethod
    def shared(cls) -> RateControl:
        """The process's rate control (real time): what clients use unless given another."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def wait_for(self, host: str) -> float:
        """Seconds to wait before the next request to ``host``."""
        with self._lock:
            return max(self._blocked_until.get(host, 0.0) - self._clock(), 0.0)

    def block(self, host: str, seconds: float) -> None:
        with self._lock:
            until = self._clock() + max(seconds, 0.0)
            self._blocked_until[host] = max(self._blocked_until.get(host, 0.0), until)

    def observe(self, host: str, headers: Mapping[str, str]) -> RateInfo:
        """Learn from a response's headers; block the host when its budget is spent."""
        now = self._clock()
        info = parse_rate_headers(headers, now)
        if info.remaining is not None and info.remaining <= 0 and info.reset_at is not None:
            self.block(host, info.reset_at - now)
        return info


# ---------------------------------------------------------------------------------- auth


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer TOKEN`` (OAuth access tokens, X, Mastodon)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class QueryTokenAuth(requests.auth.AuthBase):
    """The token as a query parameter (Graph's ``access_token=``). Error texts never show a query
    string, and the client registers the token (and its URL-encoded forms) with the redactor."""

    def __init__(self, token: str, param: str = "access_token") -> None:
        self.token = token
        self.param = param

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != self.param]
        query.append((self.param, self.token))
        request.url = urlunsplit(parts._replace(query=urlencode(query)))
        return request


# ---------------------------------------------------------------------------------- client


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _platform_message(response: requests.Response) -> str:
    """The platform's own words about an error, shortened; never the request."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().replace("\n", " ")
        return text[:200]
    candidates: list[Any] = []
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):  # Graph, Zendesk: {"error": {"message": ...}} / {"error": "x", "description"}
            candidates += [error.get("message"), error.get("title")]
        candidates += [body.get("description"), body.get("message"), body.get("detail"), body.get("error_description")]
        candidates += [body.get("error"), body.get("title")]
        errors = body.get("errors")
        if isinstance(errors, list) and errors:  # X, Freshdesk: a list of problems
            first = errors[0]
            if isinstance(first, Mapping):
                candidates += [first.get("message"), first.get("detail"), first.get("field")]
            else:
                candidates.append(first)
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()[:200]
    return json.dumps(body)[:200]


class HttpClient:
    """One account's HTTP access to one platform. ``auth`` is a ``requests`` auth object (or
    ``None``); ``secrets`` are the values to mask wherever text leaves this client."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: requests.auth.AuthBase | None = None,
        secrets: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 3,
        rate: RateControl | None = None,
        max_wait: float = 60.0,
        verify: bool | str = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        backoff: float = 0.5,
    ) -> None:
        if verify is False:
            raise InsecureConfiguration("TLS certificate verification cannot be turned off; give a CA bundle instead")
        parts = urlsplit(base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise PermanentError(f"not a usable address: {base_url!r} (expected https://host/...)")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise InsecureConfiguration(f"refusing plain http to {parts.hostname}: use https")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.host = parts.hostname
        # Rate budgets are per host and port (two sandboxes on one machine are two platforms).
        self.rate_key = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        for secret in secrets:
            if secret:  # as given, and as it reads inside a URL (urllib3 logs request lines)
                for form in {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}:
                    REDACTOR.add(form)
        self.timeout = timeout
        if rate is None:  # the process's shared control; a test clock gets a private one
            rate = RateControl.shared() if clock is time.time else RateControl(clock)
        self.rate = rate
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._rng = random.Random()
        self.session = requests.Session()
        self.session.verify = verify
        self.session.auth = auth
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        if headers:
            self.session.headers.update(headers)
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            allowed_methods=_REPEATABLE,
            status_forcelist=(500, 502, 504),  # 429 and 503 are ours: they may ask for long waits
            backoff_factor=backoff,
            backoff_max=20.0,
            backoff_jitter=backoff,
            respect_retry_after_header=False,
            raise_on_status=False,
            raise_on_redirect=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=8)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    # ------------------------------------------------------------------ naming

    def url(self, path: str) -> str:
        """``path`` under the base URL; an absolute URL (a platform's next-page link) is accepted
        only on the same host, so credentials never go elsewhere."""
        url = urljoin(self.base_url, path.lstrip("/")) if "://" not in path else path
        parts, base = urlsplit(url), urlsplit(self.base_url)
        if (parts.scheme, parts.hostname, parts.port) != (base.scheme, base.hostname, base.port):
            raise ConnectorBug(f"the platform pointed us at another host ({parts.hostname}); not following it")
        return url

    def _where(self, method: str, url: str) -> str:
        parts = urlsplit(url)
        return REDACTOR(f"{method} {parts.hostname}{parts.path}")

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        attempts: int = 3,
        ok: Sequence[int] = (),
    ) -> requests.Response:
        """Send a request and return a successful response (2xx, or a status in ``ok``); raise a
        :class:`ConnectorError` otherwise. 429 and 503 are retried after the wait they ask for
        when it is short, up to ``attempts`` times (a write only when the answer has ``Retry-After``)."""
        method = method.upper()
        url = self.url(path)
        where = self._where(method, url)
        for attempt in range(1, attempts + 1):
            wait = self.rate.wait_for(self.rate_key)
            if wait > self.max_wait:
                raise RateLimited(f"{where}: the platform asks to wait {wait:.0f} s", retry_after=wait)
            if wait > 0:
                self._sleep(wait)
            try:
                response = self.session.request(
                    method, url, params=params, json=json_body, data=data, headers=headers, timeout=self.timeout
                )
            except requests.exceptions.SSLError as exc:
                raise PermanentError(f"{where}: the TLS certificate check failed ({_short(exc)})") from None
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
                if method not in _REPEATABLE and not _before_sending(exc):
                    # The request may have arrived: repeating it could post a reply twice.
                    raise PermanentError(
                        f"{where}: {_network_reason(exc)} after the request was sent; it may or may not"
                        " have arrived, so it is not repeated automatically: check on the platform, then retry"
                    ) from None
                raise TransientError(f"{where}: {_network_reason(exc)}") from None
            except requests.exceptions.RequestException as exc:
                raise ConnectorBug(f"{where}: {type(exc).__name__}: {_short(exc)}") from None
            self.rate.observe(self.rate_key, response.headers)
            status = response.status_code
            if 200 <= status < 300 or status in ok:
                return response
            said = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            if status == 429 or (status == 503 and (method in _REPEATABLE or said is not None)):
                # A write is repeated only after a refusal: a 429, or a 503 saying "not now, in N
                # seconds". A bare 503 may come from a proxy after the write was done (see _error).
                retry_after = said
                if retry_after is None:
                    retry_after = max(self.rate.wait_for(self.rate_key), 0.0) or (30.0 if status == 429 else 5.0)
                self.rate.block(self.rate_key, retry_after)
                repeat = method in _REPEATABLE or said is not None
                if repeat and attempt < attempts and retry_after <= self.max_wait:
                    log.info("%s: %s, waiting %.1f s", where, status, retry_after)
                    continue  # the wait happens at the top of the loop
                message = f"{where}: {'rate limited' if status == 429 else 'service unavailable'} ({status})"
                if status == 429:
                    raise RateLimited(message, retry_after=retry_after)
                raise TransientError(message, retry_after=retry_after)
            raise self._error(status, where, response, repeatable=method in _REPEATABLE)
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, status: int, where: str, response: requests.Response, *, repeatable: bool) -> ConnectorError:
        said = REDACTOR(_platform_message(response))
        text = f"{where}: {status} {said}".rstrip()
        if status == 401:
            return AuthenticationError(text)
        if status == 403:
            return PermissionDenied(text)
        if status >= 500 and not repeatable:
            # A gateway error on a write says nothing about whether the platform did it.
            return PermanentError(
                f"{text}; the platform may or may not have done it, so it is not repeated automatically:"
                " check on the platform, then retry"
            )
        if status >= 500:
            return TransientError(text)
        return PermanentError(text)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.json_of(self.request("GET", path, params=params))

    def send_json(self, method: str, path: str, body: Any, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.json_of(self.request(method, path, json_body=body, params=params, attempts=2))

    def json_of(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            where = self._where(response.request.method or "GET", response.url)
            start = response.text[:60].replace("\n", " ")
            raise ConnectorBug(f"{where}: the answer is not JSON ({start!r}...)") from None

    def close(self) -> None:
        self.session.close()


def _short(exc: BaseException) -> str:
    return REDACTOR(str(exc).split("\n")[0])[:200]


def _before_sending(exc: BaseException) -> bool:
    """Whether a network error happened before any byte of the request left (safe to repeat)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    text = str(exc)
    return any(s in text for s in ("NewConnectionError", "Connection refused", "Name or service not known",
                                    "getaddrinfo", "Failed to establish"))  # fmt: skip


def _network_reason(exc: BaseException) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "could not connect in time"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "no answer in time"
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "the host name could not be resolved"
    if "Max retries exceeded" in text:
        return "the connection failed repeatedly"
    return f"network error ({type(exc).__name__})"
