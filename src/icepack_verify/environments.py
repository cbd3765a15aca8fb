"""Models of environments.toml: loading, per-environment overrides, env-var overrides.

Every environment-specific number the suite checks comes from here. Each leaf of an
environment remembers where it came from (chart default, values-file override, or an
environment variable) so that a failure can name the source of its expectation.
"""
from __future__ import annotations

import copy
import json
import os
import re
import stat
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Callable, Literal

from croniter import croniter
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError,
                      model_validator)

from icepack_verify.errors import ConfigError

ENV_VARS = {
    "ICEPACK_API_URL": "api_url",
    "ICEPACK_UI_URL": "ui_url",
    "ICEPACK_KUBE_CONTEXT": "kube_context",
}


# --- field types --------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration like '90s', '5m', '2h' or '1d'")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match[2]]
    try:
        return timedelta(**{unit: float(match[1])})
    except OverflowError:
        raise ValueError(f"{value!r} is too long a duration") from None


def _cron(value: str) -> str:
    if not croniter.is_valid(value):
        raise ValueError(f"{value!r} is not a cron schedule")
    return value


def _identifier(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueError(f"{value!r} is not a plain SQL identifier")
    return value


def _table_ref(value: str) -> str:
    # Identifier characters only: no input can add a path segment, a query or an encoded slash.
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]*\.[A-Za-z0-9_][A-Za-z0-9_-]*", value):
        raise ValueError(f"{value!r} is not '<database>.<table>' of letters, digits, '_' and '-'")
    return value


def _bounded(low: timedelta, high: timedelta):
    """A duration in [low, high]: a setting outside it is a mistake, not a wish (0s, 9999999999d)."""
    def check(value: timedelta) -> timedelta:
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low} .. {high}")
        return value
    return AfterValidator(check)


def _no_userinfo(value: str) -> str:
    if re.match(r"^https?://[^/]*@", value):
        raise ValueError("carries credentials (user:password@): the suite sends none to the API; remove them")
    return value


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode reads true as 1: a count or a fraction written as a boolean is a mistake
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is a boolean; a number belongs here")
    return value


_DNS_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"


def _kubernetes_name(what: str, max_length: int, pattern: str, allowed: str):
    """A name the suite puts in an API path or a label selector: exactly what Kubernetes allows,
    so no setting can add a selector term ('icepack,owner!=helm') or a path segment."""
    def check(value: str) -> str:
        if len(value) > max_length or not re.fullmatch(pattern, value):
            raise ValueError(f"{value!r} is not {what}: {allowed}, at most {max_length} characters")
        return value
    return AfterValidator(check)


