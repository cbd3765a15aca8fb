"""Quantities as apimachinery's resource.ParseQuantity reads them (quantity.go grammar and rounding,
suffix.go); each case cites its rule."""
from __future__ import annotations

from decimal import Decimal

import pytest

from icepack_verify.quantities import MAX_ALLOWED, quantity, same_quantity


@pytest.mark.parametrize("text, value", [
    ("1", "1"), ("0", "0"), ("-1", "-1"), ("+1", "1"),          # <signedNumber>
    ("1.5", "1.5"), (".5", "0.5"), ("5.", "5"),                 # <digits>.<digits> | .<digits> | <digits>.
    ("250m", "0.25"), ("1n", "0.000000001"), ("1u", "0.000001"), ("1k", "1000"),   # <decimalSI>
    ("1M", "1000000"), ("1G", "1e9"), ("1T", "1e12"), ("1P", "1e15"), ("1E", "1e18"),
    ("1Ki", "1024"), ("1Mi", "1048576"), ("1Gi", "1073741824"), ("1.5Ki", "1536"),   # <binarySI>
    ("1e3", "1000"), ("1E3", "1000"), ("1e+3", "1000"), ("1e-3", "0.001"), ("2.5e2", "250"),  # <decimalExponent>
    # rounding: a non-zero value below nano precision is rounded up, away from zero
    ("0.0000000001", "0.000000001"), ("-0.0000000001", "-0.000000001"), ("1.0000000001", "1.000000001"),
    ("1e-400", "0.000000001"),
    # the cap: magnitude at most 2^63-1
    ("1e400", MAX_ALLOWED), ("-1e400", -MAX_ALLOWED), ("99999999999999999999", MAX_ALLOWED),
])
def test_parses_as_apimachinery(text, value):
    assert quantity(text) == Decimal(value)


@pytest.mark.parametrize("text, rule", [
    (" 1", "no whitespace: leading"), ("1 ", "no whitespace: trailing"), ("1 Gi", "no whitespace: before the suffix"),
    ("", "an empty string is ErrFormatWrong"), (".", "a number has a digit"), ("+", "a sign alone"),
    ("1Ki1", "nothing after a suffix"), ("1e1.5", "an exponent is an integer"), ("1kb", "unknown suffix"),
    ("1KI", "binary suffixes are case-sensitive"), ("0x10", "decimal digits only"), ("1m2", "nothing after a suffix"),
    ("Gi", "a suffix needs a number"), ("--1", "one sign"), ("1e99999999999999999999", "exponent beyond int64"),
    (True, "a boolean is not a number"), (None, "nothing"), ([1], "not a scalar"),
])
def test_refused_as_apimachinery_refuses(text, rule):
    assert quantity(text) is None, rule


@pytest.mark.parametrize("a, b", [
    ("1", "1000m"), ("0.25", "250m"), ("1Gi", "1024Mi"), ("1k", "1000"), ("1e3", "1k"),
    # a number in settings (TOML) is the quantity of its decimal form
    (0.25, "250m"), (2, "2"), (0.1, "100m"), (1.5, "1500m"), (1e3, "1k"),
    # both round to the same nano value
    ("0.0000000001", "1n"),
])
def test_same_quantity(a, b):
    assert same_quantity(a, b) and same_quantity(b, a)


@pytest.mark.parametrize("a, b", [("1", "1001m"), ("1Gi", "1G"), ("1", " 1"), ("1", None), (None, None), (True, "1")])
def test_not_the_same_quantity(a, b):
    assert not same_quantity(a, b)


def test_a_number_in_settings_is_its_quantity():
    """environments.toml may write `cpu = 0.25`: read as '0.25', equal to the API server's '250m'."""
    from icepack_verify.environments import Resources

    assert same_quantity(Resources(cpu=0.25, memory="256Mi").cpu, "250m")
    assert Resources(cpu=2, memory="1Gi").cpu == "2"
    for bad in (" 1", "1 Gi", True, "lots"):
        with pytest.raises(ValueError, match="is not a Kubernetes quantity"):
            Resources(cpu=bad, memory="1Gi")
