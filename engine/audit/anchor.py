"""Checkpoints: signed statements of every chain's head, kept outside the database.

A hash chain alone does not stop someone who can rewrite a whole case and its
chain (docs/libraries.md §5.2: a superuser re-chained a case and row-level checks found
nothing). A checkpoint records, at a moment, each case's entry count and head
hash, and is signed, so an operator can ship it elsewhere (a WORM bucket, an
e-mail to the auditor). `engine.audit.verify` then shows anything anchored that
was re-written or removed since.

Format 2 (`sagsflow-checkpoint/2`, written now) signs a Merkle root instead of
the list of heads (`engine.audit.merkle`), so one case's dossier can prove its
place in the checkpoint without naming any other case. The file the office
keeps is one JSON object::

    {"format": "sagsflow-checkpoint/2", "created_at": ISO 8601,
     "cases": N, "entries": M, "root": HEX, "previous": HEX or null,
     "signature": {"alg": "hmac-sha256" | "ed25519", "value": ...},
     "heads": [[case number, entry count, head hash], ...]}

The signature covers the canonical JSON (sorted keys, no spaces, UTF-8) of the
six fields before it, the *signed body*. `root` is the Merkle root over one
leaf per case with entries, in order of case number: the canonical JSON of
`[number, count, head]` (`case_leaf`). `heads` lists those leaves beside the
signed body, unsigned but bound to it by the root: `read_checkpoint` refuses a
checkpoint whose heads do not give its root (and its counts). `previous` is
`checkpoint_digest` of the checkpoint written before it into the same folder
(SHA-256 of its signed body), so the checkpoints form a chain in which a
deleted, replaced or reordered one shows (`chain_problems`).

Format 1 (`sagsflow-checkpoint/1`) signed everything but the signature, the list
of heads included, and has no `previous`; such files still read and verify.

Signatures: HMAC-SHA256 with a shared key, or Ed25519 with a private key file
(verified with the public key, which an auditor can hold without being able to
sign).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.audit.merkle import root as merkle_root
from engine.exceptions import InvalidInputError

FORMAT_V1 = "sagsflow-checkpoint/1"
FORMAT = "sagsflow-checkpoint/2"
SIGNED = ("format", "created_at", "cases", "entries", "root", "previous")
_HEX64 = re.compile(r"[0-9a-f]{64}")


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


def case_leaf(number: str, count: int, head: str) -> bytes:
    """A case's Merkle leaf: the canonical JSON of `[number, count, head]`."""
    return canonical([number, count, head])


