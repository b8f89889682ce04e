"""The web helpers every blueprint shares: the version a client read last, ISO 8601 dates, a
date and time typed by the office, a download's file name."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from werkzeug.http import parse_options_header

from workflow.core.clock import ROME
from workflow.core.errors import BadRequest
from workflow.core.web import attachment, iso, local_datetime, version

MISSING = "Manca la versione."


@pytest.mark.parametrize("raw", [None, True, False, 3.0, "3", "", [3]])
def test_a_json_version_is_an_integer_and_nothing_else(raw) -> None:
    with pytest.raises(BadRequest, match=MISSING):
        version(raw, MISSING)
    assert version(7, MISSING) == 7


@pytest.mark.parametrize("raw", ["", "tre", "-1", "3.0", " 3", "²", "٣"])
def test_a_form_version_is_ascii_digits_never_a_server_error(raw) -> None:
    """ "²" passes str.isdigit() but not int(): it is refused (400), not a crash (500)."""
    with pytest.raises(BadRequest, match=MISSING):
        version(raw, MISSING, text=True)
    assert version("12", MISSING, text=True) == 12
    assert version(12, MISSING, text=True) == 12


def test_iso_writes_dates_as_days_and_instants_in_utc() -> None:
    assert iso(None) is None
    assert iso(date(2025, 2, 19)) == "2025-02-19"
    # SQLite hands stored instants back naive: they are UTC.
    assert iso(datetime(2025, 2, 19, 8, 30)) == "2025-02-19T08:30:00+00:00"
    assert iso(datetime(2025, 2, 19, 9, 30, tzinfo=ROME)) == "2025-02-19T08:30:00+00:00"
    plus_two = timezone(timedelta(hours=2))
    assert iso(datetime(2025, 7, 1, 10, 0, tzinfo=plus_two)) == "2025-07-01T08:00:00+00:00"


def test_a_typed_date_and_time_is_read_in_europe_rome() -> None:
    winter = local_datetime(" 2025-02-19T09:00 ", "Data e ora di ricezione")
    assert winter.astimezone(UTC) == datetime(2025, 2, 19, 8, 0, tzinfo=UTC)
    summer = local_datetime("2025-07-01T09:00", "Data e ora di ricezione")
    assert summer.astimezone(UTC) == datetime(2025, 7, 1, 7, 0, tzinfo=UTC)
    stated = local_datetime("2025-07-01T09:00+00:00", "Data e ora di ricezione")
    assert stated.astimezone(UTC) == datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(
        BadRequest, match=r"Data e ora di ricezione non valide \(AAAA-MM-GGTHH:MM\)"
    ):
        local_datetime("19/02/2025", "Data e ora di ricezione")


def _filenames(disposition: str) -> tuple[str, str]:
    """(the ASCII `filename=`, as curl reads it; the name a browser reads, `filename*=` first)."""
    [plain] = re.findall(r'filename="([^"]*)"', disposition)
    kind, options = parse_options_header(disposition)
    assert kind == "attachment"
    return plain, options["filename"]


def test_a_download_names_its_file_for_curl_and_for_browsers() -> None:
    """`curl -OJ` reads only `filename=`: the seed's name must be there, whole."""
    disposition = attachment("2163_14487^DecretoFirmato.pdf")
    assert disposition.startswith('attachment; filename="2163_14487^DecretoFirmato.pdf"; ')
    assert _filenames(disposition) == (
        "2163_14487^DecretoFirmato.pdf",
        "2163_14487^DecretoFirmato.pdf",
    )


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("Delibera città — perché.pdf", "Delibera citta _ perche.pdf"),
        ("文書.pdf", "__.pdf"),
        ('a"b\\c.pdf', "a_b_c.pdf"),
    ],
)
def test_an_accented_name_has_an_ascii_fallback_and_its_exact_utf8_form(name, fallback) -> None:
    assert _filenames(attachment(name)) == (fallback, name)
