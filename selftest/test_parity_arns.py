"""ARNs as aws-sdk-go's arn.Parse reads them, and the partition each region belongs to (the SDK's
endpoints partitions); each case cites its rule."""
from __future__ import annotations

import pytest

from icepack_verify.arns import Arn, arn_problems, parse_arn, partition_of


@pytest.mark.parametrize("text, parsed", [
    ("arn:aws:iam::123456789012:role/app", Arn("aws", "iam", "", "123456789012", "role/app")),
    # SplitN(arn, ":", 6): the resource keeps every further colon
    ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/x:*",
     Arn("aws", "logs", "us-east-1", "123456789012", "log-group:/aws/x:*")),
    # sections may be empty (Parse does not judge them)
    ("arn:::::", Arn("", "", "", "", "")),
])
def test_parses_as_aws_sdk(text, parsed):
    assert parse_arn(text) == parsed


@pytest.mark.parametrize("text, rule", [
    ("aws:iam::1:role/x", "arn: invalid prefix"), ("ARN:aws:iam::1:role/x", "the prefix is lower case"),
    ("arn:aws:iam::1", "arn: not enough sections"), ("", "arn: invalid prefix"), (None, "not a string"),
])
def test_refused_as_aws_sdk_refuses(text, rule):
    assert parse_arn(text) is None, rule


@pytest.mark.parametrize("region, partition", [
    ("us-east-1", "aws"), ("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
    ("eu-isoe-west-1", "aws-iso-e"), ("us-isof-south-1", "aws-iso-f"), ("eusc-de-east-1", "aws-eusc"),
])
def test_partition_of_each_region(region, partition):
    assert partition_of(region) == partition


ACCOUNT = "123456789012"


@pytest.mark.parametrize("arn, region, home", [
    ("arn:aws:iam::123456789012:role/app", None, "us-east-1"),
    # a global service's ARN has no region, and takes the partition of the environment's region
    ("arn:aws-cn:iam::123456789012:role/app", None, "cn-north-1"),
    ("arn:aws-us-gov:iam::123456789012:role/app", None, "us-gov-west-1"),
    ("arn:aws:iam::123456789012:role/path/to/app", None, "eu-west-1"),
    # the colon-separated resource form
    ("arn:aws:iam::123456789012:role:app", None, "us-east-1"),
    ("arn:aws-cn:acm:cn-north-1:123456789012:role/app", "cn-north-1", None),
])
def test_right_arns(arn, region, home):
    assert arn_problems(arn, service=arn.split(":")[2], account=ACCOUNT, region=region, resource="role",
                        home_region=home) == []


@pytest.mark.parametrize("arn, region, home, problem", [
    ("arn:aws:iam::123456789012:role/app", None, "cn-north-1", "partition 'aws', expected 'aws-cn'"),
    ("arn:aws-cn:iam::123456789012:role/app", None, "us-east-1", "partition 'aws-cn', expected 'aws'"),
    ("arn:aws:iam:us-east-1:123456789012:role/app", None, "us-east-1", "region 'us-east-1', expected ''"),
    ("arn:aws:iam::999999999999:role/app", None, "us-east-1", "account '999999999999'"),
    ("arn:aws:iam::123456789012:user/app", None, "us-east-1", "resource 'user/app'"),
    ("arn:aws:iam::123456789012:role", None, "us-east-1", "resource 'role'"),
    ("role/app", None, "us-east-1", "not an ARN"),
])
def test_wrong_arns(arn, region, home, problem):
    assert any(problem in p for p in arn_problems(arn, service="iam", account=ACCOUNT, region=region,
                                                  resource="role", home_region=home))
