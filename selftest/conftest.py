import pytest

from harness import TwinHandle


@pytest.fixture(scope="session")
def twin(tmp_path_factory):
    """One twin for the whole self-test session; tests re-drive it with `twin.configure(...)`."""
    handle = TwinHandle(tmp_path_factory.mktemp("twin"))
    yield handle
    handle.close()
