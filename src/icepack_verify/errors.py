"""Bad input and unreachable targets: each carries one sentence for the operator, no traceback."""


class ConfigError(Exception):
    """Bad input the operator must fix (environments file, kube context, DSN)."""


class Unreachable(Exception):
    """A target (API, Kubernetes API, database) did not answer or refused us."""
