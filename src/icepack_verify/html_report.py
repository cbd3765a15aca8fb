"""The HTML report (pytest-html, `--html=PATH`): one self-contained page for a run.

At the top, before pytest-html's own table of every test: the verdict and the rollback
block (action, evidence), what was not run (each cause once) and the warnings, then the
failures grouped by layer (contracts, smoke, infra, data), each with its diagnosis lines as
the terminal prints them. Everything on the page comes from the session's summary and
reports, which the redactor has already scrubbed (session.py); the environment table
(pytest-metadata) is scrubbed here once the run's secrets are known.
"""
from __future__ import annotations

from html import escape

import pytest

from icepack_verify.session import NOT_RUN, of

LAYERS = ("contracts", "smoke", "infra", "data")
STYLE = """<style>
#icepack-verdict { border: 3px solid #888; padding: 0.6em 1em; margin: 0.5em 0 1em; font-size: 15px; }
#icepack-verdict.safe { border-color: #2e7d32; } #icepack-verdict.unsafe { border-color: #c62828; }
#icepack-verdict.inconclusive { border-color: #ef6c00; }
#icepack-verdict h2 { margin: 0 0 0.4em; } #icepack-verdict .rollback { font-weight: bold; }
#icepack-failures pre { background: #f6f6f6; padding: 0.5em; white-space: pre-wrap; margin: 0.2em 0 0.8em; }
</style>"""


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """One file to attach to a ticket or keep as an artifact: always self-contained."""
    if config.getoption("htmlpath", None):
        config.option.self_contained_html = True


def pytest_html_report_title(report) -> None:
    vs = of(report.config)
    if vs is not None and vs.env is not None:
        report.title = f"icepack-verify: {vs.env.name} (phase {vs.option.phase})"


def pytest_html_results_summary(prefix: list, summary: list, postfix: list, session: pytest.Session) -> None:
    vs = of(session.config)
    if vs is None or not vs.summary:
        return
    _scrub_metadata(session.config, vs.redact.scrub)
    prefix.extend([STYLE, verdict_block(vs.summary), failures_by_layer(vs.summary["failures"])])


def verdict_block(data: dict) -> str:
    """The terminal's closing block, as HTML: verdict, rollback tier and evidence, not run, warnings."""
    counts = ", ".join(f"{n} {k}" for k, n in sorted(data["counts"].items()))
    out = [f'<section id="icepack-verdict" class="{escape(data["verdict"])}">',
           f"<h2>{escape(data['environment'])} (phase {escape(data['phase'])}): {escape(data['verdict'])}, "
           f"exit {data['exit_code']}</h2>", f"<p>{escape(counts)}</p>"]
    before_apply = bool(data["causes"]) and data.get("rollback_tier") is None  # a render: nothing to roll back
    if before_apply:
        out.append(f'<p class="rollback">Action: {escape(data["action"])}</p>')
    for i, c in enumerate(data["causes"]):
        label = ("Had it been applied" if i == 0 else "And") if before_apply else ("Rollback" if i == 0 else "Also")
        out.append(f'<p class="{"rollback" if i == 0 and not before_apply else "also"}">{label}: '
                   f"{escape(c['action'])}</p>")
        out += ["<ul>", *(f"<li>evidence: {escape(line)}</li>" for line in c["evidence"][:3]), "</ul>"]
    if data["verdict"] == "unsafe" and not data["causes"]:
        out.append("<p>No rollback tier: what failed does not point at one (see the failures below).</p>")
    if data["verdict"] == "inconclusive":
        out.append("<p>Never a reason to roll back: re-run once the dependencies answer.</p>")
    items = [f"inconclusive: {t}" for t in data["trouble"]]
    for group in data["not_run_causes"]:
        n = len(group["tests"])
        items.append(f"{NOT_RUN}{group['cause'].removeprefix(NOT_RUN)}; {n} test{'s' if n > 1 else ''}")
    items += [f"warning: {w['test']}: {w['message']}" for w in data["warnings"]]
    if items:
        out += ["<ul>", *(f"<li>{escape(item)}</li>" for item in items), "</ul>"]
    return "\n".join([*out, "</section>"])


def layer_of(test: str) -> str:
    parts = test.split("::", 1)[0].split("/")
    return next((p for p in parts if p in LAYERS), "other")


def failures_by_layer(failures: list[dict]) -> str:
    if not failures:
        return ""
    out = ['<section id="icepack-failures"><h2>Failures by layer</h2>']
    for layer in (*LAYERS, "other"):
        mine = [f for f in failures if layer_of(f["test"]) == layer]
        if not mine:
            continue
        out.append(f'<h3 class="layer" id="layer-{layer}">{layer}: {len(mine)} '
                   f"failure{'s' if len(mine) > 1 else ''}</h3>")
        for f in mine:
            out.append(f"<p><code>{escape(f['test'])}</code></p><pre>{escape(f.get('message', ''))}</pre>")
    return "\n".join([*out, "</section>"])


def _scrub_metadata(config: pytest.Config, scrub) -> None:
    """pytest-metadata's environment table (CI variables among them), with the run's secrets hidden."""
    from pytest_metadata.plugin import metadata_key

    metadata = config.stash.get(metadata_key, None)
    if metadata:
        metadata.update(scrub(dict(metadata)))
