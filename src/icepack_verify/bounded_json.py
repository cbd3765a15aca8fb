"""JSON as the suite reads it from a dependency: nesting bounded, numbers finite.

Python's json parser recurses once per nesting level: a body nested 100,000 deep ends in a
RecursionError (or a crashed interpreter), so the depth is measured first, by a scan of the
brackets outside strings, and a deeper body is not parsed at all. NaN, Infinity and numbers
like 1e400 (which parse to infinity) are not JSON values a contract can carry (RFC 8259 has
no such numbers; 1e400 fits no integer field): they are refused with where they stand.

What is evidence and what is not (the callers decide, this module only names the case):
    TooDeep            not parsed: we do not know what the body holds (not observed)
    InvalidJson        read and decoded, and not valid JSON (its syntax, its UTF-8, a
                       non-finite number): what the dependency serves (an observation)
"""
from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64  # checks.max_json_depth's default: no contract or Kubernetes object nests half as deep

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_NOT_BRACKETS = bytes(b for b in range(256) if not _STEP[b])


class TooDeep(ValueError):
    """Nested deeper than the bound: not parsed."""


class InvalidJson(ValueError):
    """Not valid JSON; `msg` and `pos` (a character offset) as json.JSONDecodeError has them."""

    def __init__(self, msg: str, pos: int):
        super().__init__(f"{msg} (character {pos})")
        self.msg, self.pos = msg, pos


def depth(data: bytes) -> int:
    """The deepest nesting of brackets outside strings (an unterminated string ends the scan:
    the parser stops there too). Linear, in C: a regex, a translate and an accumulate."""
    outside = _STRING.sub(b"", data).split(b'"', 1)[0]
    return max(accumulate(map(_STEP.__getitem__, outside.translate(None, _NOT_BRACKETS))), default=0)


def loads(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads with the nesting bounded and only finite numbers; raises TooDeep or InvalidJson
    (both ValueError)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if (deepest := depth(raw)) > max_depth:
        raise TooDeep(f"nested deeper than {max_depth} levels ({deepest if deepest < 10_000 else 'over 10,000'})")

    def refuse(token: str):
        at = raw.find(token.encode())
        raise InvalidJson(f"the number {token} is not finite (JSON numbers are finite)", max(at, 0))

    def finite(token: str) -> float:
        value = float(token)
        if value in (float("inf"), float("-inf")):
            refuse(token)
        return value

    try:
        return json.loads(raw, parse_constant=refuse, parse_float=finite)
    except InvalidJson:
        raise
    except json.JSONDecodeError as exc:
        raise InvalidJson(exc.msg, exc.pos) from None
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot start or continue a character",
                          exc.start) from None
    except RecursionError:  # below the bound only with a nearly full stack: still one sentence
        raise TooDeep(f"nested too deep for the parser (over {max_depth} levels allowed)") from None
    except ValueError as exc:  # an integer of over 4,300 digits
        raise InvalidJson(str(exc), 0) from None
