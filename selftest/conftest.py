import pytest

from harness import Twin


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
