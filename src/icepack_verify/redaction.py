"""Keeping secrets out of every output, by structure rather than by letters.

Two kinds of secret:

* credentials a URL carries: its userinfo (`https://user:pw@host`) and the values of query
  parameters that name a credential (`?access_token=...`, `X-Amz-Signature=...`). They are
  found by where they sit, so no configuration is needed and a URL in any message (an error
  of the API client, a metrics target, the report header) loses them whole.
* the secrets the run was given (a DSN and its password, kubeconfig tokens): replaced only as
  whole tokens, never inside another word, so a short password such as `ice` leaves
  `/srv/icepack` and "service" intact.

And a Kubernetes Secret's values: the suite holds a Secret only redacted (redacted_secret), its
values dropped as they are read, so it can be compared like any object without ever holding one.

Secrets arrive from the background threads that open the connections, so adding one is
thread safe; a redaction reads one immutable pattern.
"""
from __future__ import annotations

import re
import threading
from urllib.parse import quote

MASK = "***"

# Query parameters that carry a credential: these names exactly, or names ending in one of the suffixes.
CREDENTIAL_PARAMS = frozenset({
    "token", "access_token", "id_token", "refresh_token", "auth", "auth_token", "authorization",
    "api_key", "apikey", "api-key", "key", "secret", "client_secret", "password", "passwd", "pwd",
    "sig", "signature", "x-amz-signature", "x-amz-credential", "x-amz-security-token",
    "x-goog-signature", "x-goog-credential",
})
CREDENTIAL_SUFFIXES = ("token", "secret", "password", "signature", "credential", "apikey", "api_key")

# userinfo of any URL: scheme://<userinfo>@
_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@\s'\"<>]+@")
# name=value after ? or & (or ;), in a URL or a bare query string ("GET /x?token=...")
_PARAM = re.compile(r"([?&;])([A-Za-z0-9_.\-]+)=([^&#\s'\"<>;]*)")


def _credential(name: str) -> bool:
    name = name.lower()
    return name in CREDENTIAL_PARAMS or name.endswith(CREDENTIAL_SUFFIXES)


def _param(m: re.Match) -> str:
    sep, name, value = m.groups()
    return f"{sep}{name}={MASK}" if value and _credential(name) else m.group(0)


def redact_urls(text: str) -> str:
    """Credentials in URLs (userinfo, credential query parameters) replaced whole."""
    if "://" in text:
        text = _USERINFO.sub(rf"\1{MASK}@", text)
    if "=" in text:
        text = _PARAM.sub(_param, text)
    return text


def _whole(secret: str) -> str:
    """A pattern matching the secret as a whole token: not preceded or followed by a letter or
    digit where the secret itself begins or ends with one."""
    head = r"(?<![A-Za-z0-9])" if secret[:1].isalnum() else ""
    tail = r"(?![A-Za-z0-9])" if secret[-1:].isalnum() else ""
    return f"{head}{re.escape(secret)}{tail}"


class Redactor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._pattern: re.Pattern | None = None

    def add(self, *secrets: str | None) -> None:
        """More secrets to hide (each also as it appears percent-encoded in a URL)."""
        found = {s for s in secrets if s}
        found |= {quote(s, safe="") for s in found}
        with self._lock:
            merged = self._secrets | found
            if merged == self._secrets:
                return
            # Longest first: a DSN is hidden whole before the password inside it.
            alternatives = "|".join(_whole(s) for s in sorted(merged, key=len, reverse=True))
            self._secrets, self._pattern = frozenset(merged), re.compile(alternatives)

    def __call__(self, text: str) -> str:
        pattern = self._pattern  # one read: a concurrent add() swaps in a new pattern whole
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return redact_urls(text)

    def scrub(self, data):
        """Every string in a JSON-like structure redacted (keys kept)."""
        if isinstance(data, str):
            return self(data)
        if isinstance(data, dict):
            return {k: self.scrub(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.scrub(v) for v in data]
        return data


REDACTED = "(a value, not read)"
# annotations that hold a whole object, its data with it (kubectl apply's last applied configuration)
WHOLE_OBJECT_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def redacted_secret(item: dict) -> dict:
    """A Secret as the suite may hold it: its metadata, type and immutable flag, and its keys (data and
    stringData alike, as the API server merges them), every value replaced by REDACTED. A Secret left
    without a type is Opaque, as the API server stores it."""
    meta = dict(item.get("metadata") or {})
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        meta["annotations"] = {k: REDACTED if k in WHOLE_OBJECT_ANNOTATIONS else v for k, v in annotations.items()}
    meta.pop("managedFields", None)
    keys = [k for field in ("data", "stringData") if isinstance(item.get(field), dict) for k in item[field]]
    out = {"apiVersion": item.get("apiVersion", "v1"), "kind": "Secret", "metadata": meta,
           "type": item.get("type") or "Opaque", "data": dict.fromkeys(keys, REDACTED)}
    if "immutable" in item:
        out["immutable"] = item["immutable"]
    return out
