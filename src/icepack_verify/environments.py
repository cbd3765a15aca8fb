"""Models of environments.toml: loading, per-environment overrides, env-var overrides.

Every environment-specific number the suite checks comes from here. Each leaf of an
environment remembers where it came from (chart default, values-file override, or an
environment variable) so that a failure can name the source of its expectation.
"""
from __future__ import annotations

import copy
import difflib
import json
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Callable, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationError,
                      model_validator)

from icepack_verify.cron_schedules import load_location, valid_schedule
from icepack_verify.quantities import quantity, quantity_text
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


def _quantity(value: object) -> str:
    """A resource quantity in settings: a string, or a TOML number (0.25 is '0.25')."""
    if quantity(value) is None:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (apimachinery's grammar: '250m', '1Gi', 0.25)")
    return quantity_text(value)


def _cron(value: str) -> str:
    if not valid_schedule(value):
        raise ValueError(f"{value!r} is not a cron schedule (robfig/cron v3, as the CronJob controller reads it)")
    return value


def _time_zone(value: str) -> str:
    if not value or load_location(value) is None:
        raise ValueError(f"{value!r} is not a time zone of the tz database (as Go's time.LoadLocation reads it)")
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
TimeZone = Annotated[str, AfterValidator(_time_zone)]
Quantity = Annotated[str, BeforeValidator(_quantity)]
Identifier = Annotated[str, AfterValidator(_identifier)]
TableRef = Annotated[str, AfterValidator(_table_ref)]
AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- expectations (the deployment document's infrastructure inventory) ----------------

class Resources(_Model):
    cpu: Quantity
    memory: Quantity


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


_FIELD = re.compile(r"^[A-Z][A-Za-z]*/\{[a-z_]+\}:\S+$")


def _values_field(value: str) -> str:
    if not _FIELD.match(value):
        raise ValueError(f"{value!r} is not 'Kind/{{name-role}}:path' (e.g. 'Deployment/{{api}}:spec.replicas')")
    return value


class ValuesField(_Model):
    """One key of the chart's values: the manifest fields the chart renders from it ('Kind/{role}:path',
    role a key of [names]; path dotted, `[name]` a list item by name, `[*]` every item, `['a/b']` a key
    with dots), and the expectation it feeds (a dotted setting such as 'expect.api.port'), if any."""
    fields: list[Annotated[str, AfterValidator(_values_field)]] = []
    expect: str | None = None


class ReleaseSettings(_Model):
    """How the chart writes its record into what it renders ([release]); none of it is the document's."""
    version_label: str = "app.kubernetes.io/version"  # the label the chart sets from appVersion ("" for none)
    chart_label: str = "helm.sh/chart"                # the label the chart sets from name-version ("" for none)
    values_fields: dict[str, ValuesField] = {}        # values key (dotted) -> what it renders and feeds
    # expect.* setting (dotted, without "expect.") -> the fields (patterns, `*` any text, over --compare-with's
    # paths: values keys, object fields) the chart renders differently when two environments set it differently
    follows: dict[str, list[Annotated[str, Field(min_length=1)]]] = {}


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
    # Each status row of a table against the run before it (icepack_verify.row_steps, tests/data/test_steps.py)
    step_ratio: float = Field(default=50, gt=1)
    run_own_fields: list[Annotated[str, Field(min_length=1)]] = ["collection.*"]
    step_opaque: list[Annotated[str, Field(min_length=1)]] = ["*_id"]
    # The suite's own role: roles it may be a member of, role-level settings it may not carry (tests/data/test_role.py)
    suite_role_memberships: list[Annotated[str, Field(min_length=1)]]
    suite_role_denied_settings: list[Annotated[str, Field(min_length=1)]]
    suite_role_expiry_warning: Annotated[Duration, _bounded(timedelta(0), timedelta(days=365))]

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
    max_job_runtime: Grace = timedelta(hours=2)  # a release Job with no activeDeadlineSeconds active longer is stuck
    node_status_max_age: Grace = timedelta(minutes=6)  # a hosting node's status posted longer ago is stale
    node_provider_id: str = "aws:///*"  # a hosting node's spec.providerID (fnmatch); "" for none
    node_condition_types: tuple[str, ...] = ()  # node condition types beyond Kubernetes' own (node-problem-detector)
    allowed_finalizers: tuple[str, ...] = ()  # finalizers a known controller handles (release objects')
    # label and annotation key domains controllers and tools write on the release's objects (release vs live)
    controller_metadata_domains: tuple[str, ...] = ()
    # what admission webhooks may add to a Pod beyond its template (derivation.Injected): env var name
    # patterns (fnmatch) and volume names (their mounts too); sidecar containers are whole items
    injected_env: tuple[str, ...] = ()
    injected_volumes: tuple[str, ...] = ()
    release_apply_window: Grace = timedelta(minutes=5)  # how long after last_deployed an apply still creates objects
    # how long after a pod's Ready changed (or its deletion began) its Service's EndpointSlices may still lag it
    endpoint_settle: Grace = timedelta(seconds=30)
    controller_time_zone: TimeZone = "UTC"  # the kube-controller-manager's zone: a CronJob without spec.timeZone's
    quoted_numbers: Literal["fail", "warn"] = "warn"  # a text quoting a number its sources lack (quoted_numbers.py)
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
    # The recommendation's inner fields (the document fixes only its top-level keys): the key naming an item's
    # action in recommended_actions, and the ages it states ({dotted field: the timestamp field it is the age
    # of, in seconds, at evaluated_at}).
    recommendation_action_field: str = "action"
    recommendation_target_fields: list[Annotated[str, Field(min_length=1)]] = []  # what an action applies to
    recommendation_age_fields: dict[str, str] = {"evidence.status_age_seconds": "status_collected_at"}
    # Field names that hold one vocabulary wherever they stand in a body: where the schema enumerates one and not
    # the other (history[].action beside recommended_actions[].action), the other holds the same words. Generic
    # names (status, type, source) legitimately hold several: only the names listed are judged.
    shared_vocabulary_fields: list[Annotated[str, Field(min_length=1)]] = ["action"]

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
    # to ("HorizontalPodAutoscaler/icepack-api"): none by default (tests/infra/test_object_references.py::
    # test_nothing_outside_the_release_selects_or_targets_it).
    expected_related: list[Annotated[str, Field(pattern=r"^[A-Za-z]+/[a-z0-9.-]+$")]] = Field(default_factory=list)
    names: Names
    release: ReleaseSettings = ReleaseSettings()
    api: ApiConventions
    expect: Expect
    data: DataSettings
    checks: Checks
    # dotted path -> where its value came from (the file and table, or the variable)
    sources: dict[str, str] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="after")
    def _values_fields_known(self) -> "Environment":
        roles = set(Names.model_fields)
        for key, spec in self.release.values_fields.items():
            for target in spec.fields:
                if (role := target.split("{", 1)[1].split("}", 1)[0]) not in roles:
                    raise ValueError(f"release.values_fields {key!r}: {{{role}}} is no key of [names] "
                                     f"({', '.join(sorted(roles))})")
            if spec.expect is not None:
                try:
                    self.setting(spec.expect)
                except (AttributeError, KeyError):
                    raise ValueError(f"release.values_fields {key!r}: expect = {spec.expect!r} names no setting") from None
        return self

    def setting(self, dotted: str) -> Any:
        """The value of a dotted setting ('expect.api.port', 'account_id')."""
        value: Any = self
        for part in dotted.split("."):
            value = value[part] if isinstance(value, dict) else getattr(value, part)
            if callable(value):  # a method, not a setting
                raise AttributeError(part)
        return value

    def source(self, path: str) -> str:
        """Where the expectation at a dotted path (e.g. 'expect.api.limits.cpu') comes from."""
        for prefix in _prefixes(path):
            if prefix in self.sources:
                return self.sources[prefix]
        if path == "name":
            return "--env"
        return "icepack-verify's default (set nowhere in the environments file)"

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
    """The file's TOML (this one file, not what it extends): see read_text."""
    return _parse(path, read_text(path))


def read_text(path: Path) -> str:
    """The file's text, read only if it is a regular file of at most MAX_FILE_BYTES of UTF-8
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
    return text


def _parse(path: Path, text: str) -> dict[str, Any]:
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
    """The named environment of the file (and of what it extends), defaults merged, env-var
    overrides applied."""
    return _environment(read_layered(path), name, os.environ if environ is None else environ)


def check_all(path: Path, environ: dict[str, str] | None = None) -> tuple[Layered, dict[str, str | None]]:
    """Every environment of the file validated: {name: None when valid, else its error}."""
    layered = read_layered(path)
    environ = os.environ if environ is None else environ
    found: dict[str, str | None] = {}
    for name in known_names(layered.raw):
        try:
            _environment(layered, name, environ)
            found[name] = None
        except ConfigError as exc:
            found[name] = str(exc)
    return layered, found


def _environment(layered: "Layered", name: str, environ: dict[str, str]) -> Environment:
    raw, label = layered.raw, layered.label
    envs = raw.get("environments", {})
    if not isinstance(raw.get("defaults", {}), dict):
        raise ConfigError(None, f"{label}: defaults must be a table ([defaults]), not {_toml_type(raw['defaults'])}")
    if not isinstance(envs, dict):
        raise ConfigError(None, f"{label}: environments must be a table of one table per environment "
                                f"([environments.<name>]), not {_toml_type(envs)}")
    if name in envs and not isinstance(envs[name], dict):
        raise ConfigError(None, f"{label}: environment {name!r} must be a table ([environments.{name}]), "
                                f"not {_toml_type(envs[name])}")
    if name not in envs:
        raise ConfigError(None, f"unknown environment {name!r} in {label}; known: {', '.join(known_names(raw)) or 'none'}")
    own = envs[name]
    sources: dict[str, str] = {}
    values_file = own.get("values_file", "its values file")

    def source(section: str, path: str) -> str:
        where = f"{layered.origin(f'environments.{name}.{path}').label} [environments.{name}{'.' + section if section else ''}]"
        # Expectations an environment overrides mirror its values file; the rest is where it lives.
        return f"{values_file} override ({where})" if path.startswith("expect.") else where

    defaults = raw.get("defaults", {})
    for here in _leaves(defaults):  # the file that set each default (the shipped one, or the operator's)
        sources[here] = _default_source(here, layered.origin(f"defaults.{here}").label)
    data = _merge(defaults, own, "", sources, source)
    for var, key in ENV_VARS.items():
        if environ.get(var):
            data[key] = environ[var]
            sources[key] = f"environment variable {var}"
    if environ.get("ICEPACK_KNOWN_TABLE"):
        data["known_tables"] = [environ["ICEPACK_KNOWN_TABLE"]]
        sources["known_tables"] = "environment variable ICEPACK_KNOWN_TABLE"
    try:
        return Environment(name=name, sources=sources, **data)
    except ValidationError as exc:
        raise ConfigError(None, _all_errors(exc, layered, name, sources)) from None
    except TypeError as exc:  # e.g. a table where a value belongs
        raise ConfigError(f"{label}: environment {name!r}", str(exc)) from None


def _default_source(path: str, label: str) -> str:
    parent, _, leaf = path.rpartition(".")
    section = f"{label} [defaults.{parent}]" if parent else f"{label} [defaults] {leaf}"
    # Only the inventory is the chart's; thresholds and table names are the suite's own defaults.
    return f"chart default ({section})" if path.startswith("expect.") else section


def _leaves(table: dict, path: str = ""):
    for key, value in table.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, dict) and value and key != "job_submit_body":
            yield from _leaves(value, here)
        else:
            yield here


# --- an operator's own file over the shipped one ---------------------------------------------

SHIPPED = "shipped"  # extends = "shipped": the environments file that comes with icepack-verify
SHIPPED_LABEL = "environments.toml"  # how sources name the shipped file (and a checkout's own)
TOP_LEVEL = ("extends", "defaults", "environments")
MAX_EXTENDS = 4  # a file extending a file extending ...: more is a loop or a mistake


def shipped_path() -> Path:
    from icepack_verify.cli import suite_root

    return suite_root() / "environments.toml"


@dataclass(frozen=True)
class Layer:
    label: str  # how a source names the file
    path: Path
    text: str

    @property
    def named(self) -> str:
        """How an error names the file: the path the operator can open (the shipped one by that word)."""
        return str(self.path) if self.label == SHIPPED_LABEL else self.label


@dataclass
class Layered:
    """The merged TOML of a file and of what it extends, and which file each value came from."""
    raw: dict[str, Any]
    layers: list[Layer]                      # the file itself first, then what it extends
    origins: dict[str, Layer] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How errors name the file (what was read: the path given)."""
        return self.layers[0].named

    def origin(self, raw_path: str) -> Layer:
        """The file that set the value at a dotted path of the merged TOML (or its nearest table)."""
        return next((self.origins[p] for p in _prefixes(raw_path) if p in self.origins), self.layers[0])


def read_layered(path: Path, _chain: tuple[Path, ...] = ()) -> Layered:
    """The file, layered over what its top-level `extends` names: "shipped" (the file that comes
    with icepack-verify) or a path relative to the file. Its tables merge into the base's key by
    key; arrays and values replace."""
    text = read_text(path)
    raw = _parse(path, text)
    shipped = shipped_path()
    is_shipped = path.resolve() == shipped.resolve()
    layer = Layer(SHIPPED_LABEL if is_shipped else str(path), path, text)
    if unknown := [k for k in raw if k not in TOP_LEVEL]:
        key = unknown[0]
        raise ConfigError(None, f"{_where(layer, [], key)}: unknown top-level key {key!r}{_nearest(key, TOP_LEVEL)} "
                                f"(an environments file has {', '.join(TOP_LEVEL)})")
    extends = raw.pop("extends", None)
    if extends is None:
        return _layered_over(Layered({}, []), raw, layer)
    if not isinstance(extends, str) or not extends.strip():
        raise ConfigError(None, f"{_where(layer, [], 'extends')}: extends must be \"shipped\" or the path of another "
                                f"environments file, not {_toml_type(extends)}")
    base_path = shipped if extends == SHIPPED else (path.parent / extends)
    chain = (*_chain, path.resolve())
    if base_path.resolve() in chain:
        raise ConfigError(None, f"{_where(layer, [], 'extends')}: extends {extends!r} leads back to {base_path}: a loop")
    if len(chain) > MAX_EXTENDS:
        raise ConfigError(None, f"{_where(layer, [], 'extends')}: more than {MAX_EXTENDS} files extend each other")
    base = read_layered(base_path, chain)
    if extends == SHIPPED and not is_shipped:
        base.layers[0] = base_layer = Layer(f"shipped {SHIPPED_LABEL}", base_path, base.layers[0].text)
        base.origins = {p: base_layer for p in base.origins}
    return _layered_over(base, raw, layer)


def _layered_over(base: Layered, raw: dict, layer: Layer) -> Layered:
    origins = dict(base.origins)

    def merge(into: dict, over: dict, path: str) -> dict:
        merged = copy.deepcopy(into)
        for key, value in over.items():
            here = f"{path}.{key}" if path else key
            if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "job_submit_body":
                merged[key] = merge(merged[key], value, here)
            else:
                merged[key] = value
                for stale in [p for p in origins if p.startswith(here + ".")]:
                    del origins[stale]
                origins[here] = layer
        return merged
    return Layered(merge(base.raw, raw, ""), [layer, *base.layers], origins)


# --- errors that say where they come from --------------------------------------------------

def _all_errors(exc: ValidationError, layered: Layered, name: str, sources: dict[str, str]) -> str:
    """Every field at fault, each with the file and line (or the variable) it came from and, for
    an unknown key, the nearest known one: one line for one, else a count and a line each."""
    errors = exc.errors()
    # A misspelt key also leaves the key it meant missing: the misspelling says both.
    meant = {(*map(str, e["loc"][:-1]), m) for e in errors if e["type"] == "extra_forbidden"
             for m in difflib.get_close_matches(str(e["loc"][-1]), _known_keys([str(p) for p in e["loc"][:-1]]), 1, 0.6)}
    errors = [e for e in errors if not (e["type"] == "missing" and tuple(map(str, e["loc"])) in meant)]
    lines = [_error_line(e, layered, name, sources) for e in errors[:MAX_ERRORS_SHOWN]]  # each looks up its line
    if len(errors) == 1:
        where, _, rest = lines[0].partition(": ")
        return f"{where}: environment {name!r}: {rest}"
    more = [f"... and {len(errors) - MAX_ERRORS_SHOWN:,} more"] if len(errors) > MAX_ERRORS_SHOWN else []
    return (f"{layered.layers[0].named}: environment {name!r}: {len(errors):,} fields at fault:\n"
            + "\n".join(f"  {line}" for line in lines + more))


def _error_line(error: dict, layered: Layered, name: str, sources: dict[str, str]) -> str:
    """'<file> line N: <dotted>: <what>' or 'environment variable X: <dotted>: <what>'."""
    loc = [str(p) for p in error["loc"]]
    dotted = ".".join(loc) or "(top level)"
    var = next((sources[p] for p in _prefixes(dotted) if sources.get(p, "").startswith("environment variable ")), None)
    if error["type"] == "missing":
        return (f"{layered.layers[0].named}: {dotted}: required, not set: add it under [environments.{name}"
                f"{'.' + '.'.join(loc[:-1]) if len(loc) > 1 else ''}] (or the same table under [defaults])")
    if var:
        return f"{var}: {dotted}: {error['msg']}"
    in_env = _has(layered.raw.get("environments", {}).get(name, {}), loc)
    raw_path = f"environments.{name}.{dotted}" if in_env else f"defaults.{dotted}"
    layer = layered.origin(raw_path)
    table, key = raw_path.split(".")[:-1], raw_path.split(".")[-1]
    if error["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        return f"{_where(layer, table, key)}: [{'.'.join(table)}] {key}: unknown key{_nearest(key, known)}"
    return f"{_where(layer, table, key)}: {dotted}: {error['msg']}"


def _has(table: Any, loc: list[str]) -> bool:
    """Whether the TOML table sets the value at loc (the environment's own section, or only [defaults])."""
    for part in loc:
        if not isinstance(table, dict) or part not in table:
            return False
        table = table[part]
    return True


def _known_keys(loc: list[str]) -> list[str]:
    """The keys the model at a location has (the environment's own, at the top)."""
    model: Any = Environment
    for part in loc:
        info = model.model_fields.get(part) if model is not None else None
        annotation = info.annotation if info is not None else None
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return [] if model is None else [k for k in model.model_fields if k not in ("name", "sources")]


def _nearest(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), 1, 0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _where(layer: Layer, table: list[str], key: str) -> str:
    line = _line_of(layer.text, table, key)
    return f"{layer.named} line {line}" if line else layer.named


def _line_of(text: str, table: list[str], key: str) -> int | None:
    """The line that sets `key` in the table `table` (its header, or a dotted key), best effort."""
    part = lambda p: rf"""(?:{re.escape(p)}|"{re.escape(p)}"|'{re.escape(p)}')"""  # noqa: E731
    dot = r"\s*\.\s*"
    lines = text.splitlines()
    key_re = re.compile(rf"^\s*{part(key)}\s*=")
    for depth in range(len(table), -1, -1):  # [a.b.c] key =, then [a.b] c.key =, ...
        header, rest = table[:depth], table[depth:]
        setting = re.compile(rf"^\s*{dot.join(part(p) for p in [*rest, key])}\s*=") if rest else key_re
        inside = not header
        for number, line in enumerate(lines, 1):
            if re.match(r"^\s*\[", line):
                inside = bool(header) and bool(re.match(rf"^\s*\[\s*{dot.join(part(p) for p in header)}\s*\]", line))
            elif inside and setting.match(line):
                return number
    whole = re.compile(rf"^\s*\[\s*{dot.join(part(p) for p in [*table, key])}\s*\]")  # a table at fault: its header
    return next((number for number, line in enumerate(lines, 1) if whole.match(line)), None)


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
