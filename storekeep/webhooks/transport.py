"""Sending one signed POST safely (issue 15 item 2).

* **SSRF**: the target's host is resolved and every address checked; private, loopback,
  link-local, multicast, reserved and unspecified addresses are refused unless
  ``STOREKEEP_WEBHOOK_ALLOW_PRIVATE=1``. The connection then goes to the address that was
  checked (no second lookup a rebinding DNS could answer differently); HTTPS still verifies the
  certificate for the host name. Redirects are not followed.
* **Signature**: ``Storekeep-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``
  with ``Storekeep-Timestamp`` in Unix seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

USER_AGENT = "Storekeep-Webhooks/1"
MAX_RESPONSE_CHARS = 1000


class UnsafeTarget(Exception):
    """The URL may not be called: bad scheme, no host, or a refused address."""


@dataclass(frozen=True)
class Answer:
    status: int | None
    body: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`` (what a receiver recomputes)."""
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def check_url(url: str, *, resolve: bool = True) -> list[str]:
    """The addresses ``url`` may be called at; raises UnsafeTarget.

    ``resolve=False`` checks the scheme, the host and a literal IP only (registration, where
    the name may not resolve yet); the sender always resolves.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("The URL must be http:// or https:// with a host.")
    host = parts.hostname
    allow_private = settings.STOREKEEP_WEBHOOK_ALLOW_PRIVATE
    try:
        literal = [str(ipaddress.ip_address(host))]
    except ValueError:
        literal = []
        if not allow_private and (host == "localhost" or host.endswith(".localhost")):
            raise UnsafeTarget(f"{host} is a loopback name.") from None
    if literal or resolve:
        addresses = literal or _resolve(host, parts.port or _default_port(parts.scheme))
        refused = [a for a in addresses if _refused(a)]
        if refused and not allow_private:
            raise UnsafeTarget(
                f"{host} resolves to a private, loopback or link-local address ({refused[0]})."
            )
        return addresses
    return []


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"{host} does not resolve ({exc}).") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, address, **kwargs):
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` to ``url`` at a checked address; any failure becomes an Answer with
    ``error`` (never raises for network trouble). UnsafeTarget is an Answer too."""
    try:
        address = check_url(url)[0]
    except UnsafeTarget as exc:
        return Answer(None, "", f"refused: {exc}")
    parts = urlsplit(url)
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(parts.hostname, address, port=parts.port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        text = response.read(MAX_RESPONSE_CHARS * 4).decode("utf-8", "replace")
        return Answer(response.status, text[:MAX_RESPONSE_CHARS])
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return Answer(None, "", f"{type(exc).__name__}: {exc}"[:500])
    finally:
        connection.close()
