"""Arabic numerals in Mandarin text, written out in Han characters as they are read aloud.

Whisper writes the numbers it hears in Mandarin speech as digits ("我是到了12", "50"); pypinyin has no reading
for digits, so without this their speech would get no phones. The readings follow the standard conventions of
Mandarin numerals (e.g. Yip Po-Ching and Don Rimmington, "Chinese: A Comprehensive Grammar", 2004, ch. 5):

- cardinals below 10^12 by myriads (万 10^4, 亿 10^8): 12 十二, 50 五十, 105 一百零五, 10005 一万零五,
  120000 十二万; one 零 for a run of zeros inside a number, none at its end;
- four digits before 年 are a year, read digit by digit: 2024年 二零二四年;
- digit strings with a leading zero or of more than 12 digits (codes, telephone numbers) digit by digit;
- decimals with 点 and the fraction digit by digit: 3.14 三点一四; a percentage: 50% 百分之五十;
- thousands separators are dropped (1,000 一千).

二 is used throughout (两, before measure words, has the same mouth: the lips meet neither).
"""

import re

_DIGITS = "零一二三四五六七八九"
_NUMBER = re.compile(r"(?P<integer>\d{1,3}(?:,\d{3})+|\d+)(?P<fraction>\.\d+)?(?P<percent>[%％])?(?P<year>年)?")
_MAX_CARDINAL_DIGITS = 12


def digit_by_digit(digits: str) -> str:
    """Each digit of a string of digits as its numeral: ``"2024"`` -> ``"二零二四"``."""
    return "".join(_DIGITS[int(d)] for d in digits)


def _below_10000(n: int) -> str:
    """1 <= n <= 9999 read as a cardinal, with 零 for the zeros inside and none at the end."""
    parts, zero = [], False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            zero = bool(parts)
            continue
        if zero:
            parts.append("零")
            zero = False
        parts.append(_DIGITS[digit] + unit)
    return "".join(parts)


def cardinal(n: int) -> str:
    """A whole number 0 <= n < 10^12 as read in Mandarin: ``12`` -> ``"十二"``, ``10005`` -> ``"一万零五"``.

    Raises:
        ValueError: for a number outside [0, 10^12).
    """
    if not 0 <= n < 10**_MAX_CARDINAL_DIGITS:
        raise ValueError(f"cardinal reads 0 <= n < 10^{_MAX_CARDINAL_DIGITS}, got {n}")
    if n == 0:
        return _DIGITS[0]
    parts, zero = [], False
    for value, unit in ((10**8, "亿"), (10**4, "万"), (1, "")):
        group = n // value % 10**4
        if group == 0:
            zero = bool(parts)
            continue
        if parts and (zero or group < 1000):
            parts.append("零")
        parts.append(_below_10000(group) + unit)
        zero = False
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text  # 十二, 十二万: the leading 一 of 1x is not said


def _reading(match: re.Match) -> str:
    integer, fraction = match["integer"].replace(",", ""), match["fraction"]
    if match["year"] and len(integer) == 4 and not fraction and not match["percent"]:
        return digit_by_digit(integer) + "年"
    if (len(integer) > 1 and integer.startswith("0")) or len(integer) > _MAX_CARDINAL_DIGITS:
        text = digit_by_digit(integer)
    else:
        text = cardinal(int(integer))
    if fraction:
        text += "点" + digit_by_digit(fraction[1:])
    if match["percent"]:
        text = "百分之" + text
    return text + (match["year"] or "")


def read_numbers(text: str) -> str:
    """``text`` with every number in Arabic numerals (ASCII or full-width) written out in Han characters.

    Examples: ``"我是到了12"`` -> ``"我是到了十二"``; ``"2024年涨了3.5%"`` -> ``"二零二四年涨了百分之三点五"``.
    """
    return _NUMBER.sub(_reading, text)
