"""Personal data in the record: committed to by the chain, kept where it can be erased.

Chain version 2 never puts a personal value (a party's name or e-mail, a data
field a workflow marks `personal: true`) into an entry. The entry holds a
commitment in its place, `{"personal": HMAC-SHA256(case key, value)}`; the
value itself lives in the case row and in the store's table of personal
values, and the per-case key in the case row. All three can be erased: then
the commitments stay in the chain, which still verifies, and nothing left in
the database says what they committed to. The key is 32 random bytes, so a
commitment cannot be tested against guessed names without it; the same value
gives the same commitment within a case, and a different one in another.

Pure: no I/O. `new_key` reads the operating system's randomness.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.records import JsonDict, Party

PERSONAL = "personal"  # the key of a commitment's JSON object
ERASED = "[erased]"  # what an erased value reads as, everywhere it was shown


def new_key() -> str:
    """A new case key: 32 random bytes, hex."""
    return secrets.token_hex(32)


KeySource = Callable[[str], str]  # a new case's number -> its key (hex)


def random_key(number: str) -> str:
    """The key source of every real office: 32 random bytes, whatever the case."""
    return new_key()


def commit(key: str, value: object) -> str:
    """The commitment to `value` under a case's key (hex)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(
        bytes.fromhex(key), text.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def committed(value: object) -> str | None:
    """The commitment a stored value stands for, or None for a plain value."""
    if isinstance(value, Mapping) and len(value) == 1:
        digest = value.get(PERSONAL)
        if isinstance(digest, str):
            return digest
    return None


class Sealer:
    """Replaces the personal values of one step by commitments, remembering them."""

    def __init__(self, key: str, personal: frozenset[str]) -> None:
        self.key = key
        self.personal = personal
        self.values: dict[str, object] = {}  # commitment -> value, to keep apart

    def value(self, value: object) -> object:
        if value is None:
            return None
        digest = commit(self.key, value)
        self.values[digest] = value
        return {PERSONAL: digest}

    def data(self, data: Mapping[str, Any]) -> JsonDict:
        """`data` with each personal field (and the opening's parties) sealed."""
        out: JsonDict = {}
        for name, value in data.items():
            if name == "parties" and isinstance(value, Mapping):
                out[name] = {
                    role: {k: self.value(v) for k, v in sorted(said.items())}
                    for role, said in value.items()
                }
            elif name in self.personal:
                out[name] = self.value(value)
            else:
                out[name] = value
        return out

    def parties(self, parties: Sequence[Party]) -> list[JsonDict]:
        return [
            {"role": p.role, "name": self.value(p.name), "email": self.value(p.email)}
            for p in parties
        ]


def reveal(data: Mapping[str, Any], values: Mapping[str, object]) -> JsonDict:
    """`data` as people read it: each commitment replaced by its value, or ERASED."""
    out: JsonDict = {}
    for name, value in data.items():
        digest = committed(value)
        if digest is not None:
            out[name] = values.get(digest, ERASED)
        elif isinstance(value, Mapping):
            out[name] = reveal(value, values)
        else:
            out[name] = value
    return out


def commitments(data: Mapping[str, Any]) -> list[str]:
    """Every commitment in `data`, at any depth, in order."""
    found: list[str] = []
    for value in data.values():
        digest = committed(value)
        if digest is not None:
            found.append(digest)
        elif isinstance(value, Mapping):
            found.extend(commitments(value))
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    found.extend(commitments(item))
    return found


def scrub(text: str, values: Sequence[str]) -> str:
    """`text` with each of `values` (as a whole word or phrase) replaced by ERASED.

    Inside JSON text a value may appear escaped; `scrub_json` covers that.
    """
    for value in sorted({v for v in values if v.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", ERASED, text)
    return text


def scrub_json(value: object, values: Sequence[str]) -> object:
    """A JSON value with every string in it scrubbed (keys are kept)."""
    if isinstance(value, str):
        return scrub(value, values)
    if isinstance(value, Mapping):
        return {k: scrub_json(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v, values) for v in value]
    return value
