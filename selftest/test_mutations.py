"""The mutation engine (python -m icepack_twin mutate) and its ledger (mutations.toml).

Generation is deterministic with unique ids; every layer's mutations reach a running twin
(and a kube one visibly changes what the cluster serves); every ledger entry still matches
a generated mutation and every `harmless` one is passed by the suite; a mutation the suite
must catch is reported `caught`, with the right failing test, end to end through the CLI.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone

import pytest

from harness import EXPECTATIONS, ROOT
from icepack_twin.mutate import LAYERS, engine, ledger
from icepack_twin.mutate.model import Mutation
from icepack_twin.mutate import layers as _layers  # noqa: F401  (registers every layer)

pytestmark = pytest.mark.xdist_group("mutations")  # one twin's worlds, read once
LEDGER = ROOT / "mutations.toml"
REPLICAS = "kube:Deployment/icepack-api:spec.replicas:*"


@pytest.fixture(scope="module")
def generated(twin):
    twin.configure("local")
    worlds = {name: twin.world(name) for name in sorted(LAYERS)}
    return worlds, engine.generate(worlds, sorted(LAYERS))


def ids(mutations):
    return [m.id for m in mutations]


def test_generation_is_deterministic_with_unique_ids(generated):
    worlds, first = generated
    again = engine.generate(json.loads(json.dumps(worlds)), sorted(LAYERS))
    assert {n: ids(ms) for n, ms in first.items()} == {n: ids(ms) for n, ms in again.items()}
    every = [m.id for ms in first.values() for m in ms]
    assert len(every) == len(set(every))  # engine.generate also refuses collisions
    assert len(first["kube"]) > 1000, "the kube layer covers every leaf of every served object"
    kube = set(ids(first["kube"]))
    for expected in ("kube:Deployment/icepack-api:spec.replicas:scale-x0",
                     "kube:Deployment/icepack-api:spec.template.spec.containers[api].image:other-tag",
                     "kube:Secret/sh.helm.release.v1.icepack@current:data.release{helm}.chart.metadata.version:other-patch",
                     "kube:Deployment/icepack-api::add-deny-ingress-policy", "kube:CronJob/icepack-health-sync::add-failed-job"):
        assert expected in kube
    one = engine.sample(first, seed=7, limit=50)
    assert ids(one) == ids(engine.sample(again, seed=7, limit=50)) and len(one) == 50
    assert ids(one) != ids(engine.sample(first, seed=8, limit=50))


def test_every_layer_reaches_the_twin(twin, generated):
    """A small sample of each layer is accepted by a configure; a kube edit shows in what the cluster serves."""
    _, by_layer = generated
    for name, mutations in by_layer.items():
        for m in engine.sample({name: mutations}, seed=3, limit=4):
            twin.configure("local", mutations=(m.as_json(),))  # a 422 raises
    replicas = next(m for m in by_layer["kube"] if m.id == "kube:Deployment/icepack-api:spec.replicas:scale-x0")
    twin.configure("local", mutations=(replicas.as_json(),))
    served = [o for o in twin.world("kube")["objects"] if o["kind"] == "Deployment" and o["metadata"]["name"] == "icepack-api"]
    assert served[0]["spec"]["replicas"] == 0
    twin.configure("local")
    served = [o for o in twin.world("kube")["objects"] if o["kind"] == "Deployment" and o["metadata"]["name"] == "icepack-api"]
    assert served[0]["spec"]["replicas"] == 2


def test_every_ledger_entry_matches_a_generated_mutation(generated):
    _, by_layer = generated
    every = [m.id for ms in by_layer.values() for m in ms]
    entries = ledger.load(LEDGER)
    assert entries, "mutations.toml holds entries"
    stale = [e.id for e in entries if not any(e.matches(i) for i in every)]
    stale += [f"{e.id} except {p}" for e in entries for p in e.excepted
              if not any(ledger._match(i, p) and ledger._match(i, e.id) for i in every)]
    assert not stale, f"ledger entries that match no generated mutation: {stale}"


def test_no_ledger_entry_claims_a_mutation_the_committed_full_run_caught():
    """The ledger says the suite passes (harmless) or cannot see (unobservable) a mutation; the newest committed
    full run says what it did. An entry matching a mutation that run caught is wider than the truth: narrow it
    (except = [...]) or drop it."""
    entries = ledger.load(LEDGER)
    reports = [json.loads(r.read_text()) | {"name": r.name} for r in (ROOT / "bench" / "mutations").glob("full-*.json")]
    assert reports, "a full run's report is committed in bench/mutations/"
    newest = max(reports, key=lambda r: r["run"]["started"])
    claimed = []
    for report in [newest]:
        for m in report["mutations"]:
            entry = ledger.verdict(entries, m["id"]) if m["outcome"] == "caught" else None
            if entry is not None:
                claimed.append(f"{m['id']} ({report['name']}: caught by {m['details']['failed'][:1]}) "
                               f"is called {entry.kind} by {entry.id}")
    assert not claimed, "ledger entries the suite contradicts:\n" + "\n".join(claimed[:40])


def test_every_harmless_entry_passes_the_suite(twin, generated):
    """One mutation per harmless entry (the first matching id), judged by the whole read-only suite."""
    _, by_layer = generated
    every = sorted((m for ms in by_layer.values() for m in ms), key=lambda m: m.id)
    failures = []
    try:
        for entry in (e for e in ledger.load(LEDGER) if e.kind == "harmless"):
            m = next(m for m in every if entry.matches(m.id))
            twin.configure("local", mutations=(m.as_json(),))
            run = twin.run_suite("local", "-m", "not mutating", *EXPECTATIONS)
            if run.summary.get("verdict") != "safe":
                failures.append(f"{entry.id} ({m.id}): {run.summary.get('verdict')}: {sorted(run.failed)}")
    finally:
        twin.configure("local")
    assert not failures, "harmless entries the suite does not pass:\n" + "\n".join(failures)


def test_a_known_gap_closed_is_caught_end_to_end(twin, tmp_path):
    """The API's replicas changed: caught by the API Deployment check, through the CLI with --layer, --only
    and --limit, on the running twin (--attach); a ledger that calls it harmless is contradicted."""
    contradicted = tmp_path / "mutations.toml"
    contradicted.write_text(f'[[harmless]]\nid = "{REPLICAS}"\nreason = "a deliberately wrong entry"\ncite = "none"\n')
    report = tmp_path / "mutations.json"
    twin.configure("local")
    proc = subprocess.run(
        [sys.executable, "-m", "icepack_twin", "mutate", "--layer", "kube", "--only", REPLICAS, "--limit", "2",
         "--seed", "1", "--attach", str(twin.state_dir), "--report", str(report), "--ledger", str(contradicted)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(report.read_text())
    assert data["run"]["sampled"] == 2 and data["run"]["layers"] == ["kube"]
    assert data["run"]["healthy_before"][0]["verdict"] == data["run"]["healthy_after"][0]["verdict"] == "safe"
    for m in data["mutations"]:
        assert m["outcome"] == "caught", m
        assert "tests/infra/test_api_deployment.py::test_api_deployment_spec" in m["details"]["failed"], m
        assert m["details"]["ledger_contradicted"] is True and m["details"]["first_failure"]
    assert data["run"]["totals"]["caught"] == 2 and data["run"]["score"] == 1.0
    assert "score 1.0" in proc.stderr


def test_bad_input_is_one_sentence(tmp_path):
    for args, said in ((["--layer", "nope"], "unknown layer(s) nope"), (["--limit", "0"], "--limit and --checkpoint-every: at least 1"),
                       (["--attach", str(tmp_path)], "no running twin there")):
        proc = subprocess.run([sys.executable, "-m", "icepack_twin", "mutate", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode != 0 and said in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    bad = tmp_path / "ledger.toml"
    bad.write_text('[[harmless]]\nid = "kube:*"\nreason = "no cite"\n')
    with pytest.raises(ledger.LedgerError, match="needs a cite"):
        ledger.load(bad)
    assert ledger.Entry("harmless", "kube:Pod/*:spec.containers[api].*:remove", "r").matches(
        "kube:Pod/p:spec.containers[api].image:remove")
    narrowed = ledger.Entry("harmless", "body:*:?*:add-key", "r", "c", ("body:*:evidence:add-key",))
    assert narrowed.matches("body:GET /t:snapshot:add-key") and not narrowed.matches("body:GET /t:evidence:add-key")
    bad.write_text('[[harmless]]\nid = "kube:*"\nreason = "r"\ncite = "c"\nexcept = "kube:Pod/*"\n')
    with pytest.raises(ledger.LedgerError, match="except must be a list"):
        ledger.load(bad)


def test_server_set_metadata_is_only_generated_in_forms_a_server_serves(generated):
    """No generated state an API server never serves: its own metadata fields (uid, resourceVersion,
    generation, creationTimestamp, selfLink) are never added, removed, emptied, zeroed or made negative,
    nor set in a template; what is left of them keeps their form."""
    _, by_layer = generated
    kube = by_layer["kube"]
    server = re.compile(r"(^|\.)metadata\.(uid|resourceVersion|generation|creationTimestamp|selfLink|deletionGracePeriodSeconds)$")
    on_server_fields = [m for m in kube if server.search(m.path)]
    assert on_server_fields, "the objects' own server-set fields are still mutated within their form"
    for m in on_server_fields:
        assert m.path.count("metadata") == 1 and m.path.startswith("metadata."), f"{m.id}: a template's metadata"
        assert m.operator in ("scale-x2", "other-uid", "earlier-1h", "earlier-1d", "later-1h"), m.id
    assert not [m.id for m in kube if m.path.endswith("metadata.generation") and m.target.startswith(("Node/", "Pod/"))]
    assert "kube:Pod/icepack-api-7d9f8c6b5-x7k2p:metadata.deletionTimestamp:add-field" in {m.id for m in kube}
    observed = [m for m in kube if m.path.endswith("observedGeneration")]  # status validation: never negative
    assert observed and not [m.id for m in observed if m.operator == "minus-1"]


def test_a_mutation_that_never_landed_is_not_applied_not_survived(twin, tmp_path):
    """A body edit whose path the live body lacks (and one on a route the suite never asks) changes
    nothing: the engine records not-applied, with why, and counts it nowhere in the score."""
    twin.configure("local")
    lacking = Mutation("body", "GET /tables/analytics/events/status", "no_such_key", "remove",
                              {"route": "GET /tables/analytics/events/status", "path": ["no_such_key"], "op": "remove"},
                              "a key the body does not have, removed")
    unasked = Mutation("framing", "GET /tables/nobody/asks/status", "", "status-500",
                              {"route": "GET /tables/nobody/asks/status", "op": "status", "status": 500},
                              "a route nobody requests answers 500")
    opts = engine.Options(suite_dir=ROOT, preload=False)
    worker = engine._Worker(twin, opts, "selftest")
    results = [worker.judge(m, []) for m in (lacking, unasked)]
    twin.configure("local")
    for r in results:
        assert r["outcome"] == "not-applied", r
        assert r["details"]["verdict"] == "safe" and "requested" in r["details"]["why"], r
    assert "(the suite requested GET /tables/nobody/asks/status 0 times)" in results[1]["details"]["why"]
    assert engine.score(Counter(r["outcome"] for r in results)) is None


def test_no_observation_is_a_catch_only_while_the_healthy_twin_is_safe(twin, generated):
    """A run that observes nothing (inconclusive) catches a mutation only if the healthy twin, run again at once,
    is safe: revoking CONNECT is caught so; under a machine too loaded for the twin to answer (here: every run
    inconclusive) the mutation is left unjudged, out of the report, for --resume (the full run of be82264 recorded
    144 such false catches while a self-test ran beside it)."""
    _, by_layer = generated
    revoke = next(m for m in by_layer["database"] if m.id == "database:database icepack:grants:revoke-connect")
    opts = engine.Options(suite_dir=ROOT, preload=False)
    judged = engine._Worker(twin, opts, "selftest").judge(revoke, [])
    assert (judged["outcome"], judged["details"]["verdict"]) == ("caught", "inconclusive"), judged

    class Starved(engine._Worker):
        def run_suite(self, reads=()):
            return {"verdict": "inconclusive", "exit_code": 75, "seconds": 9.9, "failures": [], "not_run": [],
                    "output": "the cluster did not answer in time"}

    results = engine._judge_all([Starved(twin, opts, "starved")], [revoke], [])
    twin.configure("local")
    assert results == []


def test_the_summary_tells_catches_by_verdict():
    """A catch only as inconclusive (a dependency failed, nothing observed) is listed on its own."""
    def caught(i, verdict):
        return {"id": f"kube:X/{i}::op", "layer": "kube", "operator": "op", "description": "d", "outcome": "caught",
                "details": {"verdict": verdict, "first_failure": f"failure {i}"}}
    results = [caught(1, "unsafe"), caught(2, "unsafe"), caught(3, "inconclusive")]
    report = engine._report(engine.Options(), datetime.now(timezone.utc), 1.0, {"kube": results}, results, results,
                            [{"worker": "w1"}], [])
    assert report["run"]["caught_by_verdict"] == {"unsafe": 2, "inconclusive": 1}
    text = engine.summary(report)
    assert "caught as unsafe 2 (an observation); as inconclusive 1 (no observation: a weaker catch)" in text
    assert "caught only as not unsafe (1" in text and "kube:X/3::op  (inconclusive: failure 3)" in text
    assert "kube:X/1::op  (" not in text


def _collected(*args: str) -> tuple[int, set[str], str]:
    proc = subprocess.run([sys.executable, "-m", "pytest", "--env", "local", "-m", "not mutating", "-p",
                           "no:cacheprovider", "--collect-only", "-q", *args, "tests"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    return proc.returncode, {line for line in proc.stdout.splitlines() if line.startswith("tests/")}, proc.stderr


def test_the_selection_keeps_the_tests_that_use_the_layers_fixtures():
    """--mutation-reads keeps a test when its fixture closure holds one of the fixtures (the Kubernetes
    API's `cluster`: the infra tests); a name no test uses is one sentence, never a run of nothing."""
    select = ("-p", "icepack_twin.mutate.suite_server")
    _, every, _ = _collected()
    _, kube, _ = _collected(*select, "--mutation-reads=" + ",".join(engine.READS["kube"]))
    _, api_db, _ = _collected(*select, "--mutation-reads=" + ",".join(engine.READS["rows"]))
    assert kube and kube < every and all(t.startswith("tests/infra/") for t in kube), sorted(every - kube)[:5]
    assert api_db < every and not api_db & kube and any(t.startswith("tests/data/") for t in api_db)
    code, _, said = _collected(*select, "--mutation-reads=no_such_fixture")
    assert code == 4 and "no_such_fixture: no test uses these fixtures" in said and "Traceback" not in said, said


def test_a_selective_run_judges_as_the_whole_suite(twin):
    """A kube and a body mutation, each judged with only the tests its layer can reach and with the
    whole suite: the same outcome and the same failing tests (the full proof is a seeded sample, README)."""
    twin.configure("local")
    worlds = {name: twin.world(name) for name in ("kube", "body")}
    by_layer = engine.generate(worlds, ["kube", "body"])
    picked = [next(m for m in by_layer["kube"] if m.id == "kube:Deployment/icepack-api:spec.replicas:scale-x2"),
              next(m for m in by_layer["body"] if m.id == "body:GET /tables/ops/audit_log/status:derived.avg_file_bytes:remove")]
    judged = {}
    try:
        for select in (True, False):
            worker = engine._Worker(twin, engine.Options(suite_dir=ROOT, preload=False, select=select), "selftest")
            judged[select] = [worker.judge(m, []) for m in picked]
    finally:
        twin.configure("local")
    for selective, whole in zip(judged[True], judged[False]):
        assert selective["outcome"] == whole["outcome"] == "caught", (selective, whole)
        assert selective["details"]["failed"] == whole["details"]["failed"], (selective, whole)


def _mutate(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "icepack_twin", "mutate", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_run_cut_off_keeps_its_checkpoint_and_resume_finishes_it(twin, tmp_path):
    """A run ended by SIGTERM (a CI step or a session ending) keeps the judgements of its last checkpoint;
    --resume judges only the rest, and the finished report holds every mutation once, in two parts."""
    report = tmp_path / "mutations.json"
    twin.configure("local")
    args = ["--layer", "kube", "--only", REPLICAS, "--attach", str(twin.state_dir), "--report", str(report)]
    proc = _mutate(*args, "--checkpoint-every", "1")
    deadline = time.monotonic() + 300
    while not (report.exists() and json.loads(report.read_text())["run"]["judged"] >= 1):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][-3000:]
        time.sleep(0.2)
    proc.terminate()
    _, err = proc.communicate(timeout=300)
    cut = json.loads(report.read_text())["run"]
    assert cut["interrupted"] and 1 <= cut["judged"] < cut["sampled"] and "Traceback" not in err, err[-3000:]
    assert cut["commit"] == engine.tree_commit(ROOT)

    proc = _mutate(*args, "--resume")
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    assert f"{cut['judged']} judged before, continued from {report}" in err
    done = json.loads(report.read_text())
    ids = [m["id"] for m in done["mutations"]]
    assert not done["run"]["interrupted"] and len(ids) == len(set(ids)) == done["run"]["sampled"] == done["run"]["judged"]
    assert [p["judged"] for p in done["run"]["parts"]] == [cut["judged"], cut["sampled"] - cut["judged"]]
    assert {m["outcome"] for m in done["mutations"]} == {"caught"}

    refused = _mutate(*args, "--resume")
    _, err = refused.communicate(timeout=120)
    assert refused.returncode != 0 and "is complete" in err and "Traceback" not in err, err


def test_resume_refuses_another_run_in_one_sentence(tmp_path):
    report = tmp_path / "mutations.json"
    commit = engine.tree_commit(ROOT)
    cases = ((None, [], "no report at"),
             ({"commit": "0" * 40, "interrupted": True, "seed": 1}, [], "one report judges one tree"),
             ({"commit": commit, "interrupted": True, "seed": 1, "limit": None, "only": [], "select": True,
               "layers": sorted(LAYERS)}, ["--seed", "2"], "other options (seed: seed=1)"))
    for run, more, said in cases:
        report.unlink(missing_ok=True)
        if run is not None:
            report.write_text(json.dumps({"run": run, "mutations": []}))
        proc = subprocess.run([sys.executable, "-m", "icepack_twin", "mutate", "--resume", "--report", str(report),
                               "--attach", str(tmp_path), *more], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode != 0 and said in proc.stderr and "Traceback" not in proc.stderr, (said, proc.stderr)


def test_the_report_written_inside_the_repository_is_not_a_change_to_the_judged_tree(tmp_path):
    """A checkpoint in bench/mutations/ must not make --resume refuse its own tree as dirty."""
    repo = tmp_path / "repo"
    (repo / "bench").mkdir(parents=True)
    (repo / "suite.py").write_text("x = 1\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "tree"], check=True)
    head = engine.tree_commit(repo)
    assert head and "+dirty" not in head
    report = repo / "bench" / "run.json"
    report.write_text("{}")
    assert engine.tree_commit(repo, report) == head
    assert engine.tree_commit(repo, tmp_path / "elsewhere.json").startswith(head + "+dirty.")
    (repo / "suite.py").write_text("x = 2\n")
    assert engine.tree_commit(repo, report).startswith(head + "+dirty.")
