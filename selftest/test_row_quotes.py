"""The quoted-number rule of icepack_verify.row_quotes on rows (the database side runs in the drift catalogue: the
drift health-message-quotes-another-number and the probe health-message-with-dates-and-versions)."""
from datetime import datetime, timezone

from icepack_verify.row_quotes import misquotes
from icepack_verify.quoted_numbers import quotes

STATUS = {"snapshot": {"snapshot_count": 191}, "derived": {"small_file_ratio": 0.2192}}
AT = datetime(2026, 11, 29, tzinfo=timezone.utc)


def health(*messages, **columns):
    return {"id": 4, "assessed_at": AT, "issues": [{"code": "c", "message": m} for m in messages], **columns}


def test_a_quote_is_a_number_of_either_row_as_written():
    assert quotes("191", "", [191]) and quotes("0.22", "", [0.2192]) and quotes("22", "%", [0.2192])
    assert not quotes("202", "", [191]) and not quotes("23", "%", [0.2192])


def test_messages_quoting_the_status_pass():
    assert misquotes(health("191 snapshots retained", "small file ratio 0.2192", "22% small files"), STATUS,
                     {"id"}) == []


def test_a_number_neither_row_holds_is_found_with_its_place():
    assert misquotes(health("ok", "202 tobqtiput sfubjofe"), STATUS, {"id"}) == [
        ("issues[1].message", "202 tobqtiput sfubjofe", "202")]


def test_dates_times_versions_paths_and_plain_columns_are_not_quotes():
    row = health("since 2026-11-22 at 04:00 under v2.1 (s3://b/x1)", error="HTTP 503 from the catalog")
    assert misquotes(row, STATUS, {"id"}) == []


def test_the_health_rows_own_numbers_may_be_quoted_but_not_its_id():
    assert misquotes(health("3 issues", count=3), STATUS, {"id"}) == []
    assert misquotes(health("4 issues"), STATUS, {"id"}) == [("issues[0].message", "4 issues", "4")]


def test_the_setting_makes_a_misquote_a_warning_or_a_failure_naming_the_setting():
    import pytest

    from icepack_verify.diagnosis import Diagnosis
    from icepack_verify.quoted_numbers import MisquotedNumber, report_misquote

    warned = []
    d = Diagnosis("stage", "table t", warned=warned.append)
    with pytest.warns(MisquotedNumber, match='checks.quoted_numbers = "warn"'):
        report_misquote(d, "warn", "issues[0].message", "numbers of its status", "4 issues", "the document")
    assert not d.mismatches and "4 issues" in warned[0] and warned[0].startswith("[stage] table t: ")

    d = Diagnosis("stage", "table t")
    for text in ("4 issues", "5 issues"):
        report_misquote(d, "fail", "issues[0].message", "numbers of its status", text, "the document")
    assert len(d.mismatches) == 2 and len(d.hints) == 1 and 'checks.quoted_numbers = "warn"' in d.hints[0]
