"""Money: integer fen (分) inside, ``Decimal`` yuan with two places at every boundary."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from fundtrack.core.i18n import _

FEN_PER_YUAN = 100
TWO_PLACES = Decimal("0.01")
#: The largest amount one record may carry: 100 billion yuan, far above any provincial budget,
#: and far below the BIGINT limit, so sums of many records cannot overflow.
MAX_AMOUNT_FEN = 100_000_000_000 * FEN_PER_YUAN


#: ASCII digits only: Decimal() would also take full-width and other Unicode digits
AMOUNT_RE = re.compile(r"^[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?$")


class AmountError(ValueError):
    """An amount that is not a positive number of yuan with at most two decimals."""


def parse_yuan(value, *, allow_zero: bool = False, allow_negative: bool = False) -> int:
    """Parse a yuan amount (``"5180000.00"``, ``5180000`` or ``Decimal``) into integer fen.

    Floats and booleans are refused: they carry binary rounding error. Raises ``AmountError``.
    """
    if isinstance(value, (bool, float)):
        raise AmountError(_("金额须为字符串或整数，不能是浮点数"))
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip()
        # plain decimal notation only (no exponent, NaN or Infinity); commas only as
        # thousands separators
        if len(text) > 32 or not AMOUNT_RE.match(text):
            raise AmountError(_("金额格式不正确"))
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise AmountError(_("金额格式不正确")) from None
    else:
        raise AmountError(_("金额格式不正确"))
    if not amount.is_finite():
        raise AmountError(_("金额格式不正确"))
    if abs(amount) > MAX_AMOUNT_FEN / FEN_PER_YUAN:
        raise AmountError(_("金额超出允许范围"))
    if amount != amount.quantize(TWO_PLACES):
        raise AmountError(_("金额最多保留两位小数"))
    fen = int(amount * FEN_PER_YUAN)
    if fen == 0 and not allow_zero:
        raise AmountError(_("金额必须大于零"))
    if fen < 0 and not allow_negative:
        raise AmountError(_("金额不能为负数"))
    if abs(fen) > MAX_AMOUNT_FEN:
        raise AmountError(_("金额超出允许范围"))
    return fen


def fen_to_yuan(fen: int | None) -> Decimal | None:
    """Integer fen to a ``Decimal`` of yuan with exactly two places."""
    if fen is None:
        return None
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(TWO_PLACES)


def yuan_str(fen: int | None) -> str | None:
    """The API form: ``"5180000.00"``."""
    if fen is None:
        return None
    # integer arithmetic, exact like the Decimal and a few times faster (a balance list
    # formats thousands of amounts)
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"


def format_yuan(fen: int | None, unit: str = "yuan") -> str:
    """For pages: ``5,180,000.00`` in 元, or ``518`` in 万元 (up to four decimals, trimmed)."""
    if fen is None:
        return ""
    if unit == "wan":
        wan = (Decimal(int(fen)) / (FEN_PER_YUAN * 10_000)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )
        if wan == 0:
            wan = abs(wan)  # no "-0" for a few negative fen
        return f"{wan:,.4f}".rstrip("0").rstrip(".") if wan % 1 else f"{wan:,.0f}"
    return f"{fen_to_yuan(fen):,.2f}"


def ratio(numerator_fen: int, denominator_fen: int) -> Decimal | None:
    """A share such as an execution rate, as a Decimal with four places (0.1234 = 12.34 %)."""
    if not denominator_fen:
        return None
    return (Decimal(numerator_fen) / Decimal(denominator_fen)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


#: the capital numerals of financial documents: Chinese whatever the reader's language
_DIGITS = "零壹贰叁肆伍陆柒捌玖"  # zh-only: capital numerals of documents
_POSITIONS = ((1000, "仟"), (100, "佰"), (10, "拾"), (1, ""))  # zh-only: capital numerals
_SECTIONS = ("", "万", "亿", "万亿")  # zh-only: capital numerals


def _integer_in_words(number: int) -> str:
    groups = []
    while number:
        groups.append(number % 10_000)
        number //= 10_000
    words, zero_pending = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(words)
            continue
        if words and (group < 1000 or zero_pending):
            words += "零"  # zh-only: 大写
        zero_pending = False
        part, inner_zero = "", False
        for value, unit in _POSITIONS:
            digit = group // value % 10
            if digit == 0:
                inner_zero = bool(part)
            else:
                part += ("零" if inner_zero else "") + _DIGITS[digit] + unit  # zh-only: 大写
                inner_zero = False
        words += part + _SECTIONS[index]
    return words


def yuan_in_words(fen: int) -> str:
    """The capital numerals of Chinese financial documents (大写):
    518000000 fen → 人民币伍佰壹拾捌万元整; 100506 → 人民币壹仟零伍元零陆分."""
    if fen < 0:
        return "负" + yuan_in_words(-fen)  # zh-only: 大写
    yuan, rest = divmod(int(fen), 100)
    jiao, cents = divmod(rest, 10)
    words = _integer_in_words(yuan) + "元" if yuan else ""  # zh-only: 大写
    if not jiao and not cents:
        return "人民币" + (words or "零元") + "整"  # zh-only: 大写
    if jiao:
        words += _DIGITS[jiao] + "角"  # zh-only: 大写
    elif words:
        words += "零"  # zh-only: 大写
    if cents:
        words += _DIGITS[cents] + "分"  # zh-only: 大写
    return "人民币" + words  # zh-only: 大写
