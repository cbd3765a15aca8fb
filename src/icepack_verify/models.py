"""Types of the split read contracts' top-level fields.

The key sets live in ``contract.py``; these models type the same keys (checked at import),
strict where the deployment document's meaning is clear, lenient where it says nothing.
The suite verifies a healthy deploy of known tables, so error fields must be null.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from icepack_verify.contract import SPLIT_READ_CONTRACTS
from icepack_verify.semantics import instant


def aware_timestamp(value: Any) -> datetime:
    """An ISO-8601 string with a time zone; anything else (naive, epoch number, prose) is refused."""
    parsed = instant(value)
    if parsed is None:
        raise PydanticCustomError("aware_timestamp", "an ISO-8601 timestamp with a time zone")
    return parsed


def table_id(value: Any) -> str | None:
    """{"database": "a", "name": "b"} or "a.b" -> "a.b"; None if it identifies no table."""
    if isinstance(value, dict) and set(value) >= {"database", "name"}:
        db, name = value["database"], value["name"]
        return f"{db}.{name}" if isinstance(db, str) and isinstance(name, str) else None
    if isinstance(value, str) and value.count(".") == 1 and all(value.split(".")):
        return value
    return None


Timestamp = Annotated[datetime, BeforeValidator(aware_timestamp)]


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")  # top-level key sets are exact

    table: Any

    @field_validator("table")
    @classmethod
    def _requested_table(cls, value: Any, info: ValidationInfo) -> str:
        ident = table_id(value)
        requested = (info.context or {}).get("table")
        if ident is None or (requested and ident != requested):
            raise PydanticCustomError("requested_table", "the requested table {requested}",
                                      {"requested": requested or "<database>.<table>"})
        return ident


class TableStatus(_Contract):
    collection: Any
    collected_at: Timestamp
    derived: Any
    files: Any
    last_error: None
    manifests: Any
    partitions: Any
    snapshot: Any
    source: Any
    stale: StrictBool


class TableHealth(_Contract):
    assessed_at: Timestamp
    collection: Any
    error: None
    health_status: str
    issues: list
    status_collected_at: Timestamp


class Recommendation(_Contract):
    error: None
    evaluated_at: Timestamp
    evidence: Any
    history: Any
    policy: Any
    recommended_actions: list
    skip_reasons: list
    status_collected_at: Timestamp


MODELS: dict[str, type[_Contract]] = {
    "status": TableStatus,
    "health": TableHealth,
    "maintenance/recommendation": Recommendation,
}

for _endpoint, _model in MODELS.items():  # one source for the keys: contract.py
    if set(_model.model_fields) != SPLIT_READ_CONTRACTS[_endpoint]:
        raise RuntimeError(f"models.{_model.__name__} fields differ from contract.py's {_endpoint} keys")


def timestamp_fields(endpoint: str) -> tuple[str, ...]:
    """The fields of an endpoint's contract that are timestamps ("collected_at", ...)."""
    return tuple(name for name, info in MODELS[endpoint].model_fields.items() if info.annotation is datetime)
