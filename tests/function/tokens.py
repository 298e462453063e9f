"""Unsigned JWT-shaped ID tokens and a service-account key file whose token endpoint is a local server."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def jwt(expiry: float | None, audience: str = "https://models.example.run.app", subject: str = "1") -> str:
    """A token shaped like a Google ID token (header.claims.signature) expiring at `expiry`."""
    claims = {"aud": audience, "sub": subject, "iat": 0, "iss": "https://accounts.google.com"}
    if expiry is not None:
        claims["exp"] = int(expiry)
    return f"{_segment({'alg': 'RS256', 'typ': 'JWT'})}.{_segment(claims)}.c2lnbmF0dXJl"


def service_account_file(directory: Path, token_uri: str) -> Path:
    """A service-account key file; google-auth signs grants with it and posts them to `token_uri`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = directory / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "test-project",
                "private_key_id": "test-key",
                "private_key": pem,
                "client_email": "recommend@test-project.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": token_uri,
            }
        )
    )
    return path
