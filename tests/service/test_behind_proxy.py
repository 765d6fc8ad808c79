"""The pages behind a real reverse proxy with TLS: nginx in front of `sagsflow api`.

`sagsflow api --port 0` runs with `SAGSFLOW_FORWARDED_ALLOW_IPS=127.0.0.1`; a
real nginx (`/usr/sbin/nginx`, as the current user, `daemon off`, its pid,
logs and temporary files in the test's folder) ends TLS on a port of its own
with a certificate the test makes with `cryptography` (a throwaway CA and a
certificate for 127.0.0.1 it signs), and passes requests on with the site
configuration the README shows (`SITE`). nginx's listening socket is bound by
the test and handed to nginx (its `NGINX` variable, as for a binary upgrade),
so it takes connections from the first moment and nothing waits for it.

An HTTPS client that trusts the CA, connecting from 127.0.0.3, signs in on
/ui/login with a token and gets the session cookie Secure, HttpOnly,
SameSite=Strict, Path=/ui (and so the language cookie of `?lang=en`); a POST
from another site's origin (or from this host over http) is refused with 403,
the same POST from the public origin goes through, and the API's log line
names 127.0.0.3, the address nginx forwarded, not nginx's own. A client that
reaches the API directly from 127.0.0.2 (not a trusted proxy) claiming
`X-Forwarded-Proto: https` gets no Secure cookie, is logged as 127.0.0.2, and
`forwarded_headers_ignored` is logged once however often it tries.

Skipped without nginx, unless SAGSFLOW_TEST_BROWSER=required (CI): then it
fails. In-process tests below check `ForwardedHeaders` itself and the setting.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from structlog.testing import capture_logs

from service.api.forwarded import ForwardedHeaders, trusted_proxies
from tests.processes import WAIT_S
from tests.service.api.process import Prepared, Process, prepare
from tests.service.conftest import Run, snapshot

NGINX = Path("/usr/sbin/nginx")
REQUIRED = os.environ.get("SAGSFLOW_TEST_BROWSER", "").strip().lower() == "required"
PROXY = "127.0.0.1"  # nginx connects to the API from here: the trusted proxy
BROWSER = "127.0.0.3"  # the HTTPS client's address, which nginx forwards
STRANGER = "127.0.0.2"  # a client reaching the API directly

# The site as the README shows it, but for the names: the public address is
# 127.0.0.1:{port} here, sagsflow.kommune.dk there.
SITE = """\
server {{
    listen {listen} ssl;
    server_name {name};
    ssl_certificate {certificate};
    ssl_certificate_key {key};

    location / {{
        proxy_pass http://127.0.0.1:{api_port};
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
}}
"""

# Only for running it inside a test: in the foreground, one worker, every
# file it writes in the test's folder (nothing buffered to disk: a worker
# started by root runs as nobody, who cannot enter that folder).
MAIN = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log notice;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    proxy_max_temp_file_size 0;
{site}}}
"""


def nginx_or_skip() -> Path:
    if NGINX.is_file() and os.access(NGINX, os.X_OK):
        return NGINX
    reason = f"no nginx at {NGINX} to run the reverse proxy"
    if REQUIRED:
        pytest.fail(f"SAGSFLOW_TEST_BROWSER=required but {reason}")
    pytest.skip(reason)


# -- a CA and a certificate for 127.0.0.1 ---------------------------------------------
def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _usage(*, sign_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certificates,
        crl_sign=sign_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def make_certificates(folder: Path) -> tuple[Path, Path, str]:
    """(certificate file, key file, the CA's PEM for the client to trust)."""
    # The validity period only: nothing is asserted on the clock.
    start = datetime.now(UTC) - timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("sagsflow test CA"))
        .issuer_name(_name("sagsflow test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign_certificates=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(PROXY))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(IPv4Address(PROXY)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign_certificates=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = folder / "site.crt", folder / "site.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file, ca.public_bytes(serialization.Encoding.PEM).decode()


# -- nginx in front of `sagsflow api` ----------------------------------------------
@dataclass
class Proxied:
    """The API behind nginx: its public origin, the API's own, and the process."""

    public: str
    direct: str
    api: Process
    ca: str
    tokens: dict[str, str]

    def browser(self) -> httpx2.Client:
        """An HTTPS client from BROWSER that trusts the test's CA."""
        trust = ssl.create_default_context(cadata=self.ca)
        return httpx2.Client(
            base_url=self.public,
            transport=httpx2.HTTPTransport(verify=trust, local_address=BROWSER),
            follow_redirects=False,
            timeout=WAIT_S,
        )

    def stranger(self) -> httpx2.Client:
        """A client reaching the API directly from STRANGER."""
        return httpx2.Client(
            base_url=self.direct,
            transport=httpx2.HTTPTransport(local_address=STRANGER),
            follow_redirects=False,
            timeout=WAIT_S,
        )

    def requests(self) -> list[dict[str, Any]]:
        return [e for e in self.api.events() if e.get("event") == "api_request"]


def start_nginx(folder: Path, api_port: int) -> tuple[subprocess.Popen[bytes], str]:
    """nginx with `SITE` in front of the API on `api_port`; it and its origin."""
    binary = nginx_or_skip()
    certificate, key = folder / "site.crt", folder / "site.key"  # make_certificates
    with socket.create_server((PROXY, 0)) as listening:
        port = listening.getsockname()[1]
        site = SITE.format(
            listen=f"{PROXY}:{port}",
            name=PROXY,
            certificate=certificate,
            key=key,
            api_port=api_port,
        )
        conf, errors = folder / "nginx.conf", folder / "error.log"
        conf.write_text(MAIN.format(folder=folder, site=site), "utf-8")
        fd = listening.fileno()
        os.set_inheritable(fd, True)
        process = subprocess.Popen(
            [str(binary), "-p", f"{folder}/", "-c", str(conf), "-e", str(errors)],
            env={**os.environ, "NGINX": f"{fd};"},  # the socket it listens on
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return process, f"https://{PROXY}:{port}"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    nginx_or_skip()
    return prepare(tmp_path_factory.mktemp("prepared"))


@pytest.fixture
def proxied(prepared: Prepared, tmp_path: Path) -> Iterator[Proxied]:
    """`sagsflow api` trusting 127.0.0.1, and nginx there in front of it."""
    _, env, tokens = prepared.copy(tmp_path)
    env["SAGSFLOW_FORWARDED_ALLOW_IPS"] = PROXY
    api = Process(env, ("api", "--port", "0"))
    proxy = None
    try:
        started = api.wait_for_event("api_started")
        assert started["forwarded_allow_ips"] == [f"{PROXY}/32"]
        _, _, ca = make_certificates(tmp_path)
        proxy, public = start_nginx(tmp_path, started["port"])
        yield Proxied(
            public=public,
            direct=f"http://{PROXY}:{started['port']}",
            api=api,
            ca=ca,
            tokens=tokens,
        )
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=WAIT_S)
        api.close()


def cookie_flags(set_cookie: str) -> tuple[str, set[str]]:
    """(name, the attributes in lower case with their values) of a Set-Cookie."""
    first, *attributes = (part.strip() for part in set_cookie.split(";"))
    return first.split("=", 1)[0], {a.lower() for a in attributes}


# -- over the proxy ----------------------------------------------------------------
@pytest.mark.slow
def test_signing_in_through_the_proxy_gives_a_secure_cookie(proxied: Proxied) -> None:
    with proxied.browser() as browser:
        signed_in = browser.post(
            "/ui/login",
            data={"token": proxied.tokens["bra"]},
            headers={"Origin": proxied.public, "Sec-Fetch-Site": "same-origin"},
        )
        assert signed_in.status_code == 303, signed_in.text
        (set_cookie,) = signed_in.headers.get_list("set-cookie")
        name, flags = cookie_flags(set_cookie)
        assert name == "sagsflow_session"
        assert {"secure", "httponly", "samesite=strict", "path=/ui"} <= flags
        assert browser.get("/ui/").status_code == 200  # the cookie goes back over TLS
        english = browser.get("/ui/", params={"lang": "en"})
        assert english.status_code == 200
        name, flags = cookie_flags(english.headers["set-cookie"])
        assert name == "sagsflow_lang"
        assert {"secure", "httponly", "samesite=strict", "path=/ui"} <= flags


@pytest.mark.slow
def test_a_cross_site_post_through_the_proxy_is_refused(proxied: Proxied) -> None:
    with proxied.browser() as browser:
        signed_in = browser.post(
            "/ui/login",
            data={"token": proxied.tokens["bra"]},
            headers={"Origin": proxied.public},
        )
        assert signed_in.status_code == 303, signed_in.text
        http_origin = proxied.public.replace("https://", "http://", 1)
        for origin in ("https://evil.example", http_origin):
            refused = browser.post("/ui/audit/verify", headers={"Origin": origin})
            assert refused.status_code == 403, origin
            assert 'data-ok="' not in refused.text
        same_site = browser.post("/ui/audit/verify", headers={"Origin": proxied.public})
        assert same_site.status_code == 200, same_site.text
        assert 'data-ok="' in same_site.text
    proxied.api.wait_for(
        lambda e: (
            e.get("event") == "api_request"
            and e.get("path") == "/ui/audit/verify"
            and e.get("status") == 200
        )
    )
    posts = [r for r in proxied.requests() if r["path"] == "/ui/audit/verify"]
    assert [(r["status"], r["client"]) for r in posts] == [
        (403, BROWSER),
        (403, BROWSER),
        (200, BROWSER),
    ]
    ignored = [
        e for e in proxied.api.events() if e.get("event") == "forwarded_headers_ignored"
    ]
    assert ignored == []


# -- around it -----------------------------------------------------------------------
@pytest.mark.slow
def test_a_forged_proxy_header_from_elsewhere_is_ignored_and_logged_once(
    proxied: Proxied,
) -> None:
    forged = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Host": "evil.example",
    }
    with proxied.stranger() as stranger:
        for _ in range(2):
            signed_in = stranger.post(
                "/ui/login", data={"token": proxied.tokens["bra"]}, headers=forged
            )
            assert signed_in.status_code == 303, signed_in.text
            _, flags = cookie_flags(signed_in.headers["set-cookie"])
            assert "secure" not in flags
            assert {"httponly", "samesite=strict", "path=/ui"} <= flags
        evil = stranger.post(
            "/ui/login",
            data={"token": proxied.tokens["bra"]},
            headers={**forged, "Origin": "https://evil.example"},
        )
        assert evil.status_code == 403
    proxied.api.wait_for_count("api_request", 3)
    logins = [r for r in proxied.requests() if r["path"] == "/ui/login"]
    assert [(r["status"], r["client"]) for r in logins] == [
        (303, STRANGER),
        (303, STRANGER),
        (403, STRANGER),
    ]
    (ignored,) = [
        e for e in proxied.api.events() if e.get("event") == "forwarded_headers_ignored"
    ]
    assert ignored["level"] == "warning"
    assert ignored["headers"] == [
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
    ]
    text = "".join(proxied.api.stderr)
    assert "203.0.113.9" not in text
    assert proxied.tokens["bra"] not in text


# -- ForwardedHeaders in-process -------------------------------------------------------
def _seen(
    proxies: str, client: str, headers: list[tuple[bytes, bytes]]
) -> dict[str, Any]:
    """The scope the app behind ForwardedHeaders gets for one request."""
    got: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        got.update(scope)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    middleware = ForwardedHeaders(app, proxies=trusted_proxies(proxies))
    scope = {
        "type": "http",
        "scheme": "http",
        "client": (client, 40000),
        "headers": [(b"host", b"10.0.0.2:8000"), *headers],
    }
    asyncio.run(middleware(scope, receive, send))
    return got


FORWARDED = [
    (b"x-forwarded-proto", b"https"),
    (b"x-forwarded-for", b"198.51.100.7, 10.0.0.9"),
    (b"x-forwarded-host", b"sagsflow.kommune.dk"),
]


def test_a_trusted_network_is_believed_host_and_all() -> None:
    seen = _seen("10.0.0.0/24, ::1", "10.0.0.5", FORWARDED)
    assert seen["scheme"] == "https"
    assert seen["client"] == ("198.51.100.7", 0)  # 10.0.0.9 is a trusted proxy too
    assert (b"host", b"sagsflow.kommune.dk") in seen["headers"]
    assert (b"host", b"10.0.0.2:8000") not in seen["headers"]


def test_an_ipv4_proxy_seen_on_a_dual_stack_listener_is_believed() -> None:
    """Through an IPv6 socket an IPv4 peer is ::ffff:a.b.c.d: still the proxy."""
    seen = _seen("10.0.0.0/24", "::ffff:10.0.0.5", FORWARDED)
    assert seen["scheme"] == "https"
    assert seen["client"] == ("198.51.100.7", 0)
    assert (b"host", b"sagsflow.kommune.dk") in seen["headers"]


@pytest.mark.parametrize(
    ("proxies", "peer"),
    [
        ("", "192.0.2.1"),
        ("10.0.0.0/24", "192.0.2.1"),
        ("10.0.0.0/24", "::ffff:192.0.2.1"),  # mapped, but not the proxy's network
        ("10.0.0.5", "::ffff:10.0.0.6"),
    ],
)
def test_an_untrusted_peer_is_taken_as_itself(proxies: str, peer: str) -> None:
    with capture_logs() as logs:
        seen = _seen(proxies, peer, FORWARDED)
    assert seen["scheme"] == "http"
    assert seen["client"] == (peer, 40000)
    assert seen["headers"] == [(b"host", b"10.0.0.2:8000")]
    (warning,) = logs
    assert warning["event"] == "forwarded_headers_ignored"
    assert peer not in repr(warning)


@pytest.mark.parametrize(
    "value", ["*", "proxy.kommune.dk", "10.0.0.300", "10.0.0.0/33", "127.0.0.1;::1"]
)
@pytest.mark.parametrize(
    "command", [("api", "--port", "0"), ("serve", "--api-port", "0")]
)
def test_a_bad_setting_is_one_clear_error(
    value: str,
    command: tuple[str, ...],
    run: Run,
    initialised: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAGSFLOW_FORWARDED_ALLOW_IPS", value)
    before = snapshot(initialised)
    code, out, err = run(*command)
    assert (code, out) == (1, "")
    assert err == (
        f"sagsflow: error: SAGSFLOW_FORWARDED_ALLOW_IPS: {value!r} is not an IP "
        "address or network (such as 10.0.0.5 or 10.0.0.0/24)\n"
    )
    assert snapshot(initialised) == before
