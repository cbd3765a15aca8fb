import shlex
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from harness import ROOT, Twin


@pytest.fixture(scope="session")
def twin(tmp_path_factory):
    """One twin per worker for the whole self-test session; tests re-drive it with `twin.configure(...)`."""
    handle = Twin(tmp_path_factory.mktemp("twin"))
    yield handle
    handle.close()


@pytest.fixture(scope="module")
def proxied_twin(tmp_path_factory):
    """A twin behind its fault proxies (icepack_twin.faults), one per test module: the fault tests
    spoil its answers, so it is never the session's shared twin."""
    handle = Twin(tmp_path_factory.mktemp("proxied-twin"), extra=("--proxy",))
    yield handle
    handle.close()


@pytest.fixture
def faults(proxied_twin):
    """`faults(api={...}, kube={...}, postgres={...})` sets the proxies' faults for this test; cleared after it."""
    yield proxied_twin.set_faults
    proxied_twin.set_faults()


@pytest.fixture(scope="session")
def other_twin(tmp_path_factory):
    """A second twin, for the runs that compare two environments (--compare-with); started on first use."""
    handle = Twin(tmp_path_factory.mktemp("other-twin"))
    yield handle
    handle.close()


def dockerfile_pip() -> tuple[list[str], list[str]]:
    """The image's two pip commands, as the Dockerfile writes them: build the wheel, install it."""
    runs = [line.removeprefix("RUN ") for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
            if line.startswith("RUN ")]
    build = next(r for r in runs if r.startswith("pip wheel"))
    install = next(r for r in runs if r.startswith("pip install")).split("&&")[0]
    return shlex.split(build), shlex.split(install)


@pytest.fixture(scope="session")  # one wheel and venv per worker (the tests using it share an xdist group)
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh venv holding the wheel built from this checkout, built and installed by
    the Dockerfile's own pip commands (outside Docker: same arguments, paths mapped)."""
    folder = tmp_path_factory.mktemp("shipped")
    build, install = dockerfile_pip()
    dist = folder / "dist"
    build = [str(dist) if a == "/dist" else a for a in build]
    subprocess.run([sys.executable, "-m", *build], cwd=ROOT, check=True, capture_output=True)
    wheel = next(dist.glob("icepack_verify-*.whl"))
    venv.create(folder / "venv", with_pip=True)
    bin_dir = folder / "venv" / "bin"
    mapped = {"/tmp/constraints.txt": str(ROOT / "constraints.txt"), "/dist/*.whl": str(wheel)}
    install = [mapped.get(a, a) for a in install]
    subprocess.run([bin_dir / "python", "-m", *install, "-q"], check=True, capture_output=True)
    return bin_dir
