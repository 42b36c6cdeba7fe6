"""Resident ID numbers (GB 11643-1999): validation and masking."""

import pytest

from fundtrack.core.idnumber import check_digit, is_valid, mask, normalise


def make(first17: str) -> str:
    """A valid 18-character number from its first 17 digits."""
    return first17 + check_digit(first17)


#: 430481 (耒阳市), born 1990-01-01, sequence 123; its check digit happens to be X
VALID_X = make("43048119900101123")
#: one whose check digit is a digit
VALID_DIGIT = make("11010519491231002")


def test_check_digit_of_the_standard_example():
    # the worked example of GB 11643-1999: 11010519491231002X
    assert check_digit("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("first17", "digit"),
    [
        ("43048119900101123", "X"),
        ("44030819800808001", "3"),
        ("44030819800808104", "0"),
        ("44030819800808109", "1"),
        ("51010719991231888", "1"),
    ],
)
def test_check_digit(first17, digit):
    assert check_digit(first17) == digit


def test_check_digit_needs_exactly_17_digits():
    with pytest.raises(ValueError):
        check_digit("4304811990010112")


@pytest.mark.parametrize(
    "first17",
    [
        "43048119900101123",
        "11010519491231002",
        "44030819800808001",
        "51010719991231888",
        "43010220000229456",  # 29 February of a leap year
        "65010119000101000",
    ],
)
def test_is_valid_accepts_numbers_with_the_right_check_digit(first17):
    assert is_valid(make(first17))


def test_is_valid_accepts_surrounding_whitespace():
    assert is_valid(f"  {VALID_X}\n")


def test_is_valid_accepts_a_lowercase_x():
    assert VALID_X.endswith("X")
    assert is_valid(VALID_X.lower())


def test_normalise_uppercases_the_x_and_strips():
    assert normalise(f" {VALID_X.lower()} ") == VALID_X


@pytest.mark.parametrize("number", [VALID_X, VALID_DIGIT])
def test_is_valid_refuses_every_wrong_check_digit(number):
    for wrong in "0123456789X":
        if wrong != number[-1]:
            assert not is_valid(number[:17] + wrong), wrong


def test_is_valid_refuses_a_single_changed_digit():
    changed = VALID_DIGIT[:10] + str((int(VALID_DIGIT[10]) + 1) % 10) + VALID_DIGIT[11:]
    assert not is_valid(changed)


@pytest.mark.parametrize(
    "birth",
    [
        "19990231",  # 31 February
        "19990229",  # 29 February of a common year
        "19001329",  # month 13
        "19900001",  # month 0
        "19900100",  # day 0
        "19900431",  # 31 April
        "00000101",  # year 0
    ],
)
def test_is_valid_refuses_an_impossible_birth_date(birth):
    # the check digit is right, so only the date can make it fail
    assert not is_valid(make("430481" + birth + "123"))


@pytest.mark.parametrize(
    "number",
    [
        VALID_X[:17],  # 17 characters
        VALID_X + "1",  # 19 characters
        "430481900101123",  # a 15-digit first-generation number
        make("43048119900101123")[1:],
    ],
)
def test_is_valid_refuses_the_wrong_length(number):
    assert not is_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "4304811990010112X3",  # X only allowed last
        "43048119900101123Y",
        "430481-19900101-123X",
        "43048119900101 123X",
        "ABCDEFGHIJKLMNOPQR",
    ],
)
def test_is_valid_refuses_non_digits(number):
    assert not is_valid(number)


@pytest.mark.parametrize("number", [None, "", "   "])
def test_is_valid_refuses_nothing(number):
    assert not is_valid(number)


@pytest.mark.parametrize(
    "digits",
    [
        "０１２３４５６７８９",  # full-width digits, as typed with a Chinese input method
        "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic digits
    ],
)
def test_a_number_that_passes_is_stored_in_ascii(digits):
    # ID numbers are unique per beneficiary and caps are checked per person: a number written
    # with other digits must either be refused or normalised to the same ASCII number,
    # otherwise the same person can be registered twice.
    other = VALID_X.translate(str.maketrans("0123456789", digits))
    assert not is_valid(other) or normalise(other) == VALID_X


# --- mask ------------------------------------------------------------------------------------


def test_mask_keeps_the_first_six_and_the_last_four():
    assert mask("43048119900101123X") == "430481********123X"


@pytest.mark.parametrize("number", [VALID_X, VALID_DIGIT, "430481900101123"])
def test_mask_hides_the_middle_and_keeps_the_length(number):
    masked = mask(number)
    assert len(masked) == len(number)
    assert masked[:6] == number[:6]
    assert masked[-4:] == number[-4:]
    assert set(masked[6:-4]) == {"*"}


def test_mask_hides_the_birth_date():
    assert "19900101" not in mask(VALID_X)


@pytest.mark.parametrize("number", [None, ""])
def test_mask_passes_nothing_through(number):
    assert mask(number) == number


@pytest.mark.parametrize("number", ["12345", "123456789"])
def test_mask_of_a_short_value_neither_grows_nor_shows_it_whole(number):
    # payee ID numbers are not validated, so mask can meet any string
    masked = mask(number)
    assert len(masked) == len(number)
    assert "*" in masked
