"""Read-only decoding of Helm 3 release records (Secrets of type helm.sh/release.v1).

Helm stores a release as gzip(JSON), base64-encoded, in the Secret's ``data.release``;
the Kubernetes API base64-encodes Secret data once more. Nothing here talks to a cluster.
"""
from __future__ import annotations

import base64
import binascii
import zlib

from icepack_verify import bounded_json

_GZIP_MAGIC = b"\x1f\x8b\x08"
MAX_RELEASE_BYTES = 32 * 1024 * 1024  # a release record inflated (its Secret holds at most 1 MiB of gzip)


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


def decode_release(secret: dict, max_bytes: int = MAX_RELEASE_BYTES) -> dict:
    """The release JSON of a Helm 3 release Secret: inflated to at most `max_bytes`, its JSON
    parsed with the nesting bounded (bounded_json)."""
    name = (secret.get("metadata") or {}).get("name", "?") if isinstance(secret, dict) else "?"
    try:
        blob = base64.b64decode(secret["data"]["release"], validate=True)  # the Secret's own encoding
        raw = base64.b64decode(blob, validate=True)                          # Helm's encoding
        if raw[:3] == _GZIP_MAGIC:
            raw = _inflate(raw, max_bytes)
        release = bounded_json.loads(raw)
    except (KeyError, TypeError):
        raise BadRelease(f"Secret {name} has no data.release") from None
    except _TooLarge:
        raise BadRelease(f"Secret {name}: data.release inflates to more than {max_bytes:,} bytes: not read further") \
            from None
    except bounded_json.TooDeep as exc:
        raise BadRelease(f"Secret {name}: data.release is JSON {exc}: not parsed") from None
    except (binascii.Error, zlib.error, ValueError) as exc:
        why = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise BadRelease(f"Secret {name}: data.release is not a Helm 3 release record ({why})") from None
    if not isinstance(release, dict):
        raise BadRelease(f"Secret {name}: data.release is not a Helm 3 release record (a JSON {type(release).__name__})")
    return release


class _TooLarge(Exception):
    pass


def _inflate(data: bytes, max_bytes: int) -> bytes:
    z = zlib.decompressobj(31)
    out = z.decompress(data, max_bytes + 1)
    if len(out) > max_bytes or z.unconsumed_tail:
        raise _TooLarge
    if not z.eof:
        raise zlib.error("the gzip stream ends early")
    return out


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


def chart_yaml_version(path) -> str:
    """The `version` of a Chart.yaml the operator named (--expect-chart-yaml); ConfigError, one
    sentence, when it cannot be read: a file the operator names is input, never a finding."""
    import yaml

    from icepack_verify.errors import ConfigError

    try:
        chart = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--expect-chart-yaml {path}", "no such file") from None
    except OSError as exc:
        raise ConfigError(f"--expect-chart-yaml {path}", f"cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"--expect-chart-yaml {path}", "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        where = f" (line {exc.problem_mark.line + 1})" if getattr(exc, "problem_mark", None) else ""
        raise ConfigError(f"--expect-chart-yaml {path}", f"not valid YAML{where}") from None
    version = chart.get("version") if isinstance(chart, dict) else None
    if not isinstance(version, (str, int, float)) or not str(version).strip():
        raise ConfigError(f"--expect-chart-yaml {path}", "no `version:` of a chart (is it a Chart.yaml?)")
    return str(version)
