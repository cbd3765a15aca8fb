"""What an exception in a test says: an observation of the environment, or a dependency that
kept the test from observing.

Only an observation is evidence: a check's own failure (a Diagnosis, an assert), an
object that was listed and is not there (`NotFound`) and an answer whose framing lies about
its body (`Misframed`). Anything else a test, a fixture or a
client raises (`Unreachable`, `Unreadable`, a client library's own error, a parser giving
up on hostile nesting) means the test did not run to a verdict: it is reported as
"not run", with the dependency it came from when the traceback shows one.
"""
from __future__ import annotations

import pytest

from icepack_verify.errors import Misframed, NotFound, Problem

# The session's connections, as the reports name them.
DEPENDENCIES = {"api": "Icepack API", "cluster": "Kubernetes", "database": "database"}

# Where a raising frame's module says which connection failed: our clients and the libraries under them.
CLIENT_MODULES = {
    "icepack_verify.api": "api", "icepack_verify.jobs": "api", "icepack_verify.schemathesis_adapter": "api",
    "httpx": "api", "httpcore": "api", "h11": "api",
    "icepack_verify.cluster": "cluster", "kubernetes": "cluster", "urllib3": "cluster",
    "icepack_verify.database": "database", "psycopg": "database", "psycopg_pool": "database",
}


def observed(exc: BaseException) -> bool:
    """Does the exception report something the environment did (evidence)?"""
    return isinstance(exc, (AssertionError, pytest.fail.Exception, NotFound, Misframed))


def unrelated(exc: BaseException) -> bool:
    """An exception of the check's own code, not from a dependency: neither evidence nor a dependency
    down, it stays an error (a suite bug must show as one)."""
    return not (isinstance(exc, (Problem, RecursionError, MemoryError)) or dependency_of(exc))


def dependency_of(exc: BaseException) -> str | None:
    """'api', 'cluster' or 'database': the deepest frame of a client the exception passed through."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        for prefix, name in CLIENT_MODULES.items():
            if module == prefix or module.startswith(prefix + "."):
                found = name
        tb = tb.tb_next
    return found


def cause_of(exc: BaseException) -> str:
    """One sentence: a Problem's own words, otherwise the exception's kind and first line."""
    if isinstance(exc, Problem):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "an answer nested too deep to read (RecursionError)"
    if getattr(exc, "status", None) and getattr(exc, "reason", None):  # an HTTP error (kubernetes' ApiException)
        first = f"{exc.status} {exc.reason}"
    else:
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    said = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return said if len(said) <= 300 else said[:300] + "..."