_LOWER = "lower-case letters, digits and '-', starting and ending with a letter or digit"
Count = Annotated[int, BeforeValidator(_not_bool)]
Fraction = Annotated[float, BeforeValidator(_not_bool)]
NonEmpty = Annotated[str, Field(min_length=1)]
# RFC 1123 subdomain (object names), label (namespaces); a Helm release name is a subdomain of at most 53.
ObjectName = Annotated[str, _kubernetes_name("a Kubernetes object name (RFC 1123 subdomain)", 253,
                                             rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*", _LOWER + ", and '.'")]
ReleaseName = Annotated[str, _kubernetes_name("a Helm release name (it goes into the label selector name=<release>)",
                                              53, rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*", _LOWER + ", and '.'")]
Namespace = Annotated[str, _kubernetes_name("a Kubernetes namespace (RFC 1123 label)", 63, _DNS_LABEL, _LOWER)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]
Timeout = Annotated[Duration, _bounded(timedelta(seconds=1), timedelta(minutes=5))]
Grace = Annotated[Duration, _bounded(timedelta(0), timedelta(days=1))]
Cron = Annotated[str, AfterValidator(_cron)]
Identifier = Annotated[str, AfterValidator(_identifier)]
TableRef = Annotated[str, AfterValidator(_table_ref)]
AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- expectations (the deployment document's infrastructure inventory) ----------------

class Resources(_Model):
    cpu: str
    memory: str


Port = Annotated[Count, Field(ge=1, le=65535)]
Positive = Annotated[Count, Field(ge=1)]


class ApiExpect(_Model):
    replicas: Positive
    port: Port
    node_arch: str
    requests: Resources
    limits: Resources


class ServiceExpect(_Model):
    type: str
    tls_port: Port


class WorkerExpect(_Model):
    trigger: str
    polling_interval: Positive
    max_replicas: Positive


class CronJobExpect(_Model):
    schedule: Cron
    concurrency_policy: Literal["Allow", "Forbid", "Replace"]


class PostgresExpect(_Model):
    internal: StrictBool
    replicas: Positive
    image: str
    strategy: Literal["Recreate", "RollingUpdate"]
    storage_class: str


class Expect(_Model):
    api: ApiExpect
    service: ServiceExpect
    worker: WorkerExpect
    orchestrator: CronJobExpect
    health_sync: CronJobExpect
    postgres: PostgresExpect


class Names(_Model):
    api: ObjectName
    service: ObjectName
    worker: ObjectName
    orchestrator: ObjectName
    health_sync: ObjectName
    postgres: ObjectName
    postgres_pvc: ObjectName
    service_account: ObjectName
    release: ReleaseName


class DataSettings(_Model):
    status_table: Identifier
    status_time_column: Identifier
    health_table: Identifier
    health_time_column: Identifier
    database_column: Identifier
    table_column: Identifier
    status_payload_column: Identifier = "payload"
    health_based_on_column: Identifier = "status_collected_at"
    cadence_intervals: int = Field(default=4, ge=1)
    warn_grace: Grace
    fail_grace: Grace
    max_table_drop: Fraction = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _graces_ordered(self) -> "DataSettings":
        _ordered("warn_grace", self.warn_grace, "fail_grace", self.fail_grace)
        return self


def _ordered(low_name: str, low: timedelta, high_name: str, high: timedelta) -> None:
    if not low < high:
        raise ValueError(f"{low_name} ({low.total_seconds():g}s) must be below {high_name} ({high.total_seconds():g}s): "
                         "a check warns before it fails")


class Checks(_Model):
    assessment_tolerance: Grace
    clock_skew: Grace
    cronjob_tolerance: Grace
    db_statement_timeout: Timeout
    dry_run_timeout: Annotated[Duration, _bounded(timedelta(seconds=1), timedelta(minutes=30))]
    http_timeout: Timeout
    http_attempts: Count = Field(ge=1, le=10)
    retry_budget: Count = Field(ge=0, le=1000)
    http_concurrency: Count = Field(default=16, ge=1, le=64)
    max_body_bytes: Count = Field(ge=1024, le=1024 ** 3)
    latency_warn: Timeout
    latency_fail: Timeout
    shared_cache_max_age: Grace = timedelta(0)  # how long a shared cache may serve a live answer (framing)
    max_restarts: Count = Field(ge=0, le=1000)
    warning_event_window: Grace = timedelta(minutes=15)
    schemathesis_max_examples: Count = Field(ge=1, le=1000)

    @model_validator(mode="after")
    def _latencies_ordered(self) -> "Checks":
        _ordered("latency_warn", self.latency_warn, "latency_fail", self.latency_fail)
        return self


def _route(*placeholders: str, optional: bool = False, required: bool = True):
    def check(value: str) -> str:
        if optional and value == "":
            return value
        if not value.startswith("/"):
            raise ValueError(f"{value!r} is not a route starting with '/'")
        missing = [p for p in placeholders if "{" + p + "}" not in value]
        if missing and required:
            raise ValueError(f"{value!r} lacks the placeholder(s) {', '.join('{' + p + '}' for p in missing)}")
        unknown = set(re.findall(r"\{(\w+)\}", value)) - set(placeholders)
        if unknown:
            raise ValueError(f"{value!r} has unknown placeholder(s) {', '.join(sorted(unknown))}")
        return value
    return AfterValidator(check)


class ApiConventions(_Model):
    """What the deployment document leaves to the API: routes and fields outside the three
    split read contracts. Defaults in [defaults.api]; an environment overrides any of them."""
    readiness_route: Annotated[str, _route()]
    drain_route: Annotated[str, _route()]
    drain_field: str                                     # the JSON field holding drain mode (a boolean)
    # {database} and {table} each stand in the route or in string values of the body (or both)
    job_submit_route: Annotated[str, _route("database", "table", required=False)]
    job_submit_method: Literal["POST", "PUT"]
    job_submit_body: dict[str, Any]                      # a dry-run request: it must change nothing
    job_id_field: str                                    # in the submission's answer
    job_status_route: Annotated[str, _route("job_id")]
    job_state_field: str
    job_success_states: list[str] = Field(min_length=1)
    job_failure_states: list[str] = Field(min_length=1)
    job_dry_run_field: str                               # the job echoes that it is a dry run
    job_changes_field: str                               # dotted: what the job changed (empty for a dry run)
    job_error_field: str
    job_idempotency_header: str                          # sent with the submission; "" sends none
    job_lookup_route: Annotated[str, _route("key", optional=True)]  # the jobs with that key; "" for none
    job_lookup_items_field: str                          # the list in the lookup's answer; "" when it is the body
    # What "changed nothing" compares besides the job's own changes field: dotted /status fields
    # a dry run may not lower. The document defines none ([] by default).
    job_unchanged_status_fields: list[Annotated[str, Field(min_length=1)]] = []

    @model_validator(mode="after")
    def _job_target_placed(self) -> "ApiConventions":
        in_route = set(re.findall(r"\{(\w+)\}", self.job_submit_route))
        in_body = set(re.findall(r"\{(\w+)\}", " ".join(_strings(self.job_submit_body))))
        if unknown := in_body - JOB_TARGET:
            raise ValueError(f"job_submit_body has unknown placeholder(s) {', '.join(sorted(unknown))}: "
                             "{database} and {table} are the ones filled in")
        if missing := JOB_TARGET - in_route - in_body:
            raise ValueError(f"{' and '.join('{' + p + '}' for p in sorted(missing))} stand(s) neither in "
                             "job_submit_route nor in a string value of job_submit_body: each must be in one of them")
        return self


JOB_TARGET = {"database", "table"}


def _strings(value: Any):
    """Every string value in a JSON-like value (dict values, list items), recursively."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class Environment(_Model):
    name: str
    namespace: Namespace
    region: NonEmpty
    account_id: AccountId
    api_url: Annotated[str, Field(pattern=r"^https?://"), AfterValidator(_no_userinfo)]
    ui_url: Annotated[str | None, Field(default=None, pattern=r"^https?://"), AfterValidator(
        lambda v: v if v is None else _no_userinfo(v))] = None
    hostname: NonEmpty
    kube_context: NonEmpty
    database_url_env: NonEmpty | None = None
    database_secret_id: NonEmpty | None = None
    terraform_root: NonEmpty
    values_file: NonEmpty
    known_tables: list[TableRef] = Field(min_length=1)
    allow_dry_run: StrictBool = False
    # Read the Helm release Secrets (list secrets, owner=helm): the release status, chart version
    # and released values checks. false for a ServiceAccount without it (deploy/rbac-without-release-secrets.yaml).
    read_release_secrets: StrictBool = True
    # Objects that are not the release's but select or target its pods and workloads, and are meant
    # to ("HorizontalPodAutoscaler/icepack-api"): none by default (tests/infra/test_references.py).
    expected_related: list[Annotated[str, Field(pattern=r"^[A-Za-z]+/[a-z0-9.-]+$")]] = Field(default_factory=list)
    names: Names
    api: ApiConventions
    expect: Expect
    data: DataSettings
    checks: Checks
    # dotted path -> where its value came from (only paths not from [defaults])
    sources: dict[str, str] = Field(default_factory=dict, exclude=True)

    def source(self, path: str) -> str:
        """Where the expectation at a dotted path (e.g. 'expect.api.limits.cpu') comes from."""
        for prefix in _prefixes(path):
            if prefix in self.sources:
                return self.sources[prefix]
        parent, _, leaf = path.rpartition(".")
        if leaf == "name" and not parent:
            return "--env"
        section = f"environments.toml [defaults.{parent}]" if parent else f"environments.toml [defaults] {leaf}"
        # Only the inventory is the chart's; thresholds and table names are the suite's own defaults.
        return f"chart default ({section})" if path.startswith("expect.") else section

    def database_dsn(self) -> str:
        """The read-only DSN, from the environment (never from the file)."""
        if dsn := os.environ.get("ICEPACK_DATABASE_URL"):
            return dsn
        if self.database_url_env and (dsn := os.environ.get(self.database_url_env)):
            return dsn
        if self.database_secret_id:
            return _secret_dsn(self)
        names = " or ".join(f"${v}" for v in dict.fromkeys(filter(None, [self.database_url_env, "ICEPACK_DATABASE_URL"])))
        raise ConfigError("database", f"no DSN: set {names} to a read-only DSN")


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _secret_dsn(env: Environment) -> str:
    try:
        import boto3  # optional: only operators who keep DSNs in Secrets Manager need it
    except ImportError:
        raise ConfigError(
            "database", f"no DSN: set ${env.database_url_env or 'ICEPACK_DATABASE_URL'}"
            f" (reading Secrets Manager id {env.database_secret_id!r} needs boto3 installed)"
        ) from None
    try:
        client = boto3.client("secretsmanager", region_name=env.region)
        return client.get_secret_value(SecretId=env.database_secret_id)["SecretString"].strip()
    except Exception as exc:  # boto3 raises many kinds; the operator needs the one sentence
        raise ConfigError(
            "database", f"could not read the DSN from Secrets Manager id {env.database_secret_id!r}: "
            f"{type(exc).__name__}"
        ) from None


# --- loading ---------------------------------------------------------------------------

def _merge(base: dict, override: dict, path: str, sources: dict[str, str], source: Callable[[str, str], str]) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "job_submit_body":
            merged[key] = _merge(merged[key], value, here, sources, source)
        else:
            merged[key] = value
            sources[here] = source(path, here)
    return merged


MAX_FILE_BYTES = 1024 * 1024  # the shipped file is ~7 KB
MAX_NESTING = 16              # arrays and inline tables inside each other (the shipped file: 1)
MAX_KEY_PARTS = 32            # parts of one dotted key or table header (the shipped file: 4)

# TOML's strings (four kinds) and comments, in the order a parser meets them: what is left
# after removing them is keys, brackets, numbers and punctuation.
_TOML_STRINGS = re.compile(r'''"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|#[^\n]*''')
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"")"""
_LONG_KEY = re.compile(rf"(?:{_KEY_PART}[ \t]*\.[ \t]*){{{MAX_KEY_PARTS}}}{_KEY_PART}")


def load_file(path: Path) -> dict[str, Any]:
    """The file's TOML, read only if it is a regular file of at most MAX_FILE_BYTES of UTF-8
    (stat first: a FIFO or a device is never opened, so never waited on), with its nesting and
    its dotted keys bounded before the parser sees it (tomllib's cost grows with the square of
    a dotted key's length: a 200 KB key would take gigabytes)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(None, f"environments file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(None, f"environments file {path} cannot be read: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(None, f"environments file {path} is {_file_kind(info.st_mode)}, not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise ConfigError(None, f"environments file {path} is {info.st_size:,} bytes, more than the "
                                f"{MAX_FILE_BYTES:,} an environments file may have")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # swapped for a FIFO since the stat: still no wait
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ConfigError(None, f"environments file {path} is not a regular file")
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(None, f"environments file {path} cannot be read: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(None, f"environments file {path} is more than the {MAX_FILE_BYTES:,} bytes an "
                                "environments file may have")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(None, f"{path} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} "
                                "(TOML files are UTF-8)") from None
    _check_shape(path, text)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(None, f"{path} is not valid TOML: {exc}") from None
    except RecursionError:  # bounded above; a safety net, in one sentence too
        raise ConfigError(None, f"{path} nests too deep for the TOML parser") from None


def _check_shape(path: Path, text: str) -> None:
    bare = _TOML_STRINGS.sub(lambda m: "" if m[0].startswith("#") else '""', text)
    if key := _LONG_KEY.search(bare):
        line = bare.count("\n", 0, key.start()) + 1
        raise ConfigError(None, f"{path} line {line}: a dotted key or table header of more than {MAX_KEY_PARTS} "
                                "parts (an environments file needs at most 5)")
    depth, line = 0, 1
    for char in re.sub(r"[^\[\]{}\n]", "", bare):
        if char == "\n":
            line += 1
            continue
        depth += 1 if char in "[{" else -1
        if depth > MAX_NESTING:
            raise ConfigError(None, f"{path} line {line}: arrays or inline tables nested more than {MAX_NESTING} "
                                    "deep (an environments file needs at most 2)")


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((what for test, what in kinds if test(mode)), "not a regular file")


def known_names(raw: dict[str, Any]) -> list[str]:
    envs = raw.get("environments", {})
    return sorted(envs) if isinstance(envs, dict) else []


def _toml_type(value: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean", int: "an integer",
            float: "a float"}.get(type(value), "a date or time")


def load(path: Path, name: str, environ: dict[str, str] | None = None) -> Environment:
    """The named environment of the file, defaults merged, env-var overrides applied."""
    environ = os.environ if environ is None else environ
    raw = load_file(path)
    envs = raw.get("environments", {})
    if not isinstance(raw.get("defaults", {}), dict):
        raise ConfigError(None, f"{path}: defaults must be a table ([defaults]), not {_toml_type(raw['defaults'])}")
    if not isinstance(envs, dict):
        raise ConfigError(None, f"{path}: environments must be a table of one table per environment "
                                f"([environments.<name>]), not {_toml_type(envs)}")
    if name in envs and not isinstance(envs[name], dict):
        raise ConfigError(None, f"{path}: environment {name!r} must be a table ([environments.{name}]), "
                                f"not {_toml_type(envs[name])}")
    if name not in envs:
        raise ConfigError(None, f"unknown environment {name!r} in {path}; known: {', '.join(known_names(raw)) or 'none'}")
    own = envs[name]
    sources: dict[str, str] = {}
    values_file = own.get("values_file", "its values file")
    def source(section: str, path: str) -> str:
        where = f"environments.toml [environments.{name}{'.' + section if section else ''}]"
        # Expectations an environment overrides mirror its values file; the rest is where it lives.
        return f"{values_file} override ({where})" if path.startswith("expect.") else where

    data = _merge(raw.get("defaults", {}), own, "", sources, source)
    for var, field in ENV_VARS.items():
        if environ.get(var):
            data[field] = environ[var]
            sources[field] = f"environment variable {var}"
    if environ.get("ICEPACK_KNOWN_TABLE"):
        data["known_tables"] = [environ["ICEPACK_KNOWN_TABLE"]]
        sources["known_tables"] = "environment variable ICEPACK_KNOWN_TABLE"
    try:
        return Environment(name=name, sources=sources, **data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: environment {name!r}", _all_errors(exc)) from None
    except TypeError as exc:  # e.g. a table where a value belongs
        raise ConfigError(f"{path}: environment {name!r}", str(exc)) from None


def _all_errors(exc: ValidationError) -> str:
    """Every field at fault: 'a.b: msg' for one, else a count and one indented line per field."""
    lines = [f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()]
    if len(lines) == 1:
        return lines[0]
    shown = lines[:MAX_ERRORS_SHOWN] + ([f"... and {len(lines) - MAX_ERRORS_SHOWN:,} more"]
                                        if len(lines) > MAX_ERRORS_SHOWN else [])
    return f"{len(lines):,} fields at fault:\n" + "\n".join(f"  {line}" for line in shown)


MAX_ERRORS_SHOWN = 20


def describe(env: Environment) -> list[str]:
    """Every setting of an environment, 'path = value  [source]', userinfo in URLs redacted."""
    def leaves(value: Any, path: str):
        if isinstance(value, dict) and value and path != "api.job_submit_body":
            for key, sub in value.items():
                yield from leaves(sub, f"{path}.{key}" if path else key)
        else:
            yield path, value
    lines = []
    for path, value in leaves(env.model_dump(mode="json"), ""):
        shown = re.sub(r"(://)[^/@\s]+@", r"\1***@", json.dumps(value))
        lines.append(f"{path} = {shown}  [{env.source(path)}]")
    return lines
