"""Kubernetes resource quantities as apimachinery reads them (pkg/api/resource/quantity.go,
suffix.go):

    quantity  := sign? number suffix          (no whitespace anywhere)
    number    := digits | digits "." digits? | "." digits
    suffix    := binarySI | decimalSI | ( "e" | "E" ) signed-integer
    binarySI  := Ki | Mi | Gi | Ti | Pi | Ei                       (2^10 ... 2^60)
    decimalSI := n | u | m | "" | k | M | G | T | P | E            (10^-9 ... 10^18)

The API server keeps nano precision: a non-zero value is rounded away from zero to the next
multiple of 10^-9 ("if you want some resources, you should get some"), and capped at 2^63-1 in
magnitude. A number written in settings (TOML's 0.25, 2) is the quantity of its decimal form.
"""
from __future__ import annotations

import re
from decimal import ROUND_UP, Decimal, localcontext

NANO = Decimal("1e-9")
MAX_ALLOWED = Decimal(2 ** 63 - 1)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?|[eE][+-]?[0-9]+)",
                       re.ASCII)


def quantity_text(value: object) -> str | None:
    """A quantity as written: a string as is, a number (not a boolean) as its shortest decimal
    (0.1 is '0.1', 2.0 is '2'); None for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return value if isinstance(value, str) else None


def quantity(value: object) -> Decimal | None:
    """The value the API server stores for a quantity, or None when it is not one."""
    value = quantity_text(value)
    m = _QUANTITY.fullmatch(value) if value is not None else None
    if m is None:
        return None
    sign, number, suffix = m.groups()
    exponent = _DECIMAL.get(suffix, 0)
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        exponent = int(suffix[1:])
        if abs(exponent) > 2 ** 63 - 1:
            return None  # strconv.ParseInt refuses it
        exponent = max(-60, min(60, exponent))  # beyond either, the value rounds to 1n or caps: the same result
    with localcontext(prec=200):
        amount = Decimal(number) * 2 ** _BINARY[suffix] if suffix in _BINARY else Decimal(number).scaleb(exponent)
        if amount:  # round away from zero to nano precision, then cap (both on the magnitude)
            amount = min(amount.quantize(NANO, rounding=ROUND_UP), MAX_ALLOWED)
        return -amount if sign == "-" else +amount


def same_quantity(expected: object, actual: object) -> bool:
    """'1' CPU equals '1000m' and 1; '1Gi' equals '1024Mi'; a missing or bad quantity equals nothing."""
    e, a = quantity(expected), quantity(actual)
    return e is not None and a is not None and e == a


def effective_resources(resources: dict | None) -> dict[str, dict]:
    """requests and limits as the API server stores them: a request left out defaults to its limit."""
    resources = resources or {}
    limits = dict(resources.get("limits") or {})
    return {"requests": {**limits, **(resources.get("requests") or {})}, "limits": limits}
