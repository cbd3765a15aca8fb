"""The project's standing promises, checked on the source itself."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return {n.split(".")[0] for n in names}


def py_files(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in sorted((ROOT / d).rglob("*.py"))]


@pytest.mark.parametrize("path", py_files("src/icepack_verify", "tests"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_suite_never_imports_the_twin(path):
    assert "icepack_twin" not in imported_modules(path)


@pytest.mark.parametrize("path", py_files("src/icepack_twin"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_twin_never_imports_the_suite(path):
    assert "icepack_verify" not in imported_modules(path)


# The deployment document's environment-specific numbers belong in environments.toml only.
ENV_LITERALS = re.compile(r"""["'](250m|500m|256Mi|512Mi|1Gi|8Gi)["']|\b(411706531007|174558682303|391322830928|857967394368)\b"""
                          r"""|["'](30 \* \* \* \*|0 \*/2 \* \* \*|\*/15 \* \* \* \*)["']""")


@pytest.mark.parametrize("path", py_files("tests"), ids=lambda p: str(p.relative_to(ROOT)))
def test_tests_hold_no_environment_numbers(path):
    hits = [f"{path.name}:{n}: {line.strip()}" for n, line in enumerate(path.read_text().splitlines(), 1)
            if ENV_LITERALS.search(line)]
    assert not hits, "\n".join(hits)


def test_the_cluster_wrapper_offers_no_write_call():
    """Read-only by construction: the Kubernetes wrapper calls only list_* and read_* client methods."""
    source = (ROOT / "src/icepack_verify/cluster.py").read_text()
    calls = set(re.findall(r"\.((?:create|patch|replace|delete|list|read|connect)_[a-z_]+)\(", source))
    assert calls and all(c.startswith(("list_", "read_")) for c in calls), calls
