"""Tests for `service.office`: the office's profile (`SAGSFLOW_OFFICE_FILE`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.exceptions import InvalidInputError
from service.office import OfficeProfile, Signer, default_office, load_office

EXAMPLE = Path(__file__).parents[2] / "examples" / "office.yaml"

TOML = """\
name = "Borgerrådgiveren"
unit = "Københavns Kommune"
address = ["Eksempelgade 1", "1599 København V"]
ean = "5798000000421"
phone = "33 00 00 00"

[[signers]]
name = "Anne Eksempel"
title = "Borgerrådgiver"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_is_the_founding_letters_office() -> None:
    office = load_office(EXAMPLE)
    assert (office.name, office.unit) == ("Borgerrådgiveren", "Københavns Kommune")
    assert office.address[-1] == "1599 København V"
    assert office.ean == "5798000000421"
    assert [s.title for s in office.signers] == ["Borgerrådgiver", "Specialkonsulent"]


def test_toml_reads_as_yaml_does(tmp_path: Path) -> None:
    office = load_office(write(tmp_path, "office.toml", TOML))
    assert office == OfficeProfile(
        name="Borgerrådgiveren",
        unit="Københavns Kommune",
        address=("Eksempelgade 1", "1599 København V"),
        ean="5798000000421",
        phone="33 00 00 00",
        signers=(Signer(name="Anne Eksempel", title="Borgerrådgiver"),),
    )


def test_a_name_alone_is_an_office(tmp_path: Path) -> None:
    office = load_office(write(tmp_path, "office.yml", "name: Ombudsmanden\n"))
    assert office == default_office("Ombudsmanden")
    assert (office.address, office.signers, office.ean) == ((), (), None)


def test_an_address_may_be_one_text_of_lines(tmp_path: Path) -> None:
    text = "name: X\naddress: |\n  Eksempelgade 1\n  1599 København V\n"
    office = load_office(write(tmp_path, "o.yaml", text))
    assert office.address == ("Eksempelgade 1", "1599 København V")


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        pytest.param("o.yaml", "unit: X\n", "field 'name' is missing", id="no-name"),
        pytest.param("o.yaml", "- a\n", "must hold a mapping", id="a-list"),
        pytest.param("o.yaml", "name: [\n", "not valid YAML", id="bad-yaml"),
        pytest.param("o.toml", "name = \n", "not valid TOML", id="bad-toml"),
        pytest.param("o.json", "{}", "name a .yaml, .yml or .toml", id="json"),
        pytest.param("o.yaml", "name: ''\n", "'name' must be a non-empty", id="empty"),
        pytest.param("o.yaml", "name: X\nphone: 5\n", "'phone' must be", id="phone"),
        pytest.param("o.yaml", "name: X\nfax: 1\n", "unknown field 'fax'", id="fax"),
        pytest.param(
            "o.yaml", "name: X\nean: '123'\n", "'ean' must be 13 digits", id="ean-short"
        ),
        pytest.param(
            "o.yaml",
            "name: X\nean: '5798000000422'\n",
            "'ean' 5798000000422 has a wrong check digit",
            id="ean-check-digit",
        ),
        pytest.param(
            "o.yaml", "name: X\naddress: [a, '']\n", "'address' must be", id="address"
        ),
        pytest.param(
            "o.yaml", "name: X\nsigners: A\n", "'signers' must be a list", id="signers"
        ),
        pytest.param(
            "o.yaml",
            "name: X\nsigners: [{name: A}]\n",
            "'signers[1]' must have exactly 'name' and 'title'",
            id="signer-no-title",
        ),
        pytest.param(
            "o.yaml",
            "name: X\nsigners: [{name: A, title: ''}]\n",
            "'signers[1]': name and title must be non-empty",
            id="signer-empty-title",
        ),
    ],
)
def test_a_bad_office_file_is_refused_naming_file_and_field(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(InvalidInputError) as caught:
        load_office(path)
    message = str(caught.value)
    assert message.startswith(f"office file {path}: ")
    assert problem in message
    assert "\n" not in message


def test_a_missing_or_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="No such file or directory"):
        load_office(tmp_path / "none.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: Borgerrådgiveren\n".encode("latin-1"))
    with pytest.raises(InvalidInputError, match="not UTF-8 text"):
        load_office(latin)
