"""Every refusal is an HTML page with one message; never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from engine.cases.engine import CaseEngine
from engine.exceptions import SchemaError, StorageError
from service.pages.routes import dashboard
from tests.service.pages.conftest import Pages
from tests.service.pages.html import parse


def _error(response_text: str) -> tuple[str, str]:
    page = parse(response_text)
    return page.find("h1", id="error").text, page.find(id="error-message").text


def test_no_such_page_is_a_404_page(pages: Pages) -> None:
    for client in (pages.anonymous(), pages.as_user("rev")):
        response = client.get("/ui/nowhere")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert _error(response.text)[0] == "Ikke fundet"


def test_a_wrong_method_is_a_405_page(pages: Pages) -> None:
    response = pages.as_user("rev").post("/ui/audit")
    assert response.status_code == 405
    assert _error(response.text)[0] == "Metoden er ikke tilladt"


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (StorageError("database error: no such host db.internal"), "kan ikke nås"),
        (SchemaError("no sagsflow schema"), "ikke klar"),
    ],
)
def test_the_database_away_is_a_503_page_that_names_nothing_internal(
    pages: Pages,
    api_engine: CaseEngine,
    monkeypatch: pytest.MonkeyPatch,
    error: StorageError,
    words: str,
) -> None:
    client = pages.as_user("rev")

    @contextmanager
    def away(*, write: bool = True) -> Iterator[None]:
        raise error
        yield  # pragma: no cover

    monkeypatch.setattr(api_engine.store, "transaction", away)
    for path in ("/ui/", "/ui/cases/2024-0283489", "/ui/audit"):
        response = client.get(path)
        assert response.status_code == 503
        heading, message = _error(response.text)
        assert heading == "Tjenesten er ikke tilgængelig"
        assert words in message
        assert "db.internal" not in response.text
    login = pages.anonymous().post("/ui/login", data={"token": pages.tokens["rev"]})
    assert login.status_code == 503


def test_a_bug_is_a_500_page_without_a_traceback(
    pages: Pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(dashboard, "_counts", broken)
    response = pages.as_user("rev").get("/ui/")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert _error(response.text)[0] == "Uventet fejl"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_pages_are_sent_with_headers_that_keep_them_private(pages: Pages) -> None:
    response = pages.as_user("rev").get("/ui/")
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in response.text


def test_the_stylesheet_is_served_and_prints(pages: Pages) -> None:
    response = pages.anonymous().get("/ui/static/style.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "@media print" in response.text
    assert pages.anonymous().get("/ui/static/nothing.css").status_code == 404


def test_the_pages_are_not_in_the_api_document(pages: Pages) -> None:
    document = pages.anonymous().get("/openapi.json").json()
    listed = [p for p in document["paths"] if p in ("/", "/ui") or p.startswith("/ui/")]
    assert listed == []


def test_every_page_has_a_skip_link_landmarks_and_labels(
    pages: Pages, founding: str
) -> None:
    client = pages.as_user("bra")
    for path in ("/ui/", f"/ui/cases/{founding}", "/ui/audit", "/ui/audit/verify"):
        page = parse(client.get(path).text)
        assert page.find("a", class_="skip-link").attrs["href"] == "#main"
        assert page.find("header")
        assert page.find("main", id="main")
        assert page.find("nav")
        for field in page.find_all("input") + page.find_all("select"):
            if field.attrs.get("type") in ("hidden", "submit"):
                continue
            label = page.find_all("label", for_=field.attrs["id"])
            assert label or field.attrs.get("aria-label"), field.attrs
        for table in page.find_all("table"):
            assert table.find("caption").text
            assert all(
                th.attrs.get("scope") for th in table.find("thead").find_all("th")
            )


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
def test_a_body_over_the_limit_is_a_413_page(pages: Pages, streamed: bool) -> None:
    body = b"token=" + b"x" * (2 * 1024 * 1024)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 256 * 1024):
            yield body[start : start + 256 * 1024]

    response = pages.anonymous().post(
        "/ui/login",
        content=chunks() if streamed else body,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "origin": "http://testserver",
        },
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert _error(response.text)[0] == "For stor forespørgsel"
