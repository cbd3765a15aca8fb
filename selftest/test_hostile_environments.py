"""Hostile environments files and settings, as an operator's `pytest --env local --environments=<file>`
meets them: each is refused with exit 4 and one sentence naming the file (and, for a setting,
the environment and the field), within seconds, never a traceback, a hang or exhausted memory."""
from __future__ import annotations

import os
import sys

import pytest

from harness import ROOT, edited_environments
from measured import run_measured

TRACEBACK_SIGNS = ("Traceback", "INTERNALERROR", "site-packages", 'File "')


def refused(path, *, timeout: float = 30):
    """Run the suite on `path`; the refusal's lines, seconds and peak memory (MiB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICEPACK_")}
    run = run_measured([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--env", "local",
                        f"--environments={path}"], cwd=ROOT, env=env, timeout=timeout)
    assert not any(sign in run.output for sign in TRACEBACK_SIGNS), run.output[-3000:]
    assert run.returncode == 4, run.output[-3000:]
    return [line for line in run.output.splitlines() if line.strip()], run.seconds, run.peak_mib


def one_sentence(lines: list[str], *words: str) -> str:
    assert len(lines) == 1 and lines[0].startswith("ERROR: "), lines
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


def test_a_directory_is_refused(tmp_path):
    lines, _, _ = refused(tmp_path)
    one_sentence(lines, str(tmp_path), "is a directory, not a regular file")


def test_a_fifo_is_refused_without_waiting_on_it(tmp_path):
    fifo = tmp_path / "environments.toml"
    os.mkfifo(fifo)  # nobody ever writes to it: opening it for reading would wait forever
    lines, elapsed, _ = refused(fifo, timeout=20)
    one_sentence(lines, str(fifo), "is a FIFO (named pipe), not a regular file")


def test_a_device_is_refused():
    lines, _, _ = refused("/dev/zero")
    one_sentence(lines, "/dev/zero is a character device, not a regular file")


def test_a_file_over_the_size_bound_is_refused(tmp_path):
    big = tmp_path / "environments.toml"
    big.write_text((ROOT / "environments.toml").read_text() + "# padding\n" * 200_000)
    lines, _, _ = refused(big)
    one_sentence(lines, str(big), "more than the 1,048,576 an environments file may have")


def test_invalid_utf8_is_refused_naming_the_line(tmp_path):
    bad = tmp_path / "environments.toml"
    bad.write_bytes((ROOT / "environments.toml").read_bytes().replace(b'region = "us-east-1"', b'region = "us-\xff"'))
    line = bad.read_bytes().split(b"\n").index(b'region = "us-\xff"') + 1
    lines, _, _ = refused(bad)
    one_sentence(lines, str(bad), f"is not UTF-8 text: byte 0xff on line {line}")


def test_a_200_kb_dotted_key_is_refused_quickly_in_bounded_memory(tmp_path):
    """tomllib's cost grows with the square of a dotted key's parts: 100,000 parts would take gigabytes."""
    bomb = tmp_path / "environments.toml"
    bomb.write_text((ROOT / "environments.toml").read_text() + "\n" + "a" + ".a" * 100_000 + " = 1\n")
    assert bomb.stat().st_size > 200_000
    lines, elapsed, peak = refused(bomb)
    one_sentence(lines, str(bomb), "a dotted key or table header of more than 32 parts")
    print(f"200 KB dotted key refused in {elapsed:.2f} s, peak {peak:.0f} MiB")  # measured, not asserted


def test_a_200_kb_file_of_dotted_keys_is_refused_in_a_bounded_message(tmp_path):
    many = edited_environments(tmp_path, ('kube_context = "icepack-twin"', 'kube_context = "icepack-twin"\n' +
                                          "".join(f"k{i}.a.b = 1\n" for i in range(20_000))))
    assert many.stat().st_size > 200_000
    lines, elapsed, peak = refused(many)
    assert lines[0] == f"ERROR: {many}: environment 'local': 20,000 fields at fault:", lines[:2]
    assert len(lines) == 22 and lines[-1] == "  ... and 19,980 more", lines[-3:]
    print(f"20,000 dotted keys refused in {elapsed:.2f} s, peak {peak:.0f} MiB")


@pytest.mark.parametrize("value", ["[" * 1000 + "]" * 1000, "{ a = " * 1000 + "1" + " }" * 1000])
def test_deep_nesting_is_refused_before_the_parser_recurses(tmp_path, value):
    deep = edited_environments(tmp_path, ('kube_context = "icepack-twin"', f'kube_context = "icepack-twin"\nx = {value}'))
    lines, _, _ = refused(deep)
    one_sentence(lines, str(deep), "arrays or inline tables nested more than 16 deep")


@pytest.mark.parametrize("edit, words", [
    # a nested array where a list of names belongs
    (('known_tables = ["analytics.events", "sales.orders", "ops.audit_log"]', 'known_tables = [["analytics.events"]]'),
     "environment 'local': known_tables.0: Input should be a valid string"),
    # an inline table where a name belongs
    (('release = "icepack"', 'release = { name = "icepack" }'),
     "environment 'local': names.release: Input should be a valid string"),
    # an environment written as an array of tables
    (("[environments.local]\n", "[[environments.local]]\n"),
     "environment 'local' must be a table ([environments.local]), not an array"),
])
def test_arrays_and_inline_tables_in_the_wrong_place_are_one_sentence(tmp_path, edit, words):
    lines, _, _ = refused(edited_environments(tmp_path, edit))
    one_sentence(lines, words)


@pytest.mark.parametrize("edit, words", [
    (('latency_warn = "1s"', 'latency_warn = "5s"'),
     "environment 'local': checks: Value error, latency_warn (5s) must be below latency_fail (3s)"),
    (('warn_grace = "5m"', 'warn_grace = "30m"'),
     "environment 'local': data: Value error, warn_grace (1800s) must be below fail_grace (1200s)"),
    (("http_attempts = 5 ", "http_attempts = true "),
     "environment 'local': checks.http_attempts: Value error, true is a boolean; a number belongs here"),
    (("replicas = 2", "replicas = -5"),
     "environment 'local': expect.api.replicas: Input should be greater than or equal to 1"),
    (("max_body_bytes = 10485760", "max_body_bytes = 0"),
     "environment 'local': checks.max_body_bytes: Input should be greater than or equal to 1024"),
    (("read_release_secrets = true", 'read_release_secrets = "yes"'),
     "environment 'local': read_release_secrets: Input should be a valid boolean"),
    (('release = "icepack"', 'release = "icepack,owner!=helm"'),
     "environment 'local': names.release: Value error, 'icepack,owner!=helm' is not a Helm release name"),
    (('namespace = "icepack"', 'namespace = "icepack/../kube-system"'),
     "environment 'local': namespace: Value error, 'icepack/../kube-system' is not a Kubernetes namespace"),
    (('api = "icepack-api"', 'api = "Icepack API"'),
     "environment 'local': names.api: Value error, 'Icepack API' is not a Kubernetes object name"),
    (('kube_context = "icepack-twin"', 'kube_context = ""'),
     "environment 'local': kube_context: String should have at least 1 character"),
])
def test_settings_that_break_a_rule_are_refused_naming_the_field(tmp_path, edit, words):
    lines, _, _ = refused(edited_environments(tmp_path, edit))
    one_sentence(lines, words)
