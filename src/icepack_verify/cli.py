"""`icepack-verify`: the packaged suite, run from any directory.

    icepack-verify --env stage [contracts smoke ...] [--environments=PATH] [any pytest option]

The wheel carries the suite exactly as the repository lays it out (conftest.py,
environments.toml, pyproject.toml's pytest settings, tests/), as the package
`icepack_verify_suite`; this runs pytest on it with the same options as `pytest --env ...`
inside a checkout. Suite names pick folders of tests/; everything else goes to pytest.
Paths (--environments, --junitxml, --report-json, ...) are relative to where you run it.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from pathlib import Path

SUITES = ("contracts", "data", "infra", "smoke", "compare")


def suite_root() -> Path:
    """The packaged suite's folder; in a checkout (or an editable install), the checkout."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "tests").is_dir() and (checkout / "environments.toml").is_file():
        return checkout
    spec = importlib.util.find_spec("icepack_verify_suite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("icepack-verify: the packaged suite (icepack_verify_suite) is not installed with this package")
    return Path(next(iter(spec.submodule_search_locations)))


def pytest_args(argv: list[str], root: Path) -> list[str]:
    chosen = [a for a in argv if a in SUITES]
    rest = [a for a in argv if a not in SUITES]
    paths = [str(root / "tests" / s) for s in chosen] or [str(root / "tests")]
    # Its own settings file and root, so the operator's directory (and its conftest.py or
    # pytest.ini) plays no part; no cache written into the installed package.
    return ["-c", str(root / "pyproject.toml"), "--rootdir", str(root), "-p", "no:cacheprovider", *rest, *paths]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--version" in argv or "-V" in argv:
        print(f"icepack-verify {importlib.metadata.version('icepack-verify')}")
        return 0
    if "--help" in argv or "-h" in argv:  # ours first; pytest's own help (the suite's options included) follows
        print(__doc__.strip() + "\n\nSuites: " + ", ".join(SUITES) + "\n\n" + "-" * 72 + "\n")
    # Only the plugins the suite uses: none of whatever else the environment has installed
    # (start-up time, and no stranger's hooks in a gate).
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    import pytest

    return int(pytest.main(pytest_args(argv, suite_root())))


if __name__ == "__main__":
    sys.exit(main())
