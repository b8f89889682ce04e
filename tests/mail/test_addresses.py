"""E-mail addresses are checked once, where they are saved (a user's settings, the contacts of
a Comune or of a Forum member), by email-validator: one mailbox, ASCII before the @."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from, login
from workflow.consultations import territory
from workflow.core.errors import InvalidData
from workflow.mail import settings as mail_settings
from workflow.mail.settings import checked_address


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("laura.bianchi@example.org", "laura.bianchi@example.org"),
        ("protocollo@pec.comune.rho.mi.it", "protocollo@pec.comune.rho.mi.it"),
        ("A.Rossi@Comune.Milano.IT", "A.Rossi@comune.milano.it"),  # the domain has no case
        ("mario@città.it", "mario@xn--citt-3na.it"),  # an accented domain travels as ASCII
    ],
)
def test_an_address_is_stored_as_it_travels(typed, stored) -> None:
    assert checked_address(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "non un indirizzo",
        "Laura Bianchi <laura@example.org>",
        "laura@example",
        "laura@@example.org",
        '"laura"@example.org',
        "laura@example.org, mario@example.org",
        "laura@example.org\r\nBcc: intruso@example.org",
    ],
)
def test_what_is_not_one_plain_mailbox_is_refused_in_italian(typed) -> None:
    with pytest.raises(InvalidData, match="Indirizzo e-mail non valido: .*nome@dominio.it"):
        checked_address(typed)


def test_accents_before_the_at_are_refused_because_relays_lack_smtputf8() -> None:
    with pytest.raises(InvalidData, match="non accettato: «müller@esempio.it».*SMTPUTF8"):
        checked_address("müller@esempio.it")


def test_the_settings_page_refuses_an_accented_mailbox_and_keeps_the_old_one(
    client, direzione, with_address
) -> None:
    with_address(direzione)
    before = mail_settings.settings_for(direzione).email
    login(client, "direzione")
    page = client.get("/profilo/posta").get_data(as_text=True)
    response = client.post(
        "/profilo/posta", data={"email": "müller@esempio.it", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 422
    assert "SMTPUTF8" in response.get_data(as_text=True)
    assert mail_settings.settings_for(direzione).email == before


def test_a_comunes_contacts_are_checked_the_same_way(app, clock, direzione) -> None:
    territory.load(clock=clock)
    rho = next(b for b in territory.bodies("comune") if b.name == "Rho")
    with pytest.raises(InvalidData, match="SMTPUTF8"):
        territory.set_addresses(rho.id, ["müller@esempio.it"], actor=direzione, clock=clock)
    territory.set_addresses(
        rho.id, ["Protocollo@PEC.Comune.Rho.MI.IT"], actor=direzione, clock=clock
    )
    assert [a.address for a in territory.get(rho.id).addresses] == [
        "Protocollo@pec.comune.rho.mi.it"
    ]
    with pytest.raises(InvalidData, match="non valido"):
        territory.add_forum_member(
            "Associazione Esempio", addresses=["segreteria@"], actor=direzione, clock=clock
        )
