"""The office's profile: who writes the letters (`SAGSFLOW_OFFICE_FILE`).

A YAML (`.yaml`, `.yml`) or TOML (`.toml`) file with the office's name, its
address lines, EAN number, phone, e-mail, web address and the people who sign
its letters::

    name: Borgerrådgiveren
    unit: Københavns Kommune
    address: [Borgerrådgiveren, Postboks 123, 1599 København V]
    ean: "5798009800000"
    phone: "33 66 00 00"
    email: borgerraadgiveren@example.org
    web: www.example.org/borgerraadgiveren
    signers:
      - {name: Anna Andersen, title: Borgerrådgiver}

Every letter's letterhead, footer and signature come from it. A file that is
not like this is refused with one message naming the file and the field, so
a letter never goes out with a half-read profile. Without a file the office
is its name (`SAGSFLOW_OFFICE`) alone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.exceptions import InvalidInputError

_TEXT_FIELDS = ("unit", "phone", "email", "web")
_KNOWN = frozenset({"name", "address", "ean", "signers", *_TEXT_FIELDS})


@dataclass(frozen=True, kw_only=True, slots=True)
class Signer:
    """One person who signs the office's letters."""

    name: str
    title: str


@dataclass(frozen=True, kw_only=True, slots=True)
class OfficeProfile:
    """The office as its letters present it.

    Attributes:
        name: the office, e.g. "Borgerrådgiveren".
        unit: the authority it belongs to, e.g. "Københavns Kommune".
        address: the postal address, one line each.
        ean: the EAN (GLN) number invoices are sent to: 13 digits.
        phone, email, web: how to reach it.
        signers: who signs, in order.
    """

    name: str
    unit: str | None = None
    address: tuple[str, ...] = ()
    ean: str | None = None
    phone: str | None = None
    email: str | None = None
    web: str | None = None
    signers: tuple[Signer, ...] = ()


def default_office(name: str) -> OfficeProfile:
    """The office known by its name only (no `SAGSFLOW_OFFICE_FILE`)."""
    return OfficeProfile(name=name)


def load_office(path: Path) -> OfficeProfile:
    """The profile in `path`.

    Raises:
        InvalidInputError: the file cannot be read, is not YAML or TOML, or a
            field is missing or malformed; the message names the file and field.
    """
    raw = _read(path)
    if not isinstance(raw, Mapping):
        raise _bad(path, "the file must hold a mapping of fields")
    unknown = sorted(str(k) for k in raw if k not in _KNOWN)
    if unknown:
        raise _bad(path, f"unknown field {unknown[0]!r} (known: {sorted(_KNOWN)})")
    name = _text(path, raw, "name", required=True)
    assert name is not None
    texts = {field: _text(path, raw, field) for field in _TEXT_FIELDS}
    return OfficeProfile(
        name=name,
        address=_address(path, raw.get("address")),
        ean=_ean(path, raw.get("ean")),
        signers=_signers(path, raw.get("signers")),
        **texts,
    )


def _read(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _bad(path, exc.strerror or "cannot be read") from None
    except UnicodeDecodeError:
        raise _bad(path, "not UTF-8 text") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix in (".yaml", ".yml"):
            return yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise _bad(path, f"not valid {suffix[1:].upper()}: {_one_line(exc)}") from None
    raise _bad(path, "name a .yaml, .yml or .toml file")


def _text(
    path: Path, raw: Mapping[str, object], field: str, *, required: bool = False
) -> str | None:
    value = raw.get(field)
    if value is None:
        if required:
            raise _bad(path, f"field {field!r} is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(path, f"field {field!r} must be a non-empty text")
    return value.strip()


def _address(path: Path, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(
        isinstance(line, str) and line.strip() for line in value
    ):
        raise _bad(path, "field 'address' must be a list of non-empty lines")
    return tuple(line.strip() for line in value)


def _ean(path: Path, value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()  # a YAML number is forgiven; its digits are kept
    if not (len(text) == 13 and text.isascii() and text.isdigit()):
        raise _bad(path, "field 'ean' must be 13 digits (an EAN/GLN number)")
    if not _check_digit_ok(text):
        raise _bad(path, f"field 'ean' {text} has a wrong check digit")
    return text


def _check_digit_ok(ean: str) -> bool:
    """GS1's check digit: weights 1 and 3 from the left over the first 12."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(ean[:12]))
    return (10 - total % 10) % 10 == int(ean[12])


def _signers(path: Path, value: object) -> tuple[Signer, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _bad(path, "field 'signers' must be a list of {name, title}")
    signers = []
    for n, item in enumerate(value, start=1):
        where = f"signers[{n}]"
        if not isinstance(item, Mapping) or set(item) != {"name", "title"}:
            raise _bad(path, f"field {where!r} must have exactly 'name' and 'title'")
        name, title = item["name"], item["title"]
        if not all(isinstance(v, str) and v.strip() for v in (name, title)):
            raise _bad(path, f"field {where!r}: name and title must be non-empty")
        signers.append(Signer(name=name.strip(), title=title.strip()))
    return tuple(signers)


def _bad(path: Path, problem: str) -> InvalidInputError:
    return InvalidInputError(f"office file {path}: {problem}")


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
