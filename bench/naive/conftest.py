"""The naive baseline's settings: the same environment, read the simple way (no plugin, no preflight)."""
import os

import pytest

from icepack_verify.environments import load

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def env():
    return load(os.path.join(ROOT, "environments.toml"), os.environ.get("NAIVE_ENV", "local"))
