"""Every mutation layer, imported once so each registers itself in icepack_twin.mutate.LAYERS."""
from icepack_twin.mutate import body, database, framing, kube, rows  # noqa: F401
