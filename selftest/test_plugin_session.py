"""The plugin in-process (pytester), against a tiny suite of its own and endpoints that do not
answer: two runs in one process give the same report (no state outlives a run), the exit code
is the report's, a failed dependency is "not run" once per cause, and secrets are redacted by
structure (a short DSN password leaves words and paths that contain its letters intact)."""
from __future__ import annotations

import json
import os
import re

import httpcore  # noqa: F401
import kubernetes  # noqa: F401
import psycopg  # noqa: F401
import pytest
import yaml

# Imported once, here: both in-process runs below use these very module objects, so any state
# a run left in a module or class would show in the second run. The clients' libraries too:
# pytester drops the modules a run imported, and a library imported again under one it kept
# (httpx keeps the httpcore it first loaded) raises exceptions of classes the other does not know.
import icepack_verify.api  # noqa: F401
import icepack_verify.cluster  # noqa: F401
import icepack_verify.database  # noqa: F401
import icepack_verify.plugin  # noqa: F401
from harness import edited_environments

pytest_plugins = ["pytester"]

PASSWORD = "ice"  # short, and inside many words and paths
TOKEN = "Tok3n-in-the-query-7731"
SUITE = {
    "conftest.py": 'pytest_plugins = ["icepack_verify.plugin"]\n',
    "test_api.py": "def test_needs_the_api(api):\n    pass\n\n"
                   "def test_needs_the_api_too(api):\n    pass\n",
    "test_database.py": "def test_needs_the_database(database):\n    pass\n",
    "test_cluster.py": "def test_needs_the_cluster(cluster):\n    pass\n",
    "test_plain.py": (
        "from icepack_verify import Warned\n\n"
        "def test_knows_its_environment(environment):\n"
        "    assert environment.name == 'local'\n\n"
        "def test_warns(diagnose):\n"
        "    diagnose('GET /slow').warn(Warned, 'slow, not yet wrong')\n\n"
        "def test_passes_quietly(environment):\n"
        "    pass\n"),
}


