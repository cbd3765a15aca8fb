"""Bad input and unreachable targets: each names what it is about and why, in one sentence.

    Problem(subject, reason)        "<subject>: <reason>"
    ├── ConfigError                 bad input the operator must fix (environments file, kube context, DSN)
    ├── Unreachable                 a target (API, Kubernetes API, database) did not answer or refused us
    ├── NotFound                    a Kubernetes kind was listed and the object is not there
    ├── Misframed                   an answer read in full whose framing contradicts its body
    └── Unreadable                  a Kubernetes kind could not be listed: we do not know what is there

Only a NotFound or a Misframed is an observation: the plugin fails its test with `Diagnosis(env, subject)`'s
one sentence. Any other Problem, raised anywhere in a test, leaves it "not run" (evidence.py).
These messages never carry the environment themselves.
"""
from __future__ import annotations


class Problem(Exception):
    def __init__(self, subject: str | None, reason: str):
        super().__init__(f"{subject}: {reason}" if subject else reason)
        self.subject = subject
        self.reason = reason


class ConfigError(Problem):
    """Bad input the operator must fix (environments file, kube context, DSN)."""


class Unreachable(Problem):
    """A target (API, Kubernetes API, database) did not answer or refused us."""


class NotFound(Problem):
    """The kind was readable and the object is not there."""


class Misframed(Problem):
    """An answer read in full whose framing says what its body is not (Content-Encoding: gzip over a
    body that is not gzip): the server answered, and what it answered is wrong."""


class Unreadable(Problem):
    """The kind could not be read (forbidden, API error); we do not know what is there."""
