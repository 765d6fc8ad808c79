"""`/ui/audit` and `/ui/audit.csv`: filters, paging, CSV, refusals."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from engine.cases.engine import CaseEngine
from service.present import AUDIT_COLUMNS, inert_cell
from tests.engine.audit.test_verify import tampering
from tests.service.conftest import snapshot
from tests.service.pages.conftest import Pages, closed_case, inquiry
from tests.service.pages.html import Element, parse

SECOND = "2024-0000010"


@pytest.fixture
def record(founding: str, api_engine: CaseEngine) -> dict[str, str]:
    """Three cases, eight entries:

    founding   open (bra, advisor) 3 Oct; send_inquiry, mark_dispatched (jur) 9 Oct
    SECOND     the same steps on 21 Oct
    closed     open and reject (bra) on 25 Nov, now
    """
    inquiry(api_engine, SECOND, "2024-10-21")
    return {"founding": founding, "second": SECOND, "closed": closed_case(api_engine)}


def _rows(page: Element) -> list[tuple[str, int]]:
    return [
        (row.attrs["data-case"], int(row.attrs["data-seq"]))
        for row in page.find_all("tr", class_="audit-row")
    ]


def _search(pages: Pages, query: str, user: str = "rev") -> Element:
    response = pages.as_user(user).get(f"/ui/audit{query}")
    assert response.status_code == 200, response.text
    return parse(response.text)


def test_the_form_has_every_filter_labelled(pages: Pages) -> None:
    page = _search(pages, "")
    form = page.find("form", id="audit-filter")
    assert form.attrs["method"] == "get"
    for name in ("case", "actor", "event", "since", "until"):
        field = form.find("input", name=name)
        assert page.find("label", for_=field.attrs["id"]).text
    assert form.find("input", name="since").attrs["type"] == "date"
    assert form.find("input", name="until").attrs["type"] == "date"
    role = form.find("select", name="role")
    options = [o.attrs["value"] for o in role.find_all("option")]
    assert options == ["", "intake", "caseworker", "advisor", "auditor", "system"]
    assert form.find("button", id="search").attrs["type"] == "submit"
    assert "til og med" in page.find(id="dates-hint").text.lower()


def test_without_filters_every_entry_in_order_of_case_and_step(
    pages: Pages, record: dict[str, str]
) -> None:
    page = _search(pages, "")
    assert _rows(page) == [
        (record["founding"], 1),
        (record["founding"], 2),
        (record["founding"], 3),
        (SECOND, 1),
        (SECOND, 2),
        (SECOND, 3),
        (record["closed"], 1),
        (record["closed"], 2),
    ]
    row = page.find("tr", class_="audit-row")
    cells = [c.text for c in row.find_all("td")]
    assert cells[:7] == [
        record["founding"],
        "1",
        "open",
        "\u2013",
        "opened",
        "bra",
        "advisor",
    ]
    assert cells[7] == "2024-10-03 10:00"
    assert cells[8].startswith("2024-11-25 10:00")  # imported: recorded later
    assert len(cells[9]) == 12  # the hash's first characters
    assert row.find("a").attrs["href"] == f"/ui/cases/{record['founding']}"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?case=2024-0000010", [(SECOND, 1), (SECOND, 2), (SECOND, 3)]),
        ("?actor=jur", [("F", 2), ("F", 3), (SECOND, 2), (SECOND, 3)]),
        ("?role=advisor", [("F", 1), (SECOND, 1), ("C", 1), ("C", 2)]),
        ("?event=send_inquiry", [("F", 2), (SECOND, 2)]),
        (
            "?since=2024-10-21",
            [(SECOND, 1), (SECOND, 2), (SECOND, 3), ("C", 1), ("C", 2)],
        ),
        ("?until=2024-10-09", [("F", 1), ("F", 2), ("F", 3)]),  # until is inclusive
        ("?until=2024-10-08", [("F", 1)]),
        ("?since=2024-10-09&until=2024-10-09", [("F", 2), ("F", 3)]),
        ("?actor=jur&since=2024-10-10", [(SECOND, 2), (SECOND, 3)]),
        ("?actor=nobody", []),
    ],
)
def test_each_filter_narrows_the_rows(
    pages: Pages,
    record: dict[str, str],
    query: str,
    expected: list[tuple[str, int]],
) -> None:
    names = {"F": record["founding"], "C": record["closed"]}
    wanted = [(names.get(case, case), seq) for case, seq in expected]
    page = _search(pages, query)
    assert _rows(page) == wanted
    if not wanted:
        assert (
            page.find(id="results-summary").text == "Ingen poster passer til søgningen."
        )


def test_a_search_naming_a_case_is_logged_as_a_read_of_its_record(
    pages: Pages, record: dict[str, str], api_engine: CaseEngine
) -> None:
    _search(pages, "?actor=jur")
    _search(pages, f"?case={record['founding']}")
    pages.as_user("rev").get(f"/ui/audit.csv?case={record['founding']}")
    reads = [(r.actor, r.action, r.case_number) for r in api_engine.reads()]
    assert reads == [("rev", "audit_log", record["founding"])] * 2


def _notes(engine: CaseEngine, number: str, n: int) -> None:
    for i in range(n):
        engine.fire(number, "note", actor="jur", document=f"Telefonnotat {i + 1}")


def test_fifty_rows_a_page_and_the_links_keep_the_filters(
    pages: Pages, record: dict[str, str], api_engine: CaseEngine
) -> None:
    _notes(api_engine, SECOND, 60)  # SECOND now has 63 entries
    first = _search(pages, f"?case={SECOND}")
    assert _rows(first) == [(SECOND, seq) for seq in range(1, 51)]
    assert not first.find_all("a", rel="prev")
    following = first.find("a", rel="next").attrs["href"]
    assert following == f"?case={SECOND}&page=2"
    second = _search(pages, following)
    assert _rows(second) == [(SECOND, seq) for seq in range(51, 64)]
    assert second.find("a", rel="prev").attrs["href"] == f"?case={SECOND}&page=1"
    assert not second.find_all("a", rel="next")
    assert (
        second.find(id="results-summary").text
        == "Poster 51\u201363, efter sag og trin."
    )


def test_the_csv_holds_every_row_the_search_finds(
    pages: Pages, record: dict[str, str], api_engine: CaseEngine
) -> None:
    _notes(api_engine, SECOND, 60)
    client = pages.as_user("bra")
    shown: list[tuple[str, int]] = []
    for number in (1, 2):
        shown += _rows(parse(client.get(f"/ui/audit?actor=jur&page={number}").text))
    assert len(shown) == 64
    link = parse(client.get("/ui/audit?actor=jur").text).find("a", id="csv")
    assert link.attrs["href"] == "/ui/audit.csv?actor=jur"
    response = client.get(link.attrs["href"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="audit.csv"'
    reader = csv.DictReader(io.StringIO(response.text))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == AUDIT_COLUMNS
    assert [(r["case"], int(r["seq"])) for r in rows] == shown
    assert {r["actor"] for r in rows} == {"jur"}
    assert rows[0]["at"] == "2024-10-09T07:30:00+00:00"


def test_the_spreadsheet_form_opens_in_a_danish_spreadsheet(
    pages: Pages, record: dict[str, str]
) -> None:
    """Semicolons, a byte-order mark, CRLF and Copenhagen times (#23)."""
    client = pages.as_user("bra")
    link = parse(client.get("/ui/audit?actor=jur").text).find("a", id="csv-excel")
    assert link.attrs["href"] == "/ui/audit.csv?actor=jur&excel=1"
    response = client.get(link.attrs["href"])
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="audit-excel.csv"'
    )
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8's byte-order mark
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0]["at"] == "2024-10-09 09:30:00"  # 07:30 UTC, summer time
    alone = parse(client.get("/ui/audit").text).find("a", id="csv-excel")
    assert alone.attrs["href"] == "/ui/audit.csv?excel=1"
    refused = client.get("/ui/audit.csv?excel=yes")
    assert refused.status_code == 400


