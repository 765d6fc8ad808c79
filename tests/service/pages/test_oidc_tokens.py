"""The ID token's check (`service.pages.oidc.OidcProvider.verify`), token by token.

Two issuers: the real provider (tests/oidc), whose genuine ID tokens for
sagsflow and for another client are fetched through its own forms, and whose
key is rotated by starting it again on the same port; and a small issuer of
this test's own (a real HTTP server publishing the metadata and the keys the
test signs with), for tokens no honest provider would issue: each claim wrong
in turn, forged signatures, `alg: none`, a token signed with the client secret.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from service.pages.oidc import (
    IdTokenError,
    OidcProvider,
    ProviderConfig,
    ProviderError,
)
from tests.oidc import flow
from tests.oidc.issuer import NONCE, NOW, Issuer, issuer
from tests.oidc.provider import (
    CALLBACK,
    CLIENT_ID,
    OTHER_CLIENT_ID,
    TEST_SERVER,
    RunningProvider,
    free_port,
    oidc_provider,
    run_provider,
)

__all__ = ["issuer", "oidc_provider"]  # the fixtures, for pytest

pytestmark = pytest.mark.slow  # the real provider's process


def relying_party(
    issuer: str, client_id: str = CLIENT_ID, secret: str = "s", redirect: str = ""
) -> OidcProvider:
    return OidcProvider(
        ProviderConfig(
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            scopes="openid profile email",
            redirect_uri=redirect or TEST_SERVER + CALLBACK,
            post_logout_redirect_uri=TEST_SERVER + "/ui/login",
        )
    )


# -- the real provider ----------------------------------------------------------------
def genuine(party: OidcProvider, provider: RunningProvider, login: str) -> str:
    """An ID token the provider issues to `party` for `login` (nonce NONCE)."""
    verifier = secrets.token_urlsafe(48)
    url = party.authorization_url(state="s" * 43, nonce=NONCE, verifier=verifier)
    back = flow.at_provider(url, login, provider.issuer)
    code = dict(p.split("=", 1) for p in back.split("?", 1)[1].split("&"))["code"]
    return party.redeem(code, verifier)


def test_the_providers_own_token_passes_and_names_the_person(
    oidc_provider: RunningProvider,
) -> None:
    party = relying_party(oidc_provider.issuer, secret=oidc_provider.client_secret)
    token = genuine(party, oidc_provider, "jur")
    claims = party.verify(token, nonce=NONCE, now=oidc_provider.now())
    assert (claims["sub"], claims["preferred_username"]) == ("jur", "jur")
    assert claims["aud"] == CLIENT_ID
    with pytest.raises(IdTokenError, match=r"invalid_claim \(nonce\)"):
        party.verify(token, nonce="another-nonce", now=oidc_provider.now())
    later = oidc_provider.now() + timedelta(hours=1, minutes=2)
    with pytest.raises(IdTokenError, match=r"expired_token \(exp\)"):
        party.verify(token, nonce=NONCE, now=later)
    earlier = oidc_provider.now() - timedelta(minutes=2)
    with pytest.raises(IdTokenError, match=r"invalid_claim \(iat\)"):
        party.verify(token, nonce=NONCE, now=earlier)


def test_a_token_the_provider_issued_to_another_client_is_refused(
    oidc_provider: RunningProvider,
) -> None:
    other = relying_party(
        oidc_provider.issuer,
        client_id=OTHER_CLIENT_ID,
        secret=oidc_provider.other_secret,
        redirect=TEST_SERVER + "/other/callback",
    )
    token = genuine(other, oidc_provider, "jur")
    ours = relying_party(oidc_provider.issuer, secret=oidc_provider.client_secret)
    with pytest.raises(IdTokenError, match=r"invalid_claim \(aud\)"):
        ours.verify(token, nonce=NONCE, now=oidc_provider.now())


def test_the_providers_claims_signed_with_another_key_are_refused(
    oidc_provider: RunningProvider,
) -> None:
    party = relying_party(oidc_provider.issuer, secret=oidc_provider.client_secret)
    token = genuine(party, oidc_provider, "jur")
    real = jwt.decode(token, KeySet.import_key_set(_jwks(oidc_provider)))
    forged = jwt.encode(
        real.header, {**real.claims, "sub": "bra"}, RSAKey.generate_key(2048)
    )
    with pytest.raises(IdTokenError, match="bad_signature"):
        party.verify(forged, nonce=NONCE, now=oidc_provider.now())


def test_a_rotated_key_is_fetched_once_and_then_trusted(tmp_path: Path) -> None:
    """The provider starts again (same address, same clients) with a new key."""
    port, client_secrets = free_port(), ("rotation-secret", "other-secret")
    with run_provider(tmp_path, port=port, secrets_=client_secrets) as first:
        party = relying_party(first.issuer, secret=first.client_secret)
        before = genuine(party, first, "jur")
        party.verify(before, nonce=NONCE, now=first.now())  # its keys now cached
    with run_provider(tmp_path, port=port, secrets_=client_secrets) as second:
        assert second.issuer == first.issuer
        after = genuine(party, second, "jur")
        assert party.verify(after, nonce=NONCE, now=second.now())["sub"] == "jur"
        with pytest.raises(IdTokenError, match="invalid_key_id"):  # gone with it
            party.verify(before, nonce=NONCE, now=second.now())


def _jwks(provider: RunningProvider) -> Any:
    return httpx2.get(provider.metadata()["jwks_uri"]).json()


# -- an issuer of the test's own ------------------------------------------------------
def test_a_token_with_every_claim_right_passes(issuer: Issuer) -> None:
    party = relying_party(issuer.url)
    assert party.verify(issuer.token(), nonce=NONCE, now=NOW)["sub"] == "jur"
    several = issuer.token(aud=["another-api", CLIENT_ID], azp=CLIENT_ID)
    assert party.verify(several, nonce=NONCE, now=NOW)["sub"] == "jur"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://elsewhere.example"}, r"invalid_claim \(iss\)"),
        ({"iss": None}, r"missing_claim \(iss\)"),
        ({"aud": "another-client"}, r"invalid_claim \(aud\)"),
        ({"aud": ["another-api", CLIENT_ID]}, r"missing_claim \(azp\)"),
        ({"azp": "another-client"}, r"invalid_claim \(azp\)"),
        ({"exp": int(NOW.timestamp()) - 61}, r"expired_token \(exp\)"),
        ({"exp": None}, r"missing_claim \(exp\)"),
        ({"iat": int(NOW.timestamp()) + 61}, r"invalid_claim \(iat\)"),
        ({"iat": None}, r"missing_claim \(iat\)"),
        ({"nonce": None}, r"missing_claim \(nonce\)"),
        ({"nonce": "a-replayed-sign-ins-nonce"}, r"invalid_claim \(nonce\)"),
        ({"sub": None}, r"missing_claim \(sub\)"),
        ({"nbf": int(NOW.timestamp()) + 600}, r"invalid_claim \(nbf\)"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_a_wrong_or_missing_claim_is_refused(
    issuer: Issuer, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(IdTokenError, match=reason):
        relying_party(issuer.url).verify(issuer.token(**changes), nonce=NONCE, now=NOW)


def test_the_clock_may_differ_by_a_minute(issuer: Issuer) -> None:
    party = relying_party(issuer.url)
    now = int(NOW.timestamp())
    assert party.verify(issuer.token(exp=now - 59), nonce=NONCE, now=NOW)
    assert party.verify(issuer.token(iat=now + 59), nonce=NONCE, now=NOW)


def test_a_forged_signature_is_refused(issuer: Issuer) -> None:
    party = relying_party(issuer.url)
    impostor = RSAKey.generate_key(2048, parameters={"kid": "key-1"})  # same kid
    with pytest.raises(IdTokenError, match="bad_signature"):
        party.verify(issuer.token(key=impostor), nonce=NONCE, now=NOW)
    head, _, signature = issuer.token().split(".")
    tampered = issuer.token(sub="bra").split(".")[1]  # another person, same seal
    with pytest.raises(IdTokenError, match="bad_signature"):
        party.verify(f"{head}.{tampered}.{signature}", nonce=NONCE, now=NOW)


def test_an_unknown_key_is_looked_for_once_more_then_refused(issuer: Issuer) -> None:
    party = relying_party(issuer.url)
    party.verify(issuer.token(), nonce=NONCE, now=NOW)
    assert issuer.key_fetches == 1
    stranger = RSAKey.generate_key(2048, parameters={"kid": "key-9"})
    with pytest.raises(IdTokenError, match="invalid_key_id"):
        party.verify(issuer.token(key=stranger), nonce=NONCE, now=NOW)
    assert issuer.key_fetches == 2  # once more, not again and again
    rotated = RSAKey.generate_key(2048, parameters={"kid": "key-2"})
    issuer.published = [rotated]
    assert party.verify(issuer.token(key=rotated), nonce=NONCE, now=NOW)
    assert issuer.key_fetches == 3
    assert party.verify(issuer.token(key=rotated), nonce=NONCE, now=NOW)
    assert issuer.key_fetches == 3  # kept


def test_no_signature_and_the_client_secret_as_a_key_are_refused(
    issuer: Issuer,
) -> None:
    party = relying_party(issuer.url, secret="the-client-secret-0123456789abcdef")
    with pytest.raises(IdTokenError, match="unsupported_algorithm"):
        party.verify(_unsigned(issuer.claims()), nonce=NONCE, now=NOW)
    secret = OctKey.import_key("the-client-secret-0123456789abcdef")
    issuer.algorithms = ["RS256", "HS256"]  # even when the provider offers it
    hmac_signed = issuer.token(key=secret, alg="HS256")
    with pytest.raises(IdTokenError, match="unsupported_algorithm"):
        party.verify(hmac_signed, nonce=NONCE, now=NOW)


def test_an_algorithm_the_provider_does_not_announce_is_refused(
    issuer: Issuer,
) -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
    issuer.published = [issuer.key, ec]
    with pytest.raises(IdTokenError, match="unsupported_algorithm"):
        relying_party(issuer.url).verify(
            issuer.token(key=ec, alg="ES256"), nonce=NONCE, now=NOW
        )


@pytest.mark.parametrize("text", ["", "not-a-token", "a.b.c", "x" * 10_000])
def test_what_is_not_a_token_is_refused(issuer: Issuer, text: str) -> None:
    with pytest.raises(IdTokenError, match="decode_error"):
        relying_party(issuer.url).verify(text, nonce=NONCE, now=NOW)


def test_a_configuration_naming_another_issuer_is_refused(issuer: Issuer) -> None:
    party = relying_party(issuer.url + "/")  # not the issuer, character for character
    with pytest.raises(ProviderError, match="another issuer"):
        party.metadata()


def _unsigned(claims: dict[str, Any]) -> str:
    """A JWT with `alg: none` and no signature, as an attacker writes one."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
