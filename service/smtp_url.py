"""The SMTP server's URL: `smtp://`, `smtp://user:pass@host:587?starttls=1`,
`smtps://host:465`. Parsed once, when the channel is built; an error names
scheme and host, never the credentials."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

SMTP_PORTS = {"smtp": 25, "smtps": 465}
_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@dataclass(frozen=True, slots=True)
class _SmtpTarget:
    host: str
    port: int
    tls: bool  # SMTPS: TLS from the first byte
    starttls: bool
    username: str | None
    password: str | None = field(repr=False)  # never in a repr or a log line


def _parse_smtp_url(url: str) -> _SmtpTarget:
    parts = urllib.parse.urlsplit(url.strip())
    where = f"{parts.scheme}://{parts.hostname or ''}"  # never echo credentials
    if parts.scheme not in SMTP_PORTS:
        raise ValueError(f"SMTP URL must start with smtp:// or smtps://, not {where!r}")
    if not parts.hostname:
        raise ValueError(f"SMTP URL {where!r} names no host")
    try:
        port = parts.port or SMTP_PORTS[parts.scheme]
    except ValueError:
        raise ValueError(f"SMTP URL {where!r} has an invalid port") from None
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"SMTP URL {where!r} must not have a path or fragment")
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise ValueError(f"SMTP URL {where!r}: unknown parameter(s) {unknown}")
    flag = query.get("starttls", ["0"])[-1].strip().lower()
    if flag not in _FLAGS:
        raise ValueError(f"SMTP URL {where!r}: starttls must be 1 or 0, not {flag!r}")
    starttls = _FLAGS[flag]
    if starttls and parts.scheme == "smtps":
        raise ValueError(f"SMTP URL {where!r}: smtps:// is TLS already; drop starttls")
    if (parts.username is None) != (parts.password is None):
        raise ValueError(f"SMTP URL {where!r}: give both user and password, or none")
    unquote = urllib.parse.unquote
    username = None if parts.username is None else unquote(parts.username)
    password = None if parts.password is None else unquote(parts.password)
    if not f"{username or ''}{password or ''}".isascii():  # python/cpython#73936
        raise ValueError(f"SMTP URL {where!r}: smtplib can only log in with ASCII")
    return _SmtpTarget(
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "smtps",
        starttls=starttls,
        username=username,
        password=password,
    )
