"""Every use of kmock's private API, in one place. Written against kmock 0.8 (pinned in pyproject.toml).

kmock's public surface (``KubernetesEmulator``, ``Server``, ``resource``, ``ResourceInfo``,
``ObjectsArray``, ``Request``, ``Payload``) stores and serves objects; what the official
client needs beyond it means overriding the emulator's private serving methods and
reaching its private object store. On a kmock upgrade, re-check each method named here.

* ``_serve_list``: lists of every declared kind exist even when empty, carry
  ``kind``/``apiVersion``, and are filtered by ``filter_list`` (selectors);
* ``_serve_version``: core discovery says ``v1``, not kmock's ``/v1``;
* ``_serve_apis`` / ``_serve_api``: discovery for the client's ``/apis/`` and ``/api/`` spellings;
* ``_objects``: swapped whole by ``replace_objects``, read by ``live_objects``;
* ``_requests`` (the emulator's and each reaction's): kmock keeps every request for assertions and
  scans the emulator's whole history to dispatch each new one, so a twin serving thousands of suite
  runs slowed down request by request (the mutation engine's "decay"); ``replace_objects`` trims them.
"""
from __future__ import annotations

from typing import Iterator

import kmock


class Emulator(kmock.KubernetesEmulator):
    """kmock's emulator with the gaps a real client hits filled; subclasses add routes with ``__call__``."""

    def __attrs_post_init__(self) -> None:  # kmock's emulator is an attrs class
        super().__attrs_post_init__()
        self.setup()

    # --- what subclasses may override -------------------------------------------------
    def setup(self) -> None:
        """Declare resources and state once the emulator is built."""

    def filter_list(self, items: list[dict], params) -> list[dict]:
        return items

    def list_kind(self, api_version: str, plural: str) -> str | None:
        """The kind served at a list URL, for the list's ``kind``; None when unknown."""
        return None

    # --- the object store ---------------------------------------------------------------
    def replace_objects(self, objects: dict[tuple, dict]) -> None:
        """Replace every stored object ((resource, namespace, name) -> object) in one assignment."""
        fresh = kmock.ObjectsArray()
        for key, obj in objects.items():
            fresh[key] = obj
        self._objects = fresh
        self.forget_requests()

    def forget_requests(self, keep: int = 256) -> None:
        """Drop all but the newest `keep` requests kmock remembers (no assertion here reads them; requests in
        flight are the newest, and one slice deletion is atomic under the GIL)."""
        del self._requests[:-keep]
        for payload in self._payloads:
            del payload._requests[:-keep]

    def live_objects(self) -> Iterator[tuple[kmock.resource, str | None, str, dict]]:
        for (res, ns, name), obj in list(self._objects.items()):
            if not obj.deleted:
                yield res, ns, name, obj.raw

    async def serve_discovery(self, path: str) -> dict:
        """``/apis`` or ``/api``, which kmock routes only without the client's trailing slash."""
        return await (self._serve_apis(None) if path == "/apis" else self._serve_api(None))

    # --- private overrides ----------------------------------------------------------------
    async def _serve_list(self, request: kmock.Request) -> kmock.Payload:
        res = request.resource
        # GET /api/v1, /apis/<group>/<version>, /apis/<group> parse as lists: they are discovery
        if res.version is None:
            return await self._serve_group(request)
        if res.plural is None:
            return await self._serve_version(request)
        if res not in self._get_resources():
            return await super()._serve_list(request)  # the 404 of an unknown resource
        items = [raw for r, ns, _, raw in self.live_objects()
                 if r == res and (request.namespace is None or ns == request.namespace)]
        api = f"{res.group}/{res.version}" if res.group else res.version
        kind = self.list_kind(api, res.plural) or (items[0]["kind"] if items else res.plural.capitalize())
        return {"apiVersion": api, "kind": f"{kind}List", "metadata": {"resourceVersion": "48300000"},
                "items": self.filter_list(items, request.params)}

    async def _serve_version(self, request: kmock.Request) -> kmock.Payload:
        payload = await super()._serve_version(request)
        if request.resource is not None and request.resource.group == "":
            payload["groupVersion"] = request.resource.version  # kmock says "/v1"
        return payload
