"""Settings: built once, from the environment, by the composition root.

Nothing else reads `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///sagsflow.db"


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """Everything sagsflow can be configured with.

    Attributes:
        database_url: `SAGSFLOW_DATABASE_URL`; default a SQLite file in the
            working directory.
        workflow_paths: `SAGSFLOW_WORKFLOWS`, extra workflow files or folders
            (separated by the OS path separator) besides the bundled ones.
        calendar_file: `SAGSFLOW_CALENDAR`, the office calendar (YAML); default
            the Danish default calendar.
        log_format: `SAGSFLOW_LOG_FORMAT`, `json` or `console`.
        log_level: `SAGSFLOW_LOG_LEVEL`; the CLI logs warnings only by default.
        sqlite_synchronous: `SAGSFLOW_SQLITE_SYNCHRONOUS`, FULL (default) or NORMAL.
        smtp_url: `SAGSFLOW_SMTP_URL`, e.g. `smtp://127.0.0.1:8025`; no mail without it.
        mail_from: `SAGSFLOW_MAIL_FROM`, the sender of letters and notices.
        webhook_url: `SAGSFLOW_WEBHOOK_URL`: every chase is also POSTed here.
        webhook_secret: `SAGSFLOW_WEBHOOK_SECRET`, the HMAC-SHA256 signing key.
        language: `SAGSFLOW_LANGUAGE`, `da` (default) or `en`, for letters and
            the command line's human-readable output (the workflows' labels).
        office: `SAGSFLOW_OFFICE`, the office's name in letters.
        office_file: `SAGSFLOW_OFFICE_FILE`, the office's profile for its letters
            (YAML or TOML: name, address, EAN, phone, signers; service.office).
        template_paths: `SAGSFLOW_TEMPLATES`, folders of the office's own letter
            templates, tried before the bundled ones.
        sweep_closed_days: `SAGSFLOW_SWEEP_CLOSED_DAYS=1` lets the sweep run on
            weekends and holidays too (by default it does not).
        audit_key: `SAGSFLOW_AUDIT_KEY`, the HMAC key that signs checkpoints.
        audit_key_file: `SAGSFLOW_AUDIT_KEY_FILE`, an Ed25519 private key (PEM)
            that signs checkpoints instead.
        anchor_dir: `SAGSFLOW_ANCHOR_DIR`: `serve` writes a checkpoint there daily.
        access_retention_days: `SAGSFLOW_ACCESS_RETENTION_DAYS`, how long reads of
            personal data stay in the access log (default 183, about 6 months).
        api_host: `SAGSFLOW_API_HOST`, where the HTTP API listens (127.0.0.1).
        api_port: `SAGSFLOW_API_PORT` (8000; 0 picks a free port).
        api_max_body_bytes: `SAGSFLOW_API_MAX_BODY_BYTES`, the largest request
            body the API reads (default 1 MiB).
        api_idempotency_hours: `SAGSFLOW_API_IDEMPOTENCY_HOURS`, how long the API
            keeps an `Idempotency-Key` and its answer (default 24).
        db_pool_size: `SAGSFLOW_DB_POOL_SIZE`, connections each process keeps
            open to a server database (PostgreSQL); SQLite needs none.
        outbox_lease_seconds: `SAGSFLOW_OUTBOX_LEASE_SECONDS`, how long a worker
            holds the notifications it claimed before another may take them
            over (default 300: a killed worker's mail waits this long).
        quiet_hours: `SAGSFLOW_QUIET_HOURS`, local hours without sweeps as
            `START-END` (default `2-3`: the hour the clocks change), or `none`.
        cli_identity: `SAGSFLOW_CLI_IDENTITY`, `believed` (default: the command
            line's `--actor` as given) or `login` (the operating-system login's
            bound user; service.cli.identity).
        oidc_issuer: `SAGSFLOW_OIDC_ISSUER`, the office's OpenID provider; the
            review pages offer sign-in there when it is set.
        oidc_client_id: `SAGSFLOW_OIDC_CLIENT_ID`, sagsflow's client at the provider.
        oidc_client_secret: `SAGSFLOW_OIDC_CLIENT_SECRET` (never in a repr or log).
        oidc_user_claim: `SAGSFLOW_OIDC_USER_CLAIM`, the ID token's claim that
            names the sagsflow user (default `preferred_username`).
        oidc_scopes: `SAGSFLOW_OIDC_SCOPES` (default `openid profile email`).
        oidc_name: `SAGSFLOW_OIDC_NAME`, the provider's name on the login page
            (default the issuer's host).
        public_url: `SAGSFLOW_PUBLIC_URL`, where people reach sagsflow (the
            provider sends them back to `{public_url}/ui/oidc/callback`).
        session_idle_minutes: `SAGSFLOW_SESSION_IDLE_MINUTES`, how long a page
            session lasts unused (default 30).
        token_login: `SAGSFLOW_TOKEN_LOGIN`, `on` (default) or `off`: whether the
            pages take an API token as a sign-in.
        document_dir: `SAGSFLOW_DOCUMENT_DIR`: documents' content goes to files
            there, named by their SHA-256; default the database.
        document_max_bytes: `SAGSFLOW_DOCUMENT_MAX_BYTES`, the largest document
            a surface accepts (20 MB).
        forwarded_allow_ips: `SAGSFLOW_FORWARDED_ALLOW_IPS`, the reverse proxies
            (IP addresses or networks, comma-separated) whose `X-Forwarded-*`
            headers the API believes (service.api.forwarded); none by default.
        token_days: `SAGSFLOW_TOKEN_DAYS`, how long a new API token works
            unless `--expires` or `--no-expiry` says otherwise (default 365).
    """

    database_url: str = DEFAULT_DATABASE_URL
    workflow_paths: tuple[Path, ...] = ()
    calendar_file: Path | None = None
    log_format: str = "console"
    log_level: str = "WARNING"
    sqlite_synchronous: str = "FULL"
    smtp_url: str | None = None
    mail_from: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    language: str = "da"
    office: str = "Borgerrådgiveren"
    office_file: Path | None = None
    template_paths: tuple[Path, ...] = ()
    sweep_closed_days: bool = False
    quiet_hours: str = "2-3"
    audit_key: str | None = None
    audit_key_file: Path | None = None
    anchor_dir: Path | None = None
    access_retention_days: int = 183
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_max_body_bytes: int = 1024 * 1024
    api_idempotency_hours: int = 24
    db_pool_size: int = 5
    outbox_lease_seconds: int = 300
    cli_identity: str = "believed"
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = field(default=None, repr=False)
    oidc_user_claim: str = "preferred_username"
    oidc_scopes: str = "openid profile email"
    oidc_name: str | None = None
    public_url: str | None = None
    session_idle_minutes: int = 30
    token_login: str = "on"
    document_dir: Path | None = None
    document_max_bytes: int = 20 * 1024 * 1024
    forwarded_allow_ips: str = ""
    token_days: int = 365

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        paths = environ.get("SAGSFLOW_WORKFLOWS", "")
        calendar = environ.get("SAGSFLOW_CALENDAR", "").strip()
        return cls(
            database_url=environ.get("SAGSFLOW_DATABASE_URL", "").strip()
            or DEFAULT_DATABASE_URL,
            workflow_paths=tuple(Path(p) for p in paths.split(os.pathsep) if p.strip()),
            calendar_file=Path(calendar) if calendar else None,
            log_format=environ.get("SAGSFLOW_LOG_FORMAT", "console").strip().lower(),
            log_level=environ.get("SAGSFLOW_LOG_LEVEL", "WARNING").strip(),
            sqlite_synchronous=environ.get("SAGSFLOW_SQLITE_SYNCHRONOUS", "FULL")
            .strip()
            .upper(),
            smtp_url=_optional(environ, "SAGSFLOW_SMTP_URL"),
            mail_from=_optional(environ, "SAGSFLOW_MAIL_FROM"),
            webhook_url=_optional(environ, "SAGSFLOW_WEBHOOK_URL"),
            webhook_secret=_optional(environ, "SAGSFLOW_WEBHOOK_SECRET"),
            language=environ.get("SAGSFLOW_LANGUAGE", "da").strip().lower() or "da",
            office=_optional(environ, "SAGSFLOW_OFFICE") or "Borgerrådgiveren",
            office_file=_path(environ, "SAGSFLOW_OFFICE_FILE"),
            template_paths=tuple(
                Path(p)
                for p in environ.get("SAGSFLOW_TEMPLATES", "").split(os.pathsep)
                if p.strip()
            ),
            sweep_closed_days=environ.get("SAGSFLOW_SWEEP_CLOSED_DAYS", "").strip()
            in ("1", "true", "yes"),
            quiet_hours=environ.get("SAGSFLOW_QUIET_HOURS", "2-3").strip().lower(),
            audit_key=_optional(environ, "SAGSFLOW_AUDIT_KEY"),
            audit_key_file=_path(environ, "SAGSFLOW_AUDIT_KEY_FILE"),
            anchor_dir=_path(environ, "SAGSFLOW_ANCHOR_DIR"),
            access_retention_days=_int(environ, "SAGSFLOW_ACCESS_RETENTION_DAYS", 183),
            api_host=_optional(environ, "SAGSFLOW_API_HOST") or "127.0.0.1",
            api_port=_port(environ, "SAGSFLOW_API_PORT", 8000),
            api_max_body_bytes=_int(
                environ, "SAGSFLOW_API_MAX_BODY_BYTES", 1024 * 1024
            ),
            api_idempotency_hours=_int(environ, "SAGSFLOW_API_IDEMPOTENCY_HOURS", 24),
            db_pool_size=_int(environ, "SAGSFLOW_DB_POOL_SIZE", 5),
            outbox_lease_seconds=_int(environ, "SAGSFLOW_OUTBOX_LEASE_SECONDS", 300),
            cli_identity=environ.get("SAGSFLOW_CLI_IDENTITY", "").strip().lower()
            or "believed",
            oidc_issuer=_optional(environ, "SAGSFLOW_OIDC_ISSUER"),
            oidc_client_id=_optional(environ, "SAGSFLOW_OIDC_CLIENT_ID"),
            oidc_client_secret=_optional(environ, "SAGSFLOW_OIDC_CLIENT_SECRET"),
            oidc_user_claim=_optional(environ, "SAGSFLOW_OIDC_USER_CLAIM")
            or "preferred_username",
            oidc_scopes=" ".join(
                environ.get("SAGSFLOW_OIDC_SCOPES", "").split()
                or ("openid", "profile", "email")
            ),
            oidc_name=_optional(environ, "SAGSFLOW_OIDC_NAME"),
            public_url=_optional(environ, "SAGSFLOW_PUBLIC_URL"),
            session_idle_minutes=_int(environ, "SAGSFLOW_SESSION_IDLE_MINUTES", 30),
            token_login=(_optional(environ, "SAGSFLOW_TOKEN_LOGIN") or "on").lower(),
            document_dir=_path(environ, "SAGSFLOW_DOCUMENT_DIR"),
            document_max_bytes=_int(
                environ, "SAGSFLOW_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024
            ),
            forwarded_allow_ips=environ.get("SAGSFLOW_FORWARDED_ALLOW_IPS", "").strip(),
            token_days=_int(environ, "SAGSFLOW_TOKEN_DAYS", 365),
        )

    def with_database(self, url: str | None) -> Settings:
        return replace(self, database_url=url) if url else self


def _optional(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    value = _optional(environ, name)
    return Path(value) if value else None


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = _optional(environ, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 1:
        # Settings hold values; the composition root reports bad ones clearly.
        return -1
    return number


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    """A TCP port, 0 (any free one) included; -1 for anything else."""
    value = _optional(environ, name)
    if value is None:
        return default
    digits = value.isascii() and value.isdigit()
    return int(value) if digits and int(value) <= 65535 else -1
