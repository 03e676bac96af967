"""Where Herald's outbound HTTP calls may go (Slack fallbacks, delivery webhooks), and the one
way they are posted.

A URL is a tenant's input, so it must not reach Herald's own network: https, every address
the host resolves to public (checked when sending, since DNS can change after the URL was
saved, and pinned for the connection itself). Hosts and networks the operator lists in
``HERALD_OUTBOUND_ALLOW`` are exempt: private addresses and plain http are allowed for them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from backend.channels.base import PermanentError, TransientError
from backend.core.config import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedWebhook(ValueError):
    """The URL or the address it resolves to is not allowed; the message says which rule."""


@dataclass(frozen=True)
class Target:
    url: str  # the URL with the host replaced by the checked address
    host: str  # for the Host header and TLS server name
    address: str


@dataclass(frozen=True)
class Exempt:
    """``HERALD_OUTBOUND_ALLOW``: host names and networks."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: list[str]) -> Exempt:
        names, networks = set(), []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if "/" in entry:
                    raise ValueError(f"HERALD_OUTBOUND_ALLOW: {entry!r} is not a network") from None
                names.add(entry.lower())
        return cls(frozenset(names), tuple(networks))

    def covers(self, host: str, address: str | None = None) -> bool:
        if host in self.names:
            return True
        if address is None:
            return False
        ip = ipaddress.ip_address(address)
        return any(ip in net for net in self.networks)


