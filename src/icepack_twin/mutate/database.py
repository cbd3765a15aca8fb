"""Mutation layer `database`: the database as the suite can read it: roles, grants and settings."""
from __future__ import annotations

from icepack_twin.mutate import register
from icepack_twin.mutate.model import BaseLayer


class _Database(BaseLayer):
    name = "database"


LAYER = register(_Database())
