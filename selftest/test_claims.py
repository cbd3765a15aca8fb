"""claims.toml, the deployment document's claims as a ledger, stays true to the document
and to the suite: every entry quotes its line exactly, cites tests that exist (or says why
none can), and every line of the document that constrains a running environment has an entry."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest

from harness import ROOT

LEDGER = tomllib.loads((ROOT / "claims.toml").read_text())
DOCUMENT = ROOT / LEDGER["document"]
ORIGINAL = ROOT.parent / "shared" / "reference" / "icepack-deployment.md"
LINES = DOCUMENT.read_text().splitlines()
CLAIMS = LEDGER["claim"]


def test_the_copy_is_the_document():
    if not ORIGINAL.exists():
        pytest.skip(f"{ORIGINAL} is not on this machine: the copy in {LEDGER['document']} stands for it")
    assert DOCUMENT.read_text() == ORIGINAL.read_text(), (
        f"{ORIGINAL} changed: copy it to {LEDGER['document']} and bring claims.toml up to date")


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"line{c['line']}-{c['claim'][:30]}")
def test_each_claim_quotes_its_line_and_is_verified_or_explained(claim):
    text = " ".join(line.strip() for line in LINES[claim["line"] - 1:claim.get("to_line", claim["line"])])
    assert claim["quote"] in text, f"line {claim['line']} no longer says {claim['quote']!r}: it says {text!r}"
    assert bool(claim.get("tests")) != bool(claim.get("unverifiable")), (
        f"line {claim['line']}: a claim names its tests or why none can verify it, one of the two")
    if claim.get("process"):
        assert claim.get("unverifiable"), f"line {claim['line']}: a process claim says why the suite cannot check it"


def test_every_cited_test_exists():
    """Collected for every environment (the phase- and environment-dependent tests are still collected; the
    opt-in ones selected by their options: --all-tables, --compare-with)."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "--env", "local", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "--all-tables", "--compare-with=stage"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    collected = {re.sub(r"\[.*\]$", "", line.strip()) for line in proc.stdout.splitlines() if "::" in line}
    assert collected, f"nothing collected:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    cited = {t for c in CLAIMS for t in c.get("tests", [])}
    assert not cited - collected, f"claims.toml cites tests that do not exist: {sorted(cited - collected)}"


# Lines of the document that constrain a running environment: a number, a key, a schedule, a
# name, a state. Headings, prose about the document itself, code fences and table headers aside.
CONSTRAINING = re.compile(
    r"\d|`[^`]+`|CronJob|Deployment|Service|namespace|IRSA|Postgres|ScaledJob|drain|health-sync|keys|"
    r"Terraform|Helm|image|readyz|dry-run", re.I)
NOT_A_CLAIM = re.compile(r"^\s*(#|```|\|---|\| (Endpoint|Environment|Resource) \||$)")
# Lines that are only context for the claims around them (the next line carries the claim).
CONTEXT_ONLY = {1, 3, 4, 5, 6, 16, 18, 20, 21, 23, 26, 27, 28, 31, 33, 37, 41, 43, 45, 48, 50, 51, 52, 53, 54, 55, 59,
                69, 79, 86, 89, 91, 94, 95, 101, 102, 103, 122, 127, 129, 133, 134, 136, 140, 142, 145, 146}


def test_every_constraining_line_has_an_entry():
    covered = {n for c in CLAIMS for n in range(c["line"], c.get("to_line", c["line"]) + 1)}
    missing = [f"{n}: {text}" for n, text in enumerate(LINES, 1)
               if not NOT_A_CLAIM.match(text) and CONSTRAINING.search(text) and n not in covered | CONTEXT_ONLY]
    assert not missing, "lines of the document with no claims.toml entry (add one, or list the line as " \
                        "context only here):\n" + "\n".join(missing)
