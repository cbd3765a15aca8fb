"""Container image references as distribution/reference (the library containerd, Docker and the
kubelet parse them with) reads them: its grammar (regexp.go), its normalization (normalize.go:
ParseNormalizedNamed, ParseDockerRef) and go-digest's validation of the digest.

    reference := name [ ":" tag ] [ "@" digest ]
    name      := [ domain "/" ] path-component ( "/" path-component )*      (at most 255 characters)
    domain    := host [ ":" port ]         host: DNS labels (any case) or a bracketed IPv6 address
    path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag       := [\\w][\\w.-]{0,127}
    digest    := algorithm ":" hex        sha256: 64, sha384: 96, sha512: 128 lowercase hex digits

The first component is a registry when it holds '.' or ':', is 'localhost', or has an upper-case
letter; otherwise the reference is Docker Hub's ('docker.io', 'library/' for a one-component path;
'index.docker.io' is the legacy name of 'docker.io'). A runtime pulls by digest when there is one:
the digest wins over the tag (ParseDockerRef drops the tag), and no tag and no digest means 'latest'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
LEGACY_DOCKER_HUB = "index.docker.io"
# Docker Hub's registry endpoint: the host a runtime pulls docker.io from. distribution/reference keeps it
# as a name of its own; same_image treats it as docker.io, since the same bytes are pulled.
DOCKER_HUB_ENDPOINT = "registry-1.docker.io"
NAME_TOTAL_LENGTH_MAX = 255
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}  # go-digest's registered algorithms

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")  # an image ID, never a repository name


@dataclass(frozen=True)
class Image:
    registry: str
    repository: str
    tag: str | None  # as written ('latest' when neither a tag nor a digest is)
    digest: str | None

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}" + (f":{self.tag}" if self.tag else "") + (
            f"@{self.digest}" if self.digest else "")


def _valid_digest(digest: str) -> bool:
    algorithm, _, hex_ = digest.partition(":")
    return DIGEST_HEX_LENGTHS.get(algorithm) == len(hex_) and re.fullmatch(r"[a-f0-9]+", hex_) is not None


def _split_domain(name: str) -> tuple[str, str]:
    """normalize.go splitDockerDomain."""
    first, slash, rest = name.partition("/")
    if not slash or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        domain, remainder = DOCKER_HUB, name
    else:
        domain, remainder = first, rest
    if domain == LEGACY_DOCKER_HUB:
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in remainder:
        remainder = f"library/{remainder}"
    return domain, remainder


def parse_image(ref: object) -> Image | None:
    """What a runtime pulls for a reference, or None where distribution/reference refuses it:
    'postgres:17-alpine' is docker.io/library/postgres:17-alpine."""
    if not isinstance(ref, str) or _IDENTIFIER.fullmatch(ref):
        return None
    m = _REFERENCE.fullmatch(ref)
    if m is None:
        return None
    name, tag, digest = m.groups()
    if len(name) > NAME_TOTAL_LENGTH_MAX or (digest and not _valid_digest(digest)):
        return None
    registry, repository = _split_domain(name)
    if repository.lower() != repository:
        return None  # "repository name must be lowercase"
    return Image(registry, repository, tag or (None if digest else "latest"), digest or None)


def same_image(expected: object, actual: object) -> bool:
    """The same image pulled: the same repository, and then the same digest when both carry one (the
    digest wins over a tag), else the expected tag or digest pinned: 'postgres:17-alpine' ==
    'docker.io/library/postgres:17-alpine' == 'postgres:17-alpine@sha256:…'; 'x:1@sha256:d' == 'x@sha256:d'."""
    e, a = parse_image(expected), parse_image(actual)
    if e is None or a is None or (_hub(e.registry), e.repository) != (_hub(a.registry), a.repository):
        return False
    if e.digest and a.digest:
        return e.digest == a.digest
    return e.digest is None and e.tag == a.tag


def _hub(registry: str) -> str:
    return DOCKER_HUB if registry == DOCKER_HUB_ENDPOINT else registry


def image_tag(image: object) -> str | None:
    """The tag a reference names: 'repo/icepack:2f9c1e7' and 'repo/icepack:2f9c1e7@sha256:…' -> '2f9c1e7';
    no tag -> 'latest'; a digest alone -> None (it names no tag)."""
    parsed = parse_image(image)
    return parsed.tag if parsed else None


def ecr_registry(image: object) -> tuple[str, str] | None:
    """(account, region) of an ECR registry ('411706531007.dkr.ecr.us-east-1.amazonaws.com'), else None."""
    parsed = parse_image(image)
    m = re.fullmatch(r"(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?", parsed.registry) \
        if parsed else None
    return (m.group(1), m.group(2)) if m else None
