"""Where a tenant's webhook URL may point. It is a tenant's input, so it must not reach
Herald's own network: https to an allowed host only, and every address the host resolves to
must be public, checked when sending (DNS can change after the URL was saved) and pinned for
the connection itself."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from backend.core.config import Settings


class RefusedWebhook(ValueError):
    """The URL or the address it resolves to is not allowed; the message says which rule."""


@dataclass(frozen=True)
class Target:
    url: str  # the URL with the host replaced by the checked address
    host: str  # for the Host header and TLS server name
    address: str


@dataclass(frozen=True)
class WebhookPolicy:
    allowed_hosts: tuple[str, ...]
    allow_private: bool
    allow_http: bool
    timeout_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> WebhookPolicy:
        return cls(tuple(h.lower() for h in settings.webhook_allowed_hosts),
                   settings.webhook_allow_private, settings.webhook_allow_http,
                   settings.webhook_timeout_seconds)

    def check_url(self, url: str) -> None:
        """The rules a URL can be judged by without DNS (at save time and at send time)."""
        parts = urlsplit(url)
        if parts.scheme != "https" and not (parts.scheme == "http" and self.allow_http):
            raise RefusedWebhook("webhook URLs must use https")
        host = (parts.hostname or "").lower()
        if parts.username or parts.password:
            raise RefusedWebhook("webhook URLs may not carry a user or password")
        if host not in self.allowed_hosts:
            raise RefusedWebhook(f"webhook host {host!r} is not allowed (allowed: "
                                 f"{', '.join(self.allowed_hosts)}; HERALD_WEBHOOK_ALLOWED_HOSTS)")
        if _is_address(host):
            self._check_address(host)

    def _check_address(self, address: str) -> None:
        ip = ipaddress.ip_address(address)
        mapped = getattr(ip, "ipv4_mapped", None)
        if not self.allow_private and not (mapped or ip).is_global:
            raise RefusedWebhook(f"webhook address {address} is not public (loopback, private, "
                                 "link-local or reserved; HERALD_WEBHOOK_ALLOW_PRIVATE)")

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
        for address in addresses:
            self._check_address(address)
        address = addresses[0]
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        return Target(parts._replace(netloc=netloc).geturl(), host, address)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