def test_the_csv_defuses_cells_a_spreadsheet_would_run(
    pages: Pages, record: dict[str, str], db_path: Path
) -> None:
    with tampering(db_path) as conn:  # below the append-only triggers
        conn.execute(
            "UPDATE audit_entry SET actor = ?, event = ?, to_state = ?, document = ? "
            "WHERE case_number = ? AND seq = 2",
            ('=HYPERLINK("http://x")', "+cmd", "-1+2", "@SUM(A1)", SECOND),
        )
    response = pages.as_user("rev").get(f"/ui/audit.csv?case={SECOND}")
    row = list(csv.DictReader(io.StringIO(response.text)))[1]
    assert row["actor"] == '\'=HYPERLINK("http://x")'
    assert (row["event"], row["to"], row["document"]) == ("'+cmd", "'-1+2", "'@SUM(A1)")
    assert row["from"] == "opened"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (3, 3),
    ],
)
def test_inert_cell(value: object, expected: object) -> None:
    assert inert_cell(value) == expected


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?since=2024-13-01", "er ikke en dato"),
        ("?until=yesterday", "er ikke en dato"),
        ("?since=0001-01-01", "mellem 1970-01-01 og 2999-12-31"),
        ("?since=2024-11-02&until=2024-11-01", "Fra-datoen ligger efter til-datoen"),
        ("?role=king", "Ukendt rolle 'king'"),
        ("?case=2024-0000404", "ingen sag med nummeret 2024-0000404"),
        ("?actor=" + "x" * 129, "højst 128 tegn"),
    ],
)
def test_a_bad_filter_shows_the_form_again_with_a_400_and_reads_nothing(
    pages: Pages,
    record: dict[str, str],
    db_path: Path,
    query: str,
    words: str,
) -> None:
    client = pages.as_user("rev")
    before = snapshot(db_path)
    for path in ("/ui/audit", "/ui/audit.csv"):
        response = client.get(path + query)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        page = parse(response.text)
        alert = page.find("p", id="filter-error")
        assert alert.attrs["role"] == "alert"
        assert words in alert.text
        assert page.find("form", id="audit-filter")
        assert not page.find_all("tr", class_="audit-row")
    assert snapshot(db_path) == before


def test_an_unknown_parameter_is_refused(pages: Pages) -> None:
    response = pages.as_user("rev").get("/ui/audit?stat=closed")
    assert response.status_code == 400
    assert "stat" in parse(response.text).find(id="error-message").text
