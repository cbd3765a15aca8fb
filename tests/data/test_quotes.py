"""Each table's newest health row quotes its own numbers (icepack_verify.row_quotes): a number an issue's message
quotes is one of the status row the assessment names, or of the health row itself."""
from icepack_verify import Said, newest_misquotes, report_misquote

SHOWN = 20


def test_health_messages_quote_the_numbers_they_judge(environment, database, diagnose):
    s = environment.data
    d = diagnose(f"table {s.health_table}: the numbers each table's newest assessment quotes")
    found = newest_misquotes(database)
    for m in found[:SHOWN]:
        report_misquote(d, environment.checks.quoted_numbers, f"{m.table} at {m.at.isoformat()} {m.field}",
                        Said(f"numbers of the {s.status_table} row of {m.based_on.isoformat()} it names or of itself"),
                        Said(f"{m.text!r} quotes {m.number}, which neither holds"),
                        f"data.health_based_on_column [{environment.source('data.health_based_on_column')}]: "
                        f"the status row an assessment judges")
    if len(found) > SHOWN:
        d.hint(f"{len(found) - SHOWN} more quoted numbers neither row holds")
    if found:
        d.hint("health-sync wrote the message of another run or table: an assessment reusing a stale issue list?")
    d.conclude()
