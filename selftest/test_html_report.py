"""The HTML report (`--html`), rendered by a real headless Chromium (Debian's package): a
failing run's page shows the verdict, the rollback tier and the failure's diagnosis lines
at the top, grouped by layer, in one self-contained file with no secret in it."""
from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser

import pytest

from harness import EXPECTATIONS, debian_tool, kubeconfig

SECRET = "Html-secret-5582-qx"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@pytest.fixture
def chromium(tmp_path):
    """Headless Chromium (Debian's package), as root in CI (hence no sandbox), with a profile of its
    own; looked up first, so a machine without it skips (or, in CI, fails) before any run."""
    binary = debian_tool("chromium")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path}/profile",
                               *args], capture_output=True, text=True, timeout=120)
    return run


class Sections(HTMLParser):
    """The text of each element with an id, after the page's scripts ran, and whether an
    element around it is hidden (pytest-html's scripts hide what is filtered out)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None, bool]] = []
        self.text: dict[str, list[str]] = {}
        self.hidden: dict[str, bool] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        hidden = "hidden" in (a.get("class") or "").split() or "display: none" in (a.get("style") or "") \
            or "hidden" in a
        if tag in VOID:
            return
        self.stack.append((tag, a.get("id"), hidden))
        if a.get("id"):
            self.text.setdefault(a["id"], [])
            self.hidden[a["id"]] = any(h for _, _, h in self.stack)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _, ident, _ in self.stack:
            if ident:
                self.text[ident].append(data)

    def of(self, ident: str) -> str:
        return " ".join(" ".join(self.text[ident]).split())


def test_a_failing_runs_page_shows_the_verdict_first_in_a_real_browser(chromium, twin, tmp_path):
    twin.configure("local", drifts=("api-replicas-1",))
    environ = twin.environ(ICEPACK_DATABASE_URL=twin.state["database_url"].replace("twin-reader-secret", SECRET),
                           **kubeconfig(tmp_path, twin.state["kube_url"], {"token": SECRET + "-kube"}))
    page = tmp_path / "out" / "report.html"
    run = twin.run_suite("local", *EXPECTATIONS, f"--html={page}", environ=environ,
                         paths=("tests/infra", "tests/data"))
    assert run.returncode == 1 and run.summary["rollback_tier"] == 2, run.output[-3000:]
    html = page.read_text()
    assert sorted(p.name for p in page.parent.iterdir()) == ["report.html"]  # self-contained: no assets folder
    assert '<link href="' not in html and "<style" in html
    assert SECRET not in html and "twin-reader-secret" not in html

    done = chromium("--dump-dom", page.as_uri())
    assert done.returncode == 0 and "</html>" in done.stdout, done.stderr[-2000:]
    dom = Sections()
    dom.feed(done.stdout)
    verdict = dom.of("icepack-verdict")
    assert verdict.startswith("local (phase live): unsafe, exit 1"), verdict
    assert "Rollback: Tier 2 (chart regression)" in verdict and not dom.hidden["icepack-verdict"]
    failures = dom.of("icepack-failures")
    assert "infra: 2 failures" in failures and "tests/infra/test_api_deployment.py::test_api_deployment_spec" in failures
    assert "spec.replicas: expected 2, actual 1" in failures and not dom.hidden["icepack-failures"]
    assert "layer-data" not in dom.text  # only the layers that failed
    # pytest-html's own table is still there, below: its scripts built a row per test
    assert done.stdout.index('id="icepack-verdict"') < done.stdout.index('id="results-table"')
    rows = re.findall(r'<td class="col-testId">([^<]+)</td>', done.stdout)
    assert {row.removesuffix("::setup") for row in rows} == {r["test"] for r in run.results}

    shot = tmp_path / "report.png"
    done = chromium("--hide-scrollbars", "--window-size=1100,900", f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", done.stderr[-2000:]


def test_an_inconclusive_runs_page_says_it_is_never_a_rollback(chromium, twin, tmp_path):
    twin.configure("local")
    page = tmp_path / "report.html"
    run = twin.run_suite("local", f"--html={page}", environ=twin.environ(ICEPACK_API_URL="http://127.0.0.1:9"),
                         paths=("tests/smoke",))
    assert run.returncode == 75, run.output[-3000:]
    done = chromium("--dump-dom", page.as_uri())
    dom = Sections()
    dom.feed(done.stdout)
    verdict = dom.of("icepack-verdict")
    assert verdict.startswith("local (phase live): inconclusive, exit 75"), verdict
    assert "Never a reason to roll back" in verdict and "not run: Icepack API is down" in verdict, verdict
    assert "icepack-failures" not in dom.text
