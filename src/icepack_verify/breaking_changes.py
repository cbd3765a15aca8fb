"""Breaking changes between two OpenAPI 3 documents, judged as oasdiff judges them (its checker's rule
set, checker/rules.go, at levels ERR and WARN; INFO changes are not reported).

Endpoints are matched with path parameter names ignored (oasdiff's default: '/t/{id}' is '/t/{key}'),
so a path parameter is matched by its position. A response is covariant (what the server may now send
that a client did not expect), a request contravariant (what a client sent that the server may now
refuse). Each finding carries oasdiff's check id and level; ERR is breaking, WARN is "potentially
breaking" (a warning, not a failure).

Covered, response side: success status removed; media type removed or generalized (a '+json'
suffix and its base type pair as one media type); schema removed; body and property type or format
changed (integer -> number is widening, so breaking; number -> integer is not); became nullable;
required property removed (ERR), optional property removed (WARN); property became optional; enum
value added (WARN; removed is not breaking); oneOf member added. Request side: body added as
required or became required, media type removed; parameters: new required, became required,
removed (WARN), type or format changed (narrowing), became enum, enum value removed, became not
nullable; body and properties: new required property, property became required, property removed
(WARN), type or format changed, became enum, enum value removed, became not nullable, allOf member
added (ERR) or removed (WARN), anyOf/oneOf member removed. Schemas are walked through properties,
array items, additionalProperties and the members of allOf/anyOf/oneOf; nullability is read from
`nullable`, a 'null' type, or a {type: null} member of anyOf/oneOf, the three equivalent forms.

Nothing here raises: a document it cannot read is reported as such.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

ERR, WARN = "ERR", "WARN"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_DEPTH = 12  # recursive schemas stop here
_INTEGER_FORMATS = {("int32", "int64"), ("int32", "bigint"), ("int64", "bigint")}  # (narrower, wider)
_FORMAT_WIDENINGS = {"number": {("float", "double")}, "integer": _INTEGER_FORMATS,
                     "string": {("date", "date-time"), ("time", "date-time")}}


@dataclass(frozen=True)
class Change:
    id: str          # oasdiff's check id
    level: str       # ERR or WARN
    operation: str   # 'GET /tables/{database}/{table}/status', or the path
    text: str

    def __str__(self) -> str:
        return f"{self.operation} {self.text} [{self.id}, {self.level}]"


def _endpoint(path: str) -> str:
    """oasdiff's endpoint matching: path parameter names do not count."""
    return re.sub(r"\{[^}/]*\}", "{}", path)


class _Doc:
    def __init__(self, doc: dict):
        self.doc = doc if isinstance(doc, dict) else {}

    def resolve(self, node, seen: frozenset = frozenset()):
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            ref = node["$ref"]
            if ref in seen:
                return {}
            seen |= {ref}
            target = self.doc
            for part in ref[2:].split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}} if isinstance(target, dict) else {}
        return node if isinstance(node, dict) else {}


def _types(s: dict) -> tuple[frozenset[str], bool]:
    """The schema's types without 'null', and whether it admits null (nullable, a 'null' type, or a
    {type: null} member of anyOf/oneOf)."""
    raw = s.get("type")
    types = frozenset(raw if isinstance(raw, list) else [raw] if isinstance(raw, str) else [])
    members = [m for k in ("anyOf", "oneOf") for m in (s.get(k) or []) if isinstance(m, dict)]
    nullable = s.get("nullable") is True or "null" in types or any(m.get("type") == "null" for m in members)
    return types - {"null"}, nullable


def _unwrap(s: dict) -> dict:
    """anyOf/oneOf [X, {type: null}] is X, nullable (what FastAPI writes for Optional[X])."""
    for key in ("anyOf", "oneOf"):
        members = [m for m in (s.get(key) or []) if isinstance(m, dict)]
        rest = [m for m in members if m.get("type") != "null"]
        if members and len(rest) == 1 and len(members) == 2:
            return {**{k: v for k, v in s.items() if k != key}, **rest[0]}
    return s


