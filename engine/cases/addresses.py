"""E-mail addresses of parties and users: one address each, well formed.

An address goes into a mail's `To:` header, so a value with a line break, a
list of addresses or a display name could send a letter somewhere else; each
is checked by email-validator: syntax only, nothing is looked up in DNS (an
office's own domains need not resolve from where sagsflow runs); special-use
names (`.local`, `.test`, `localhost`, ...) are refused. The address is not
echoed in the refusal: it is personal data.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from engine.exceptions import InvalidDataError
from engine.logs import contains_cpr


def check_address(address: str, what: str) -> None:
    """Refuse `address` unless it is one well-formed e-mail address.

    Args:
        address: the address as given.
        what: whose it is, for the message (`party 'authority'`, `user 'jur'`).

    Raises:
        InvalidDataError: not one valid address, or a CPR number in it.
    """
    if contains_cpr(address):
        raise InvalidDataError(f"{what}: an e-mail address must not hold a CPR number")
    try:
        validate_email(address, check_deliverability=False)  # syntax only: no DNS
    except EmailNotValidError as exc:
        raise InvalidDataError(
            f"{what}: the e-mail address is not one valid address ({exc})"
        ) from None
