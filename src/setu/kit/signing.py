"""Party signatures: one Ed25519 key per party's installation (``cryptography``).

The private key lives in a PEM file (PKCS #8, unencrypted) under ``var/`` by default
(``SETU_AUDIT_KEY_PATH``), created on first use with mode 0600 in a 0700 folder; a key file that
others may read is refused. The public key is shared with the other party
(``setu audit public-key``), which registers it (``setu audit trust-key PARTY FILE``).

A signed document is a JSON object; the signature covers the canonical JSON (sorted keys, no
spaces, UTF-8) of every field but ``signature`` and is stored base64 in ``signature``. ``key_id``
names the key: the first 16 hex digits of the SHA-256 of the raw public key.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography is imported when a key is used, so the app starts without it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningError(Exception):
    pass


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def key_id(public: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: str | bytes) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except ValueError as exc:
        raise SigningError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError("the public key is not an Ed25519 key")
    return key


def load_or_create_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """The installation's private key at ``path``, created (0600) when the file does not exist."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    p = Path(path)
    if p.exists():
        mode = stat.S_IMODE(p.stat().st_mode)
        if mode & 0o077:
            raise SigningError(f"{p} may be read by others (mode {mode:o}); chmod 600 it")
        try:
            key = serialization.load_pem_private_key(p.read_bytes(), password=None)
        except ValueError as exc:
            raise SigningError(f"{p} is not a PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningError(f"{p} is not an Ed25519 key")
        return key
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def sign(doc: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """``doc`` with ``key_id`` and ``signature`` added."""
    out = {**{k: v for k, v in doc.items() if k != "signature"}, "key_id": key_id(key.public_key())}
    out["signature"] = base64.b64encode(key.sign(canonical_bytes(out))).decode("ascii")
    return out


def verify(doc: dict[str, Any], public: Ed25519PublicKey) -> bool:
    """Whether ``doc``'s signature is that key's over the rest of ``doc``."""
    from cryptography.exceptions import InvalidSignature

    if doc.get("key_id") != key_id(public):
        return False
    try:
        public.verify(base64.b64decode(str(doc.get("signature", "")), validate=True), canonical_bytes(doc))
    except (InvalidSignature, ValueError):
        return False
    return True
