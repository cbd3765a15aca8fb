"""`icepack-verify`: the packaged suite, run from any directory.

    icepack-verify --env stage [contracts smoke ...] [--environments=PATH] [any pytest option]
    icepack-verify init [--env NAME] [PATH]     write a starter environments file (default ./environments.toml)

By default the output is short: a dot per test, then the verdict, the rollback tier with its
evidence and one line per failure. `-v` adds pytest's per-test lines and each failure in
full; `--pytest-output` gives pytest's usual output (what `pytest --env ...` prints).

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


# The short form: no per-test lines (no paths into the installed package), no tracebacks and no
# short summary: the plugin's closing block says the verdict, the tier and each failure.
SHORT = ["-q", "--tb=no", "-rN"]
VERBOSE = ("-v", "-vv", "-vvv", "--verbose")


def installed(root: Path) -> bool:
    """Whether the suite runs from an installed package (not a checkout): nothing may be written into it."""
    import sysconfig

    return any(root.resolve().is_relative_to(Path(sysconfig.get_path(p)).resolve()) for p in ("purelib", "platlib"))


def record_baseline_command(env: str, root: Path, baseline_dir: Path | None) -> str:
    """The command that records an environment's OpenAPI baseline, as the operator runs the suite."""
    if installed(root):
        return (f"icepack-verify --env {env} --record-baseline --baseline-dir={baseline_dir or 'DIR'} "
                "contracts -k no_breaking_change")
    return (f"pytest --env {env} --record-baseline{f' --baseline-dir={baseline_dir}' if baseline_dir else ''} "
            "tests/contracts/test_openapi.py")


def recording_problem(option, root: Path) -> str | None:
    """Recording a baseline into the installed package (replaced on the next upgrade, often read-only)."""
    if option.record_baseline and not option.baseline_dir and installed(root):
        return ("--record-baseline needs --baseline-dir=DIR here: the suite runs from the installed package, "
                "which is no place to keep a baseline (an upgrade replaces it); pass the same --baseline-dir on every run")
    return None


def pytest_args(argv: list[str], root: Path) -> list[str]:
    chosen = [a for a in argv if a in SUITES]
    rest = [a for a in argv if a not in SUITES and a != "--pytest-output"]
    paths = [str(root / "tests" / s) for s in chosen] or [str(root / "tests")]
    short = [] if "--pytest-output" in argv or any(a in VERBOSE for a in argv) else SHORT
    # Its own settings file and root, so the operator's directory (and its conftest.py or
    # pytest.ini) plays no part; no cache written into the installed package.
    return ["-c", str(root / "pyproject.toml"), "--rootdir", str(root), "-p", "no:cacheprovider", *short, *rest, *paths]


def unknown_suites(args: list[str], invocation_dir: Path) -> str | None:
    """The one sentence for positional arguments that are neither a suite nor a path (a mistyped
    `contract`), naming the suites; None when every one is either."""
    unknown = [a for a in args if not (invocation_dir / a.split("::")[0]).exists()]
    if not unknown:
        return None
    return (f"{', '.join(map(repr, unknown))}: no such suite or test path; the suites are "
            f"{', '.join(SUITES)} (folders of tests/), e.g. `icepack-verify --env stage contracts smoke`")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--version" in argv or "-V" in argv:
        print(f"icepack-verify {importlib.metadata.version('icepack-verify')}")
        return 0
    if argv[:1] == ["init"]:
        from icepack_verify.starter import init

        return init(argv[1:])
    if "--help" in argv or "-h" in argv:  # ours first; pytest's own help (the suite's options included) follows
        print(__doc__.strip() + "\n\nSuites: " + ", ".join(SUITES) + "\n\n" + "-" * 72 + "\n")
    # Only the plugins the suite uses: none of whatever else the environment has installed
    # (start-up time, and no stranger's hooks in a gate).
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    import pytest

    return int(pytest.main(pytest_args(argv, suite_root())))


if __name__ == "__main__":
    sys.exit(main())