@pytest.fixture
def suite(pytester, tmp_path_factory, monkeypatch):
    """The tiny suite, an environments file whose endpoints refuse connections at once, and
    one attempt each (no retries to wait for)."""
    pytester.makepyfile(**{name.removesuffix(".py"): text for name, text in SUITE.items()})
    folder = tmp_path_factory.mktemp("settings")
    environments = edited_environments(folder, ("http_attempts = 5 ", "http_attempts = 1 "))
    kubeconfig = folder / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "icepack-twin",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": "kube-Tok-5521"}}],
        "contexts": [{"name": "icepack-twin", "context": {"cluster": "c", "user": "u", "namespace": "icepack"}}]}))
    for name in [n for n in os.environ if n.startswith("ICEPACK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ICEPACK_API_URL", f"http://127.0.0.1:9/?access_token={TOKEN}")
    monkeypatch.setenv("ICEPACK_DATABASE_URL", f"postgresql://reader:{PASSWORD}@127.0.0.1:9/icepack")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # only the plugin under test
    return environments


def run(pytester, environments, name: str):
    report, junit = pytester.path / f"{name}.json", pytester.path / f"{name}.xml"
    result = pytester.runpytest_inprocess("--env", "local", f"--environments={environments}", "-p", "no:cacheprovider",
                                          f"--report-json={report}", f"--junitxml={junit}", "-rA", "--tb=long")
    return result, json.loads(report.read_text()), junit.read_text()


def comparable(data: dict) -> dict:
    """The report without what differs between two runs of the same thing: time."""
    data = {k: v for k, v in data.items() if k != "finished_at"}
    data["results"] = [{k: v for k, v in r.items() if k != "duration"} for r in data["results"]]
    data["not_run"] = [{k: v for k, v in r.items() if k != "duration"} for r in data["not_run"]]
    return data


def test_two_runs_in_one_process_give_the_same_report(pytester, suite):
    first, data, _ = run(pytester, suite, "first")
    second, again, _ = run(pytester, suite, "second")
    assert comparable(data) == comparable(again)
    assert first.ret == second.ret == data["exit_code"] == 75  # the process's exit code is the report's
    assert len(data["warnings"]) == 1 and data["warnings"][0]["test"] == "test_plain.py::test_warns"


def test_a_dependency_down_is_not_run_once_per_cause_and_never_a_rollback(pytester, suite):
    result, data, junit = run(pytester, suite, "down")
    assert data["verdict"] == "inconclusive" and data["rollback_tier"] is None and not data["failures"]
    assert data["counts"] == {"passed": 3, "not run": 4, "warnings": 1}
    causes = {g["dependency"]: len(g["tests"]) for g in data["not_run_causes"]}
    assert causes == {"Icepack API": 2, "database": 1, "Kubernetes": 1}
    out = result.stdout.str()
    lines = [line for line in out.splitlines() if line.startswith("not run: Icepack API is down")]
    assert len(lines) == 1 and lines[0].endswith("; 2 tests"), out  # said once, with its count
    assert "rollback:" not in out and "INTERNALERROR" not in out
    assert '<property name="icepack_verdict" value="inconclusive" />' in junit


def test_secrets_are_redacted_as_whole_values_in_every_output(pytester, suite):
    pytester.makepyfile(test_careless=(
        "import os\n\n"
        "def test_careless(database):\n"
        "    pass\n\n"
        "def test_prints(environment):\n"
        "    print('service at /srv/icepack/services, dsn', os.environ['ICEPACK_DATABASE_URL'], 'password ice')\n"
        "    raise AssertionError('justice served at ' + os.environ['ICEPACK_API_URL'] + ' (password ice)')\n"))
    result, data, junit = run(pytester, suite, "redacted")
    texts = {"stdout": result.stdout.str(), "json": json.dumps(data), "junit": junit}
    for where, text in texts.items():
        assert TOKEN not in text and "kube-Tok-5521" not in text, where
        assert not re.search(rf"(?<![A-Za-z0-9]){PASSWORD}(?![A-Za-z0-9])", text), where  # never the password itself
    message = next(r["message"] for r in data["results"] if r["test"] == "test_careless.py::test_prints")
    assert "justice served at http://127.0.0.1:9/?access_token=*** (password ***)" in message
    assert "service at /srv/icepack/services, dsn *** password ***" in texts["stdout"]  # words and paths with its letters stay whole
    assert data["verdict"] == "unsafe" and result.ret == 1  # an assert is an observation


def test_whatever_a_client_library_raises_is_not_run_and_only_evidence_names_a_rollback(pytester, suite):
    """Errors no client of ours turned into a Problem (a library's own exception, a parser giving up
    on hostile nesting) leave their tests not run; a check's own bug is an error with no rollback."""
    pytester.makepyfile(test_raw=(
        "import json\n\n"
        "import httpx\n"
        "import pytest\n\n"
        "@pytest.fixture\n"
        "def answer():\n"
        "    return httpx.get('http://127.0.0.1:9/readyz')  # a client library's own error, in a fixture\n\n"
        "def test_reads_an_answer(answer):\n"
        "    pass\n\n"
        "def test_parses_deep_nesting(environment):\n"
        "    json.loads('[' * 100000 + ']' * 100000)\n\n"
        "def test_has_a_bug(environment):\n"
        "    {}['missing']\n"))
    result, data, _ = run(pytester, suite, "raw")
    outcome = {r["test"]: r for r in data["results"]}
    assert outcome["test_raw.py::test_reads_an_answer"]["message"].startswith(
        "not run: Icepack API failed mid-run: ConnectError:")
    assert outcome["test_raw.py::test_parses_deep_nesting"]["message"] == (
        "not run: could not observe: an answer nested too deep to read (RecursionError)")
    bug = outcome["test_raw.py::test_has_a_bug"]
    assert bug["outcome"] == "failed" and bug["rollback_tier"] is None  # shown, but no evidence for a rollback
    assert data["verdict"] == "unsafe" and data["rollback_hint"] is None and result.ret == 1
    assert "INTERNALERROR" not in result.stdout.str()


def test_a_report_that_cannot_be_written_makes_the_run_inconclusive_in_one_sentence(pytester, suite):
    pytester.makepyfile(test_only=("def test_passes(environment):\n    pass\n"))
    (pytester.path / "taken").mkdir()
    result = pytester.runpytest_inprocess("--env", "local", f"--environments={suite}", "-p", "no:cacheprovider",
                                          "--report-json=taken", "test_only.py")
    out = result.stdout.str()
    assert result.ret == 75, out
    assert "inconclusive: the JSON report could not be written to taken: IsADirectoryError" in out
    assert "Traceback" not in out and "INTERNALERROR" not in out


@pytest.mark.parametrize("hostile", ["a directory", "invalid UTF-8", "a FIFO no one writes"])
def test_a_hostile_environments_file_is_a_usage_error_in_one_sentence(pytester, suite, hostile):
    path = pytester.path / "hostile.toml"
    if hostile == "a directory":
        path.mkdir()
    elif hostile == "invalid UTF-8":
        path.write_bytes(b'[environments.local]\napi_url = "\xff\xfe"\n')
    else:
        os.mkfifo(path)
    pytester.makepyfile(test_only=("def test_passes(environment):\n    pass\n"))
    args = ("--env", "local", f"--environments={path}", "-p", "no:cacheprovider", "--deadline", "1")
    # The FIFO's run ends on its deadline's SIGINT: in a process of its own, not this one.
    result = (pytester.runpytest_subprocess(*args, timeout=60) if hostile.startswith("a FIFO")
              else pytester.runpytest_inprocess(*args))
    errors = [line for line in result.stderr.lines if line.strip()]
    assert result.ret == 4 and len(errors) == 1 and errors[0].startswith("ERROR: ") and str(path) in errors[0], errors
