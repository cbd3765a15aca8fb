"""Image references as distribution/reference parses and normalizes them (regexp.go grammar,
normalize.go ParseNormalizedNamed / ParseDockerRef, go-digest Validate); each case cites its rule."""
from __future__ import annotations

import pytest

from icepack_verify.image_references import Image, parse_image, same_image

D64 = "sha256:" + "a" * 64
E64 = "sha256:" + "b" * 64


@pytest.mark.parametrize("ref, parsed", [
    # splitDockerDomain: no domain -> docker.io, one component -> library/
    ("postgres", Image("docker.io", "library/postgres", "latest", None)),
    ("bitnami/postgresql:17", Image("docker.io", "bitnami/postgresql", "17", None)),
    # a first component with '.' or ':' or 'localhost' or an upper-case letter is a domain
    ("localhost/app", Image("localhost", "app", "latest", None)),
    ("localhost:5000/app:1", Image("localhost:5000", "app", "1", None)),
    ("Registry.Example/app", Image("Registry.Example", "app", "latest", None)),
    ("REG/app", Image("REG", "app", "latest", None)),
    ("[::1]:5000/app", Image("[::1]:5000", "app", "latest", None)),
    # index.docker.io is docker.io's legacy name (legacyDefaultDomain)
    ("index.docker.io/library/redis:7", Image("docker.io", "library/redis", "7", None)),
    ("index.docker.io/redis", Image("docker.io", "library/redis", "latest", None)),
    # path separators: '.', '_', '__', one or more '-'
    ("x/a.b_c__d---e", Image("docker.io", "x/a.b_c__d---e", "latest", None)),
    # tag grammar [\w][\w.-]{0,127}: word characters include upper case and '_'
    ("app:V1_2.3-rc", Image("docker.io", "library/app", "V1_2.3-rc", None)),
    ("app:" + "t" * 128, Image("docker.io", "library/app", "t" * 128, None)),
    # digest without a tag: no 'latest' (ParseDockerRef adds a tag only to a name alone)
    ("app@" + D64, Image("docker.io", "library/app", None, D64)),
    ("app:1@" + D64, Image("docker.io", "library/app", "1", D64)),
    ("app@sha512:" + "c" * 128, Image("docker.io", "library/app", None, "sha512:" + "c" * 128)),
])
def test_parses_as_distribution_reference(ref, parsed):
    assert parse_image(ref) == parsed


@pytest.mark.parametrize("ref, rule", [
    ("", "an empty reference does not match ReferenceRegexp"),
    (" postgres", "no whitespace in the grammar"),
    ("Postgres", "repository name must be lowercase (a one-component name is a path, not a domain)"),
    ("example.com/App", "repository name must be lowercase"),
    ("app:" + "t" * 129, "a tag is at most 128 characters"),
    ("app:-x", "a tag starts with a word character"),
    ("app:", "an empty tag"),
    ("app@sha256:" + "a" * 63, "go-digest: sha256 is 64 hex digits"),
    ("app@sha256:" + "A" * 64, "go-digest: the encoded part is lowercase hex"),
    ("app@md5:" + "a" * 32, "go-digest: md5 is not a registered algorithm"),
    ("app@sha256", "a digest needs its algorithm and hex"),
    ("a" * 64, "a 64-hex identifier is an image ID, not a repository name"),
    ("a" * 250 + "/b" * 3, "a name is at most 255 characters"),
    ("app-", "a path component ends with an alphanumeric"),
    ("a//b", "empty path components"),
    ("-ex.com/app", "a domain component does not start with '-'"),
    ("ex.com:port/app", "a port is digits"),
    ("app:1:2", "one tag"),
    (None, "not a string"),
])
def test_refused_as_distribution_reference_refuses(ref, rule):
    assert parse_image(ref) is None, rule


@pytest.mark.parametrize("a, b", [
    ("postgres:17", "docker.io/library/postgres:17"),                       # normalization
    ("redis", "index.docker.io/library/redis:latest"),                       # legacy domain, default tag
    (f"app:1@{D64}", f"app@{D64}"),                                          # the digest wins over the tag...
    (f"app@{D64}", f"app:1@{D64}"),                                          # ...in either order
    (f"app:1@{D64}", f"app:2@{D64}"),                                        # the tag is not what is pulled
    ("app:1", f"app:1@{D64}"),                                               # the expected tag, pinned
    ("bitnami/postgresql:17", "registry-1.docker.io/bitnami/postgresql:17"),  # Docker Hub's endpoint (our choice)
])
def test_same_image(a, b):
    assert same_image(a, b)


@pytest.mark.parametrize("a, b", [
    (f"app@{D64}", f"app@{E64}"),            # another digest, whatever the tags
    (f"app:1@{D64}", f"app:1@{E64}"),
    (f"app@{D64}", "app:1"),                 # an expected digest the actual reference does not pin
    ("app", f"app@{D64}"),                   # 'latest' is not a digest
    ("app:1", "app:2"),
    ("ex.com/app:1", "app:1"),               # another registry
    ("app:1", "App:1"),                      # the actual reference is refused by the runtime
    ("app:1", None),
])
def test_not_the_same_image(a, b):
    assert not same_image(a, b)
