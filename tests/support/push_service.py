"""A browser's push service, the test's own (RFC 8030): it takes pushes over HTTPS at one
endpoint per subscription, checks each push's VAPID token (RFC 8292) against the tenant's
public key, and decrypts its payload (RFC 8291) with the keys the test made as a browser
makes them. Its certificate is its own (``certificate``): Herald's parts trust it through
``SSL_CERT_FILE``, as a machine trusts its organisation's CA."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Certificate:
    cert: Path  # also the CA bundle that trusts it (SSL_CERT_FILE)
    key: Path


def certificate(directory: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "herald test push service")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    found = Certificate(directory / "push-service.pem", directory / "push-service.key")
    found.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return found


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """One browser's subscription: what it hands herald.js, and the keys it keeps."""

    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        """``PushSubscription.toJSON()``."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}


@dataclass
class Push:
    device: str
    at: float
    headers: dict[str, str]
    body: bytes


class PushService:
    def __init__(self, tls: Certificate) -> None:
        self.pushes: list[Push] = []
        self.answers: dict[str, int] = {}  # device -> the status it answers (201 by default)
        self.devices: dict[str, Device] = {}
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                name = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with service._lock:
                    service.pushes.append(Push(name, time.time(), dict(self.headers), body))
                self.send_response(service.answers.get(name, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.origin = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def device(self, name: str) -> Device:
        self.devices[name] = Device(name, f"{self.origin}/push/{name}")
        return self.devices[name]

    def received(self, name: str, public_key: str) -> list[dict[str, Any]]:
        """What the browser ``name`` shows: each push checked and decrypted, in order."""
        with self._lock:
            pushes = [p for p in self.pushes if p.device == name]
        return [self._open(self.devices[name], push, public_key) for push in pushes]

    def _open(self, device: Device, push: Push, public_key: str) -> dict[str, Any]:
        assert push.headers["Content-Encoding"] == "aes128gcm"
        assert len(push.body) <= 4096  # what push services take
        scheme, _, params = push.headers["Authorization"].partition(" ")
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        assert scheme == "vapid" and fields["k"] == public_key
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
        claims = jwt.decode(fields["t"], key, algorithms=["ES256"],
                            audience=self.origin)
        assert claims["sub"].startswith("mailto:") and claims["exp"] > time.time()
        plain = http_ece.decrypt(push.body, private_key=device.private_key,
                                 auth_secret=device.auth, version="aes128gcm")
        return {**json.loads(plain), "urgency": push.headers.get("Urgency"),
                "ttl": push.headers.get("TTL")}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
