"""Drifts and probes of the breaking-change rules (oasdiff's, tests/contracts/test_openapi.py): the
served /openapi.json changed against the committed baseline, request side and WARN level included,
and changes oasdiff levels INFO, which must pass."""
from __future__ import annotations

from icepack_twin.drifts.base import DriftList, switch

DRIFTS = DriftList("contracts")
PROBES = DriftList("equivalent")

STATUS_PARAMETERS = "/paths/~1tables~1{database}~1{table}~1status/get/parameters/-"
JOB_REQUEST = "/components/schemas/JobRequest"
HEALTH_STATUS_ENUM = "/components/schemas/TableHealth/properties/health_status/enum/-"

DRIFTS.add("openapi-status-requires-a-query-parameter",
           "/openapi.json now requires a query parameter on /status (clients that omit it are refused by contract)",
           behaviour=switch(openapi_edits={STATUS_PARAMETERS: {
               "name": "as_of", "in": "query", "required": True, "schema": {"type": "string", "format": "date-time"}}}))
DRIFTS.add("openapi-job-request-requires-a-reason",
           "/openapi.json adds a required property to the maintenance job request body",
           behaviour=switch(openapi_edits={f"{JOB_REQUEST}/properties/reason": {"type": "string"},
                                           f"{JOB_REQUEST}/required": ["action", "dry_run", "reason"]}))
DRIFTS.add("openapi-health-status-enum-widened",
           "/openapi.json lets /health answer a fourth health_status, 'unknown' (a WARN: clients may not expect it)",
           behaviour=switch(openapi_edits={HEALTH_STATUS_ENUM: "unknown"}))

PROBES.add("openapi-optional-query-parameter-added", "/openapi.json documents an optional query parameter on /status",
           behaviour=switch(openapi_edits={STATUS_PARAMETERS: {
               "name": "verbose", "in": "query", "required": False, "schema": {"type": "boolean"}}}))
PROBES.add("openapi-request-property-made-optional",
           "/openapi.json no longer requires dry_run in the job request (oasdiff: INFO)",
           behaviour=switch(openapi_edits={f"{JOB_REQUEST}/required": ["action"]}))
