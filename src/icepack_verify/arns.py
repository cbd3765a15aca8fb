"""ARNs as aws-sdk-go's arn package parses them (arn/arn.go): 'arn:' then five ':'-separated
sections, partition, service, region, account, and the resource, which keeps any further colons.
The resource is 'type/id' or 'type:id' (both forms are AWS's documented ARN formats).

Each region belongs to one partition (the SDK's endpoints partitions: aws, aws-cn, aws-us-gov,
aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc); a global service's ARN (IAM) has no region,
and its partition is still that of the environment's region.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Region prefixes of the partitions other than 'aws' (endpoints.json regionRegex), the longest first.
_PARTITIONS = (("us-isob-", "aws-iso-b"), ("us-isof-", "aws-iso-f"), ("eu-isoe-", "aws-iso-e"),
               ("us-iso-", "aws-iso"), ("us-gov-", "aws-us-gov"), ("cn-", "aws-cn"), ("eusc-", "aws-eusc"))


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(value: object) -> Arn | None:
    """arn.Parse: None for a value without the 'arn:' prefix or with fewer than six sections."""
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    return Arn(*parts[1:]) if len(parts) == 6 else None


def partition_of(region: str) -> str:
    return next((p for prefix, p in _PARTITIONS if region.startswith(prefix)), "aws")


def arn_problems(value: object, *, service: str, account: str, region: str | None, resource: str,
                 home_region: str | None = None) -> list[str]:
    """What is wrong with an ARN for this use ([] when right): partition (of `region`, or of
    `home_region` for a global service), service, region (None: global, must be empty), account,
    and a resource of the given type ('role/<name>' or 'role:<name>')."""
    arn = parse_arn(value)
    if arn is None:
        return ["not an ARN"]
    wanted = {"partition": partition_of(region or home_region or "us-east-1"), "service": service,
              "region": region or "", "account": account}
    problems = [f"{k} {getattr(arn, k)!r}, expected {v!r}" for k, v in wanted.items() if getattr(arn, k) != v]
    if not re.fullmatch(rf"{re.escape(resource)}[/:][\w+=,.@/:-]+", arn.resource):
        problems.append(f"resource {arn.resource!r}, expected {resource}/<name> or {resource}:<name>")
    return problems
