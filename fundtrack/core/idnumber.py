"""Resident ID numbers (GB 11643-1999): check digit and masking."""

from __future__ import annotations

import re
from datetime import date

from fundtrack.core.timeparse import local_today

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: full-width digits are refused


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def is_valid(number: str | None) -> bool:
    """18 characters, a real birth date and the right check digit."""
    if not number:
        return False
    number = number.strip().upper()
    if not _PATTERN.match(number):
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born > local_today() or born.year < 1900:
        return False
    return check_digit(number[:17]) == number[17]


def normalise(number: str) -> str:
    return number.strip().upper()


def mask(number: str | None) -> str | None:
    """``430481********123X`` style: region and last four only."""
    if not number:
        return number
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_account(account: str | None) -> str | None:
    """A bank account with only its last four characters: ************1234."""
    if not account:
        return account
    return "*" * max(len(account) - 4, 0) + account[-4:]