def _subtype(sub: str, sup: str) -> bool:
    return sub == sup or (sub == "integer" and sup == "number")


def _covered(sub: frozenset, sup: frozenset) -> bool:
    return bool(sub) and all(any(_subtype(t, u) for u in sup) for t in sub)


def _format_contained(to_type: frozenset, to: object, frm: object) -> bool:
    """checks.go isFormatContained: a value of format `frm` is valid under format `to`."""
    if not to:
        return True
    if len(to_type) != 1:
        return False
    return (frm, to) in _FORMAT_WIDENINGS.get(next(iter(to_type)), set())


def _canonical(s) -> str:
    return json.dumps(s, sort_keys=True, default=str)


class _Comparison:
    def __init__(self, base: dict, revision: dict):
        self.base, self.rev = _Doc(base), _Doc(revision)
        self.found: list[Change] = []

    def add(self, id_: str, level: str, operation: str, text: str) -> None:
        self.found.append(Change(id_, level, operation, text))

    # --- schemas ------------------------------------------------------------------------------

    def schema(self, b, r, *, request: bool, op: str, where: str, prop: str = "", depth: int = 0,
               root: str = "", strongly_typed: bool = True) -> None:
        """One schema of the base against its revision; `prop` is the property path ('' for the root:
        the body, or the parameter `root` names)."""
        if depth > MAX_DEPTH:
            return
        b, r = self.base.resolve(b), self.rev.resolve(r)
        bn, rn = _types(b)[1], _types(r)[1]  # read before unwrapping: {type: null} members say it
        b, r = _unwrap(b), _unwrap(r)
        side = "request" if request else "response"
        if root:  # a parameter: oasdiff's request-parameter-* and request-parameter-property-* checks
            idp, what = ("request-parameter-property", f"property {prop} of the {root}") if prop else \
                ("request-parameter", f"the {root}")
        else:
            idp, what = (f"{side}-property", f"{side} property {prop}") if prop else (f"{side}-body", f"{side} body")
        bt, rt = _types(b)[0], _types(r)[0]
        if self.types(b, r, bt, rt, request=request, op=op, where=where, what=prop if prop and not root else what,
                   idp=idp, strongly_typed=strongly_typed):
            return  # another type: what it held is not compared member by member (one finding)
        if request and bn and not rn:
            self.add(f"{idp}-became-not-nullable", ERR, op, f"{what} became not nullable{where}")
        if not request and rn and not bn:
            self.add(f"{idp}-became-nullable", ERR, op, f"{what} became nullable{where}")
        self.enum(b, r, request=request, op=op, where=where, what=what, idp=idp, prop=prop)
        self.composition(b, r, request=request, op=op, where=where, what=what, idp=idp, prop=prop, depth=depth,
                         root=root, strongly_typed=strongly_typed)
        self.properties(b, r, request=request, op=op, where=where, prop=prop, depth=depth, root=root,
                        strongly_typed=strongly_typed)
        for key, label in (("items", "[]"), ("additionalProperties", "{*}")):
            if isinstance(b.get(key), dict) and isinstance(r.get(key), dict):
                self.schema(b[key], r[key], request=request, op=op, where=where, prop=f"{prop}{label}",
                            depth=depth + 1, root=root, strongly_typed=strongly_typed)

    def types(self, b, r, bt, rt, *, request, op, where, what, idp, strongly_typed) -> bool:
        """checks.go: type and format, evaluated toward the revision (request) or the base (response);
        True when a breaking change was found."""
        bf, rf = b.get("format") or "", r.get("format") or ""
        if bt == rt and bf == rf:
            return False
        new, old = (rt, bt) if request else (bt, rt)  # 'to' and 'from' of the evaluated direction
        new_format, old_format = (rf, bf) if request else (bf, rf)
        # No type toward which it is evaluated: any value is valid there (not breaking). No type on the
        # other side: a constraint that appears in a request or disappears in a response (breaking).
        type_breaking = bt != rt and bool(new) and not (
            old and (_covered(old, new) or (not strongly_typed and new <= {"string"})))
        format_breaking = bf != rf and not _format_contained(new, new_format, old_format)
        if not (type_breaking or format_breaking):
            return False
        widened = not request and bt != rt and _covered(bt, rt)

        def show(types: frozenset, format_: str) -> str:
            return ("|".join(sorted(types)) or "any") + (f" ({format_})" if format_ else "")
        self.add(f"{idp}-type-{'generalized' if widened else 'changed'}", ERR, op,
                 f"{'request' if request else 'response'} changed types: {what} "
                 f"{show(bt, bf)} -> {show(rt, rf)}{where}")
        return bt != rt

    def enum(self, b, r, *, request, op, where, what, idp, prop) -> None:
        be = [_canonical(v) for v in b.get("enum") or []] if isinstance(b.get("enum"), list) else None
        re_ = [_canonical(v) for v in r.get("enum") or []] if isinstance(r.get("enum"), list) else None
        if request and re_ is not None and be is None:
            self.add(f"{idp}-became-enum", ERR, op, f"{what} was restricted to a list of enum values{where}")
        elif request and be is not None and re_ is not None:
            for v in (v for v in be if v not in re_):
                self.add(f"{idp}-enum-value-removed", ERR, op, f"removed the enum value {v} of the {what}{where}")
        elif not request and be is not None and re_ is not None:
            for v in (v for v in re_ if v not in be):
                self.add("response-property-enum-value-added", WARN, op,
                         f"added the enum value {v} to the response {prop or 'body'}{where}")

    def composition(self, b, r, *, request, op, where, what, idp, prop, depth, root, strongly_typed) -> None:
        levels = {("allOf", "added"): ERR, ("allOf", "removed"): WARN, ("anyOf", "removed"): ERR,
                  ("oneOf", "removed"): ERR} if request else {("oneOf", "added"): ERR}
        for key in ("allOf", "anyOf", "oneOf"):
            bm = [self.base.resolve(m) for m in b.get(key) or [] if isinstance(m, dict)]
            rm = [self.rev.resolve(m) for m in r.get(key) or [] if isinstance(m, dict)]
            if bm and len(bm) == len(rm):  # the same members, each compared with its counterpart
                for x, y in zip(bm, rm):
                    self.schema(x, y, request=request, op=op, where=where, prop=prop, depth=depth + 1, root=root,
                                strongly_typed=strongly_typed)
                continue
            bc, rc = [_canonical(m) for m in bm], [_canonical(m) for m in rm]
            for change, members in (("added", [c for c in rc if c not in bc]),
                                    ("removed", [c for c in bc if c not in rc])):
                level = levels.get((key, change))
                if level and members:
                    self.add(f"{idp}-{key.lower().replace('of', '-of')}-{change}", level, op,
                             f"{change} {len(members)} member(s) {'to' if change == 'added' else 'from'} the "
                             f"{what} `{key}` list{where}")

    def properties(self, b, r, *, request, op, where, prop, depth, root, strongly_typed) -> None:
        bp, rp = b.get("properties"), r.get("properties")
        bp, rp = (bp if isinstance(bp, dict) else {}), (rp if isinstance(rp, dict) else {})
        breq = set(b.get("required") or []) if isinstance(b.get("required"), list) else set()
        rreq = set(r.get("required") or []) if isinstance(r.get("required"), list) else set()
        hidden = "readOnly" if request else "writeOnly"  # never sent in this direction
        for name in sorted(set(bp) | set(rp)):
            path = f"{prop}.{name}" if prop else name
            bs, rs = self.base.resolve(bp.get(name)), self.rev.resolve(rp.get(name))
            if (bs or rs).get(hidden) is True:
                continue
            if request:
                if name not in bp and name in rreq:
                    self.add("new-required-request-property", ERR, op,
                             f"added the new required request property {path}{where}")
                elif name in bp and name not in rp:
                    self.add("request-property-removed", WARN, op, f"removed the request property {path}{where}")
                elif name in bp and name in rreq and name not in breq:
                    self.add("request-property-became-required", ERR, op,
                             f"the request property {path} became required{where}")
            else:
                if name in bp and name not in rp:
                    required = name in breq
                    self.add(f"response-{'required' if required else 'optional'}-property-removed",
                             ERR if required else WARN, op,
                             f"response lost properties: {path} ({'required' if required else 'optional'}){where}")
                elif name in rp and name in breq and name not in rreq:
                    self.add("response-property-became-optional", ERR, op,
                             f"the response property {path} became optional{where}")
            if name in bp and name in rp:
                self.schema(bp[name], rp[name], request=request, op=op, where=where, prop=path, depth=depth + 1,
                            root=root, strongly_typed=strongly_typed)

    # --- operations ---------------------------------------------------------------------------

    def content(self, b, r, *, request: bool, op: str, status: str = "") -> None:
        b = b if isinstance(b, dict) else {}
        r = r if isinstance(r, dict) else {}
        where = f" (status {status})" if status else ""
        pairs, unmatched = [], []
        for media in b:
            if media in r:
                pairs.append((media, media))
                continue
            # oasdiff pairs a removed media type with an added related one ('json' and 'problem+json')
            taken = {paired for _, paired in pairs}
            other = next((m for m in r if m not in b and m not in taken
                          and (_contained(media, m) or _contained(m, media))), None)
            if other:
                pairs.append((media, other))
            else:
                unmatched.append(media)
        for media in unmatched:
            if request:
                self.add("request-body-media-type-removed", ERR, op,
                         f"removed the media type {media} from the request body")
            else:
                self.add("response-media-type-removed", ERR, op, f"removed the media type {media}{where}")
        for bm, rm in pairs:
            if not request and bm != rm and not _contained(bm, rm):
                self.add("response-media-type-name-generalized", ERR, op,
                         f"media type {bm} was changed to the more general {rm}{where}")
            bs, rs = (b[bm] or {}).get("schema"), (r[rm] or {}).get("schema")
            if not request and bs and not rs:
                self.add("response-body-media-type-schema-removed", WARN, op, f"removed the schema of {bm}{where}")
            if isinstance(bs, dict) and isinstance(rs, dict):
                in_media = f" in {rm}{where}" if rm != "application/json" else where
                self.schema(bs, rs, request=request, op=op, where=in_media,
                            strongly_typed=_json(rm))

    def parameters(self, path_b: str, path_r: str, bi: dict, ri: dict, bo: dict, ro: dict, op: str) -> None:
        def params(doc: _Doc, path: str, item: dict, operation: dict) -> dict:
            out = {}
            names = re.findall(r"\{([^}/]*)\}", path)
            for p in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
                p = doc.resolve(p)
                if not isinstance(p.get("name"), str):
                    continue
                by_position = p.get("in") == "path" and p["name"] in names  # oasdiff matches path parameters by place
                key = (p.get("in"), names.index(p["name"]) if by_position else p["name"])
                out[key] = p
            return out
        bp, rp = params(self.base, path_b, bi, bo), params(self.rev, path_r, ri, ro)
        for key in sorted(set(bp) | set(rp), key=str):
            b, r = bp.get(key), rp.get(key)
            label = f"{key[0]} request parameter {(r or b)['name']}"
            if b is None:
                if r.get("required") or r.get("in") == "path":
                    self.add("new-required-request-parameter", ERR, op, f"added the new required {label}")
                continue
            if r is None:
                self.add("request-parameter-removed", WARN, op, f"deleted the {label}")
                continue
            if r.get("required") and not b.get("required"):
                self.add("request-parameter-became-required", ERR, op, f"the {label} became required")
            if isinstance(b.get("schema"), dict) and isinstance(r.get("schema"), dict):
                self.schema(b["schema"], r["schema"], request=True, op=op, where="", root=label)

    def request_body(self, b, r, op: str) -> None:
        b, r = self.base.resolve(b), self.rev.resolve(r)
        if not b and r:
            if r.get("required"):
                self.add("added-required-request-body", ERR, op, "added a required request body")
            return
        if b and not r:
            self.add("request-body-removed", ERR, op, "removed the request body")
            return
        if b and r.get("required") and not b.get("required"):
            self.add("request-body-became-required", ERR, op, "the request body became required")
        if b:
            self.content(b.get("content"), r.get("content"), request=True, op=op)

    def responses(self, b: dict, r: dict, op: str) -> None:
        b = b if isinstance(b, dict) else {}
        r = r if isinstance(r, dict) else {}
        for status in sorted(b, key=str):
            if str(status) not in {str(s) for s in r}:
                if re.fullmatch(r"2\d\d", str(status)):
                    self.add("response-success-status-removed", ERR, op,
                             f"removed the success response with the status {status}")
                continue
            rs = next(v for s, v in r.items() if str(s) == str(status))
            self.content(self.base.resolve(b[status]).get("content"), self.rev.resolve(rs).get("content"),
                         request=False, op=op, status=str(status))

    def run(self, request_side: bool) -> list[Change]:
        bpaths, rpaths = self.base.doc.get("paths") or {}, self.rev.doc.get("paths") or {}
        by_endpoint = {_endpoint(p): p for p in rpaths}
        for path_b, item_b in sorted(bpaths.items()):
            item_b = self.base.resolve(item_b)
            path_r = by_endpoint.get(_endpoint(path_b))
            if path_r is None:
                if not all(self.base.resolve(o).get("deprecated") for m, o in item_b.items() if m in METHODS):
                    self.add("api-path-removed-without-deprecation", ERR, path_b, f"path {path_b} removed")
                continue
            item_r = self.rev.resolve(rpaths[path_r])
            for method in METHODS:
                if method not in item_b:
                    continue
                op = f"{method.upper()} {path_b}"
                bo, ro = self.base.resolve(item_b[method]), self.rev.resolve(item_r.get(method))
                if method not in item_r:
                    if not bo.get("deprecated"):
                        self.add("api-removed-without-deprecation", ERR, op, f"operation {op} removed")
                    continue
                if request_side:
                    self.parameters(path_b, path_r, item_b, item_r, bo, ro, op)
                    self.request_body(bo.get("requestBody"), ro.get("requestBody"), op)
                self.responses(bo.get("responses"), ro.get("responses"), op)
        return self.found


