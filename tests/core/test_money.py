"""Money: parsing yuan into integer fen and formatting fen for the API and for pages."""

from decimal import Decimal

import pytest

from fundtrack.core.money import (
    MAX_AMOUNT_FEN,
    AmountError,
    fen_to_yuan,
    format_yuan,
    parse_yuan,
    ratio,
    yuan_str,
)

# --- parse_yuan: what is accepted -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("5180000.00", 518_000_000),
        ("0.01", 1),
        ("0.10", 10),
        ("12.5", 1250),
        ("7", 700),
        (" 42.00 ", 4200),
        ("1,000.50", 100_050),
        ("1,234,567.89", 123_456_789),
        (5180000, 518_000_000),
        (1, 100),
        (Decimal("5180000.00"), 518_000_000),
        (Decimal("0.01"), 1),
        (Decimal("3"), 300),
    ],
)
def test_parse_yuan_accepts_strings_integers_and_decimals(value, fen):
    assert parse_yuan(value) == fen


def test_parse_yuan_returns_a_plain_int():
    assert type(parse_yuan("12.34")) is int
    assert type(parse_yuan(Decimal("12.34"))) is int


def test_parse_yuan_accepts_the_maximum_amount():
    assert parse_yuan(str(MAX_AMOUNT_FEN // 100) + ".00") == MAX_AMOUNT_FEN
    assert parse_yuan(MAX_AMOUNT_FEN // 100) == MAX_AMOUNT_FEN


# --- parse_yuan: what is refused --------------------------------------------------------------


@pytest.mark.parametrize("value", [1.5, 5180000.0, 0.1, True, False])
def test_parse_yuan_refuses_floats_and_booleans(value):
    with pytest.raises(AmountError, match="浮点数"):
        parse_yuan(value)


@pytest.mark.parametrize("value", ["0.001", "1.005", "12.345", Decimal("0.001"), "0.009"])
def test_parse_yuan_refuses_more_than_two_decimals(value):
    with pytest.raises(AmountError, match="两位小数"):
        parse_yuan(value)


@pytest.mark.parametrize("value", ["0", "0.00", "-0", 0, Decimal("0.00")])
def test_parse_yuan_refuses_zero_by_default(value):
    with pytest.raises(AmountError, match="大于零"):
        parse_yuan(value)


@pytest.mark.parametrize("value", ["0", "0.00", 0, Decimal("0")])
def test_parse_yuan_accepts_zero_when_allowed(value):
    assert parse_yuan(value, allow_zero=True) == 0


@pytest.mark.parametrize("value", ["-1.00", "-0.01", -5, Decimal("-2.50")])
def test_parse_yuan_refuses_negatives_by_default(value):
    with pytest.raises(AmountError, match="负数"):
        parse_yuan(value)


@pytest.mark.parametrize("value", ["-0.01", "-1,000.50", -5, Decimal("-2.50")])
def test_parse_yuan_refuses_negatives_even_when_zero_is_allowed(value):
    with pytest.raises(AmountError):
        parse_yuan(value, allow_zero=True)


@pytest.mark.parametrize(
    ("value", "fen"), [("-1.00", -100), ("-0.01", -1), (-5, -500), ("-1,000.50", -100_050)]
)
def test_parse_yuan_accepts_negatives_when_allowed(value, fen):
    assert parse_yuan(value, allow_negative=True) == fen


def test_parse_yuan_allow_negative_does_not_allow_zero():
    with pytest.raises(AmountError, match="大于零"):
        parse_yuan("0.00", allow_negative=True)


@pytest.mark.parametrize(
    "value",
    [
        "100000000000.01",
        MAX_AMOUNT_FEN // 100 + 1,
        Decimal("100000000000.01"),
        "999999999999.99",
    ],
)
def test_parse_yuan_refuses_amounts_above_the_maximum(value):
    with pytest.raises(AmountError, match="超出"):
        parse_yuan(value)


def test_parse_yuan_refuses_large_negatives_even_when_negatives_are_allowed():
    with pytest.raises(AmountError, match="超出"):
        parse_yuan("-100000000000.01", allow_negative=True)


@pytest.mark.parametrize(
    "value",
    [
        # far beyond the maximum: must still be an AmountError (a 422 for the API), not a
        # decimal.InvalidOperation escaping from Decimal.quantize
        "1e30",
        "123456789012345678901234567.89",
        10**30,
        Decimal("1E+30"),
    ],
)
def test_parse_yuan_refuses_huge_amounts_with_an_amount_error(value):
    with pytest.raises(AmountError):
        parse_yuan(value)


@pytest.mark.parametrize(
    "value",
    ["", "   ", "abc", "12abc", "1.2.3", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf"],
)
def test_parse_yuan_refuses_text_that_is_not_a_finite_number(value):
    with pytest.raises(AmountError, match="格式不正确"):
        parse_yuan(value)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_parse_yuan_refuses_non_finite_decimals(value):
    with pytest.raises(AmountError, match="格式不正确"):
        parse_yuan(value)


@pytest.mark.parametrize("value", [None, b"5.00", [5], {"amount": "5"}])
def test_parse_yuan_refuses_other_types(value):
    with pytest.raises(AmountError, match="格式不正确"):
        parse_yuan(value)


def test_parse_yuan_refuses_overlong_text():
    with pytest.raises(AmountError, match="格式不正确"):
        parse_yuan("0" * 30 + "1.00")


@pytest.mark.parametrize(
    "value",
    [
        # scientific notation is not how anyone writes an amount of money: "1e3" is a typo or
        # an attack, and must not silently become 1000 yuan
        "1e3",
        "1E3",
        "5e-2",
        # underscores are a Python literal feature, not an amount format
        "1_000",
        "1_000.00",
        # a comma that is not a thousands separator: "1,00" is 1.00 in European notation and
        # must not be read as 100 yuan
        "1,00",
        "12,34",
        "1,0,0",
        "1,000,0.00",
    ],
)
def test_parse_yuan_refuses_notations_other_than_plain_decimals(value):
    with pytest.raises(AmountError):
        parse_yuan(value)


def test_amount_error_is_a_value_error():
    assert issubclass(AmountError, ValueError)


# --- fen_to_yuan and yuan_str ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "yuan"),
    [
        (518_000_000, Decimal("5180000.00")),
        (1, Decimal("0.01")),
        (0, Decimal("0.00")),
        (-250, Decimal("-2.50")),
    ],
)
def test_fen_to_yuan(fen, yuan):
    result = fen_to_yuan(fen)
    assert result == yuan
    assert result.as_tuple().exponent == -2


def test_fen_to_yuan_passes_none_through():
    assert fen_to_yuan(None) is None


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (518_000_000, "5180000.00"),
        (1, "0.01"),
        (10, "0.10"),
        (0, "0.00"),
        (-5, "-0.05"),
        (MAX_AMOUNT_FEN, "100000000000.00"),
    ],
)
def test_yuan_str(fen, text):
    assert yuan_str(fen) == text


def test_yuan_str_passes_none_through():
    assert yuan_str(None) is None


@pytest.mark.parametrize("text", ["5180000.00", "0.01", "1234567.89", "100000000000.00"])
def test_yuan_str_round_trips_through_parse_yuan(text):
    assert yuan_str(parse_yuan(text)) == text


# --- format_yuan ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (518_000_000, "5,180,000.00"),
        (123_456_789, "1,234,567.89"),
        (100_000, "1,000.00"),
        (99_999, "999.99"),
        (1, "0.01"),
        (0, "0.00"),
        (-123_456_789, "-1,234,567.89"),
        (MAX_AMOUNT_FEN, "100,000,000,000.00"),
    ],
)
def test_format_yuan_in_yuan_with_thousands_separators(fen, text):
    assert format_yuan(fen) == text
    assert format_yuan(fen, unit="yuan") == text


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (518_000_000, "518"),
        (3_833_000_000, "3,833"),  # 3833 万元
        (123_456_789, "123.4568"),
        (15_000_000, "15"),
        (15_500_000, "15.5"),
        (5_000, "0.005"),
        (50, "0.0001"),  # half a yuan rounds half up to 0.0001 万元
        (49, "0"),
        (-123_456_789, "-123.4568"),
        (MAX_AMOUNT_FEN, "10,000,000"),
    ],
)
def test_format_yuan_in_wan(fen, text):
    assert format_yuan(fen, unit="wan") == text


def test_format_yuan_in_wan_never_shows_a_negative_zero():
    # -0.01 yuan rounds to zero 万元, which must read "0", not "-0"
    assert format_yuan(-1, unit="wan") == "0"


@pytest.mark.parametrize("unit", ["yuan", "wan"])
def test_format_yuan_of_none_is_empty(unit):
    assert format_yuan(None, unit=unit) == ""


# --- ratio ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "share"),
    [
        (1, 3, Decimal("0.3333")),
        (2, 3, Decimal("0.6667")),
        (1, 8, Decimal("0.1250")),
        (1, 20_000, Decimal("0.0001")),  # 0.00005 rounds half up
        (0, 500, Decimal("0.0000")),
        (500, 500, Decimal("1.0000")),
        (750, 500, Decimal("1.5000")),
        (-1, 3, Decimal("-0.3333")),
    ],
)
def test_ratio(numerator, denominator, share):
    result = ratio(numerator, denominator)
    assert result == share
    assert result.as_tuple().exponent == -4


@pytest.mark.parametrize("numerator", [0, 1, 518_000_000])
def test_ratio_with_zero_denominator_is_none(numerator):
    assert ratio(numerator, 0) is None
