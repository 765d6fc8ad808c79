"""Checkpoints: signed statements of every chain's head, kept outside the database.

A hash chain alone does not stop someone who can rewrite a whole case and its
chain (docs/libraries.md §5.2: a superuser re-chained a case and row-level checks found
nothing). A checkpoint records, at a moment, each case's last entry and hash,
and is signed, so an operator can ship it elsewhere (a WORM bucket, an e-mail to
the auditor). `engine.audit.verify` then shows anything anchored that was re-written
or removed since.

Signatures: HMAC-SHA256 with a shared key, or Ed25519 with a private key file
(verified with the public key, which an auditor can hold without being able to
sign). The signature covers the canonical JSON of everything but itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.exceptions import InvalidInputError

FORMAT = "sagsflow-checkpoint/1"


class CheckpointError(InvalidInputError):
    """A checkpoint that does not parse or whose signature does not verify."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Signer:
    """How checkpoints are signed and checked: an HMAC key or Ed25519 keys."""

    hmac_key: bytes | None = None
    private_key_pem: bytes | None = None  # Ed25519, to sign
    public_key_pem: bytes | None = None  # Ed25519, to verify

    def sign(self, payload: bytes) -> dict[str, str]:
        if self.hmac_key is not None:
            digest = hmac.new(self.hmac_key, payload, hashlib.sha256).hexdigest()
            return {"alg": "hmac-sha256", "value": digest}
        if self.private_key_pem is not None:
            key = _ed25519_private(self.private_key_pem)
            value = base64.b64encode(key.sign(payload)).decode()
            return {"alg": "ed25519", "value": value}
        raise CheckpointError(
            "no signing key: set SAGSFLOW_AUDIT_KEY or give an Ed25519 key file"
        )

    def check(self, payload: bytes, signature: Mapping[str, Any]) -> None:
        alg, value = signature.get("alg"), signature.get("value")
        if not isinstance(value, str):
            raise CheckpointError("the checkpoint's signature is missing")
        if alg == "hmac-sha256":
            if self.hmac_key is None:
                raise CheckpointError(
                    "the checkpoint is HMAC-signed: set SAGSFLOW_AUDIT_KEY to check it"
                )
            expected = hmac.new(self.hmac_key, payload, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, value):
                raise CheckpointError(
                    "the checkpoint's signature does not verify (another key, or "
                    "the checkpoint was changed)"
                )
            return
        if alg == "ed25519":
            _check_ed25519(self, payload, value)
            return
        raise CheckpointError(f"unknown signature algorithm {alg!r}")


def make_checkpoint(
    heads: Iterable[tuple[str, int, str]], *, created_at: datetime, signer: Signer
) -> dict[str, Any]:
    """A signed checkpoint of (case number, last seq, last hash) for every case."""
    listed = [[number, seq, head] for number, seq, head in heads if seq > 0]
    body: dict[str, Any] = {
        "format": FORMAT,
        "created_at": created_at.isoformat(),
        "cases": len(listed),
        "entries": sum(seq for _, seq, _ in listed),
        "heads": listed,
    }
    body["signature"] = signer.sign(canonical(body))
    return body


def read_checkpoint(path: Path, signer: Signer) -> dict[str, Any]:
    """Load and check one checkpoint file.

    Raises:
        CheckpointError: it does not parse, or its signature does not verify.
    """
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a sagsflow checkpoint")
    signature = body.pop("signature", None)
    if not isinstance(signature, dict):
        raise CheckpointError(f"{path}: the checkpoint is not signed")
    try:
        signer.check(canonical(body), signature)
    except CheckpointError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    heads = body.get("heads")
    if not isinstance(heads, list) or not all(
        isinstance(h, list) and len(h) == 3 for h in heads
    ):
        raise CheckpointError(f"{path}: the checkpoint's heads are malformed")
    body["signature"] = signature
    return body


def anchored_heads(
    checkpoints: Iterable[Mapping[str, Any]],
) -> dict[str, tuple[int, str]]:
    """Case number -> (seq, hash) from checkpoints; the latest seq per case wins."""
    out: dict[str, tuple[int, str]] = {}
    for checkpoint in sorted(checkpoints, key=lambda c: str(c.get("created_at"))):
        for number, seq, head in checkpoint["heads"]:
            if number not in out or int(seq) >= out[number][0]:
                out[str(number)] = (int(seq), str(head))
    return out


def checkpoint_files(path: Path) -> list[Path]:
    """A checkpoint file, or every `*.json` in a folder of them."""
    if path.is_dir():
        return sorted(path.glob("*.json"))
    return [path]


def latest_checkpoint(folder: Path | None, number: str) -> dict[str, Any] | None:
    """The newest checkpoint in `folder` that lists case `number` (unchecked here).

    A file that cannot be read or is not JSON is passed over: the dossier that
    includes the checkpoint is verified as a whole later.
    """
    if folder is None or not folder.exists():
        return None
    for path in reversed(checkpoint_files(folder)):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if any(h[0] == number for h in body.get("heads", [])):
            return dict(body)
    return None


def canonical(body: Mapping[str, Any]) -> bytes:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def _ed25519_private(pem: bytes) -> Any:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CheckpointError("the key file is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError("the key file is not an Ed25519 private key")
    return key


def _check_ed25519(signer: Signer, payload: bytes, value: str) -> None:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if signer.public_key_pem is not None:
        try:
            public = load_pem_public_key(signer.public_key_pem)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise CheckpointError(
                "the public key file is not a PEM public key"
            ) from None
    elif signer.private_key_pem is not None:
        public = _ed25519_private(signer.private_key_pem).public_key()
    else:
        raise CheckpointError(
            "the checkpoint is Ed25519-signed: give the public key to check it"
        )
    if not isinstance(public, Ed25519PublicKey):
        raise CheckpointError("the key is not an Ed25519 public key")
    try:
        public.verify(base64.b64decode(value), payload)
    except (InvalidSignature, ValueError):
        raise CheckpointError(
            "the checkpoint's signature does not verify (another key, or the "
            "checkpoint was changed)"
        ) from None