def _media(name: str) -> tuple[str, str, str]:
    """(type, subtype, suffix) of a media type name: 'application/problem+json' -> (application, problem+json, json)."""
    kind, _, sub = name.split(";")[0].strip().lower().partition("/")
    return kind, sub, sub.rpartition("+")[2] if "+" in sub else ""


def _contained(base: str, revision: str) -> bool:
    """oasdiff IsMediaTypeNameContained: the revision is the base or a refinement of it
    ('application/json' contains 'application/problem+json')."""
    (bt, bs, bx), (rt, rs, rx) = _media(base), _media(revision)
    return bt == rt and ((not bx and rx == bs) or (bs == rs and bx == rx))


def _json(media: str) -> bool:
    """checks.go isStronglyTyped: JSON and any '+json' media type."""
    _, sub, suffix = _media(media)
    return sub == "json" or suffix == "json"


def breaking_changes(base: dict, revision: dict, *, request_side: bool = True) -> list[Change]:
    """What breaks a client of `base` in `revision` (ERR) or may break one (WARN). `request_side` False
    judges responses and endpoints only (a baseline that recorded no requests)."""
    try:
        return _Comparison(base, revision).run(request_side)
    except (TypeError, AttributeError, ValueError, KeyError, IndexError, RecursionError) as e:
        return [Change("document-unreadable", ERR, "", f"could not compare the documents ({type(e).__name__}: {e})")]


def errors(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.level == ERR]


def warnings(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.level == WARN]
