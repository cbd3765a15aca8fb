"""Read-only decoding of Helm 3 release records (Secrets of type helm.sh/release.v1).

Helm stores a release as gzip(JSON), base64-encoded, in the Secret's ``data.release``;
the Kubernetes API base64-encodes Secret data once more. Nothing here talks to a cluster.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import json

_GZIP_MAGIC = b"\x1f\x8b\x08"


class BadRelease(Exception):
    """The release record could not be decoded; the message is one sentence."""


def newest_release(secrets: list[dict]) -> dict | None:
    """The release Secret with the highest revision (label ``version``), or None."""
    def revision(secret: dict) -> int:
        try:
            return int(secret["metadata"].get("labels", {}).get("version", -1))
        except (TypeError, ValueError):
            return -1
    return max(secrets, key=revision, default=None)


def decode_release(secret: dict) -> dict:
    """The release JSON of a Helm 3 release Secret."""
    name = secret.get("metadata", {}).get("name", "?")
    try:
        blob = base64.b64decode(secret["data"]["release"], validate=True)  # the Secret's own encoding
        raw = base64.b64decode(blob, validate=True)                          # Helm's encoding
        if raw[:3] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except KeyError:
        raise BadRelease(f"Secret {name} has no data.release") from None
    except (binascii.Error, OSError, EOFError, ValueError) as exc:
        raise BadRelease(f"Secret {name}: data.release is not a Helm 3 release record ({type(exc).__name__})") from None


def chart_version(release: dict) -> str | None:
    return ((release.get("chart") or {}).get("metadata") or {}).get("version")


def release_status(release: dict) -> str | None:
    return (release.get("info") or {}).get("status")


def release_values(release: dict) -> dict:
    """The values a release was deployed with: the chart's defaults under the supplied ones, as Helm merges them."""
    def merge(base: dict, over: dict) -> dict:
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        return out
    return merge(((release.get("chart") or {}).get("values")) or {}, release.get("config") or {})


def value_at(values: dict, dotted: str):
    """values['postgres']['internal']['enabled'] for 'postgres.internal.enabled'; None when absent."""
    for key in dotted.split("."):
        values = values.get(key) if isinstance(values, dict) else None
    return values
