import pytest

from harness import Twin


@pytest.fixture(scope="session")
def twin(tmp_path_factory):
    """One twin per worker for the whole self-test session; tests re-drive it with `twin.configure(...)`."""
    handle = Twin(tmp_path_factory.mktemp("twin"))
    yield handle
    handle.close()


@pytest.fixture(scope="session")
def other_twin(tmp_path_factory):
    """A second twin, for the runs that compare two environments (--compare-with); started on first use."""
    handle = Twin(tmp_path_factory.mktemp("other-twin"))
    yield handle
    handle.close()