def make_checkpoint(
    heads: Iterable[tuple[str, int, str]],
    *,
    created_at: datetime,
    signer: Signer,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A signed format-2 checkpoint of every case with entries.

    Args:
        heads: (case number, entry count, head hash) for every case.
        previous: the checkpoint written before this one (its digest is chained).

    Raises:
        CheckpointError: no key signs, or `previous` is not older than this one.
    """
    listed = sorted((n, c, h) for n, c, h in heads if c > 0)  # by case number
    prior = None
    if previous is not None:
        taken = _created_at(previous)
        if taken is None:
            raise CheckpointError("the previous checkpoint's created_at is malformed")
        if taken >= created_at:
            raise CheckpointError(
                f"the previous checkpoint was taken at {taken.isoformat()}, not "
                f"before this one ({created_at.isoformat()}): is the clock right?"
            )
        prior = checkpoint_digest(previous)
    body: dict[str, Any] = {
        "format": FORMAT,
        "created_at": created_at.isoformat(),
        "cases": len(listed),
        "entries": sum(c for _, c, _ in listed),
        "root": merkle_root([case_leaf(*h) for h in listed]),
        "previous": prior,
    }
    body["signature"] = signer.sign(canonical(body))
    body["heads"] = [list(h) for h in listed]
    return body


def signed_body(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """What a checkpoint's signature covers (format 1: all but the signature)."""
    if checkpoint.get("format") == FORMAT:
        return {k: checkpoint.get(k) for k in SIGNED}
    return {k: v for k, v in checkpoint.items() if k != "signature"}


def checkpoint_digest(checkpoint: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a checkpoint's canonical signed body: what `previous` holds."""
    return hashlib.sha256(canonical(signed_body(checkpoint))).hexdigest()


def check_signed(checkpoint: Mapping[str, Any], signer: Signer) -> None:
    """Check a checkpoint's signature over its signed body.

    Raises:
        CheckpointError: unsigned, no key for it, or it does not verify.
    """
    signature = checkpoint.get("signature")
    if not isinstance(signature, Mapping):
        raise CheckpointError("the checkpoint is not signed")
    signer.check(canonical(signed_body(checkpoint)), signature)


def read_checkpoint(path: Path, signer: Signer) -> dict[str, Any]:
    """Load and check one checkpoint file (format 1 or 2).

    Raises:
        CheckpointError: it does not parse, is malformed, its signature does not
            verify, or (format 2) its heads do not give its signed root.
    """
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from None
    if not isinstance(body, dict) or body.get("format") not in (FORMAT, FORMAT_V1):
        raise CheckpointError(f"{path}: not a sagsflow checkpoint")
    try:
        check_signed(body, signer)
        heads = _heads(body.get("heads"))
        if _created_at(body) is None:
            raise CheckpointError("the checkpoint's created_at is malformed")
        if body["format"] == FORMAT:
            _check_root(body, heads)
    except CheckpointError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    return body


def _heads(raw: Any) -> list[tuple[str, int, str]]:
    if not isinstance(raw, list) or not all(
        isinstance(h, list)
        and len(h) == 3
        and isinstance(h[0], str)
        and type(h[1]) is int
        and isinstance(h[2], str)
        for h in raw
    ):
        raise CheckpointError("the checkpoint's heads are malformed")
    return [(h[0], h[1], h[2]) for h in raw]


def _check_root(body: Mapping[str, Any], heads: Sequence[tuple[str, int, str]]) -> None:
    previous = body.get("previous")
    if not isinstance(body.get("root"), str) or not (
        previous is None or (isinstance(previous, str) and _HEX64.fullmatch(previous))
    ):
        raise CheckpointError("the checkpoint's root or previous is malformed")
    if (
        merkle_root([case_leaf(*h) for h in heads]) != body["root"]
        or body.get("cases") != len(heads)
        or body.get("entries") != sum(c for _, c, _ in heads)
    ):
        raise CheckpointError(
            "the checkpoint's listed heads do not give its signed root and counts "
            "(a head was changed after signing: the signature does not verify for "
            "them)"
        )


def _created_at(checkpoint: Mapping[str, Any]) -> datetime | None:
    try:
        taken = datetime.fromisoformat(str(checkpoint.get("created_at")))
    except ValueError:
        return None
    return taken if taken.tzinfo is not None else None


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


def chain_problems(checkpoints: Sequence[tuple[Path, Mapping[str, Any]]]) -> list[str]:
    """How checkpoints (read and checked) fail to form one chain by `previous`.

    In order of `created_at` (signed), each format-2 checkpoint must name the
    digest of the one right before it, or null when it is the first. Format-1
    checkpoints name none; a format-2 one after them chains to the last. The
    newest checkpoint deleted cannot show here: that is why they are shipped
    elsewhere.
    """

    def order(pc: tuple[Path, Mapping[str, Any]]) -> tuple[datetime, str]:
        return (_created_at(pc[1]) or datetime.min.replace(tzinfo=UTC), pc[0].name)

    ordered = sorted(checkpoints, key=order)
    digests = {checkpoint_digest(body): path for path, body in ordered}
    problems: list[str] = []
    for i, (path, body) in enumerate(ordered):
        if body.get("format") != FORMAT:
            continue
        named = body.get("previous")
        if i == 0:
            if named is not None:
                problems.append(
                    f"{path.name} follows a checkpoint that is not here: an earlier "
                    "checkpoint was deleted (or the folder lacks the first ones)"
                )
            continue
        before = ordered[i - 1][0].name
        if named == checkpoint_digest(ordered[i - 1][1]):
            continue
        if named is None:
            problems.append(
                f"{path.name} starts a new chain after {before}: the checkpoints "
                "before it were replaced, or the chain was restarted"
            )
        elif named in digests:
            problems.append(
                f"{path.name} follows {digests[named].name}, not {before}: the "
                "checkpoints were reordered, or the chain forks"
            )
        else:
            problems.append(
                f"{path.name} does not follow {before}: a checkpoint between them "
                f"was deleted, or {before} was replaced"
            )
    return problems


def checkpoint_files(path: Path) -> list[Path]:
    """A checkpoint file, or every `*.json` in a folder of them (by name)."""
    if path.is_dir():
        return sorted(path.glob("*.json"))
    return [path]


def _unchecked(folder: Path | None) -> Iterable[tuple[Path, dict[str, Any]]]:
    """The checkpoints in `folder`, newest name first, read but not checked.

    `audit anchor` names files by their UTC time, so name order is time order.
    A file that cannot be read, is not JSON or not a checkpoint is passed over.
    """
    if folder is None or not folder.is_dir():
        return
    for path in reversed(checkpoint_files(folder)):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(body, dict) and body.get("format") in (FORMAT, FORMAT_V1):
            yield path, body


def previous_checkpoint(folder: Path) -> tuple[Path, dict[str, Any]] | None:
    """The checkpoint a new one in `folder` follows: the newest there, unchecked."""
    return next(iter(_unchecked(folder)), None)


def latest_checkpoint(folder: Path | None, number: str) -> dict[str, Any] | None:
    """The newest format-2 checkpoint in `folder` that lists case `number`.

    Unchecked here: the dossier that carries its proof is verified later.
    Format-1 checkpoints are passed over, as a dossier would have to carry
    their whole list of heads (every case number of the office).
    """
    for _, body in _unchecked(folder):
        heads = body.get("heads")
        if (
            body.get("format") == FORMAT
            and isinstance(heads, list)
            and any(isinstance(h, list) and h[:1] == [number] for h in heads)
        ):
            return body
    return None


def canonical(body: object) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes that are signed and hashed."""
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