@dataclass(frozen=True)
class WebhookPolicy:
    allowed_hosts: tuple[str, ...] | None  # None: any host (still public)
    allow_private: bool
    allow_http: bool
    timeout_seconds: float
    exempt: Exempt = field(default_factory=Exempt)
    setting: str = "HERALD_WEBHOOK_ALLOWED_HOSTS"  # named when a host is refused

    @classmethod
    def of(cls, settings: Settings) -> WebhookPolicy:
        """Slack fallbacks: to the hosts Slack uses unless widened."""
        return cls(tuple(h.lower() for h in settings.webhook_allowed_hosts),
                   settings.webhook_allow_private, settings.webhook_allow_http,
                   settings.webhook_timeout_seconds, Exempt.parse(settings.outbound_allow))

    @classmethod
    def for_events(cls, settings: Settings) -> WebhookPolicy:
        """Delivery webhooks to the product's backend: any public https host."""
        return cls(None, False, False, settings.webhook_timeout_seconds,
                   Exempt.parse(settings.outbound_allow))

    def _http_allowed(self, host: str, addresses: list[str]) -> bool:
        return self.allow_http or self.exempt.covers(host) or bool(addresses) and all(
            self.exempt.covers(host, a) for a in addresses)

    def check_url(self, url: str, addresses: list[str] | None = None) -> None:
        """The rules a URL can be judged by without DNS (at save time and at send time)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        literal = [host] if _is_address(host) else []
        if parts.scheme not in ("https", "http") or (
                parts.scheme == "http" and not self._http_allowed(host, addresses or literal)):
            raise RefusedWebhook("webhook URLs must use https (http only for hosts in "
                                 "HERALD_OUTBOUND_ALLOW)")
        if parts.username or parts.password:
            raise RefusedWebhook("webhook URLs may not carry a user or password")
        if not host:
            raise RefusedWebhook("webhook URL has no host")
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            raise RefusedWebhook(f"webhook host {host!r} is not allowed (allowed: "
                                 f"{', '.join(self.allowed_hosts)}; {self.setting})")
        if (self.allowed_hosts is not None and parts.scheme == "https"
                and parts.port not in (None, 443)):
            raise RefusedWebhook(f"webhook URLs to {host} use port 443")
        if _local_name(host) and not self.allow_private and not self.exempt.covers(host):
            raise RefusedWebhook(NOT_PUBLIC)
        for address in literal or _legacy_ipv4(host):
            self._check_address(host, address)

    def _check_address(self, host: str, address: str) -> None:
        if (not self.allow_private and not is_public(address)
                and not self.exempt.covers(host, address)):
            # Never the address itself: it would tell a tenant what an internal name is.
            raise RefusedWebhook(NOT_PUBLIC)

    def resolve(self, url: str) -> Target:
        """Check the URL, resolve its host and check every address; the target to connect to."""
        self.check_url(url)
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise OSError(f"cannot resolve {host}: {exc}") from exc
        addresses = [str(info[4][0]) for info in infos]
        self.check_url(url, addresses)
        for address in addresses:
            self._check_address(host.lower(), address)
        address = addresses[0]
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        return Target(parts._replace(netloc=netloc).geturl(), host, address)


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    retry_after: float | None


async def _post(target: Target, body: bytes, headers: dict[str, str], deadline: float
                ) -> Answer:
    async with (
        asyncio.timeout(deadline),
        httpx.AsyncClient(timeout=deadline, follow_redirects=False) as client,
        client.stream("POST", target.url, content=body,
                      headers={"Host": target.host, "Content-Type": "application/json",
                               **headers},
                      extensions={"sni_hostname": target.host}) as response,
    ):
        try:
            retry_after: float | None = float(response.headers["Retry-After"])
        except (KeyError, ValueError):
            retry_after = None
        return Answer(response.status_code, response.reason_phrase[:60], retry_after)


def post(policy: WebhookPolicy, url: str, body: bytes, headers: dict[str, str] | None = None
         ) -> Answer:
    """POST ``body`` (JSON) to the checked, pinned address under one overall deadline; the
    answer is judged by its status alone (its body is never read, stored or shown).

    Raises ``RefusedWebhook``, ``TimeoutError`` or ``httpx.TransportError``/``OSError``."""
    target = policy.resolve(url)
    return asyncio.run(_post(target, body, headers or {}, policy.timeout_seconds))


def post_for(who: str, policy: WebhookPolicy, url: str, body: bytes,
             headers: dict[str, str] | None = None) -> Answer:
    """``post`` for a channel: an address refused is a ``PermanentError`` (its rule in the
    message), no answer in time or no connection a ``TransientError`` naming ``who``."""
    try:
        return post(policy, url, body, headers)
    except RefusedWebhook as exc:
        raise PermanentError(str(exc)) from exc
    except TimeoutError as exc:
        raise TransientError(f"{who} did not answer within the {policy.timeout_seconds:g} s "
                             "deadline (HERALD_WEBHOOK_TIMEOUT_SECONDS)") from exc
    except (httpx.TransportError, OSError) as exc:
        raise TransientError(f"{who} unreachable: {type(exc).__name__}") from exc


def judge(who: str, answer: Answer) -> None:
    """A 2xx is sent; 429 and 5xx are tried again (after ``Retry-After`` when given), any
    other answer is final."""
    said = f"{who} answered {answer.status} {answer.reason}".strip()
    if answer.status == 429 or answer.status >= 500:
        raise TransientError(said, answer.retry_after)
    if answer.status >= 300:
        raise PermanentError(said)


NOT_PUBLIC = ("webhook address is not public (loopback, private, link-local or reserved; "
              "HERALD_OUTBOUND_ALLOW lists exceptions)")
# IPv6 prefixes that carry an IPv4 address in their last 32 bits: IPv4-compatible (::/96)
# and NAT64 (64:ff9b::/96, 64:ff9b:1::/48): a resolver or gateway may reach that IPv4.
_CARRY_IPV4 = tuple(ipaddress.ip_network(n) for n in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found.append(ip.teredo[1])
    if any(ip in net for net in _CARRY_IPV4) and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public(address: str) -> bool:
    """A global address, and so is every IPv4 address it carries (mapped, compatible, NAT64,
    6to4, Teredo)."""
    ip = ipaddress.ip_address(address)
    carried = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else []
    if carried:  # judged by where it leads (NAT64 to a public address is public)
        return all(v4.is_global for v4 in carried)
    return ip.is_global


def _legacy_ipv4(host: str) -> list[str]:
    """The address of a host written in one of IPv4's old forms that resolvers still take
    (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``), else nothing."""
    if not host or not all(c in "0123456789abcdefx." for c in host):
        return []
    try:
        return [socket.inet_ntoa(socket.inet_aton(host))]
    except OSError:
        return []


def _local_name(host: str) -> bool:
    name = host.rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
