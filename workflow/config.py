"""Settings from environment variables, with defaults that work on a laptop."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

# The key used when SECRET_KEY is unset: it is public on purpose, so only debug and testing
# accept it (check_secret_key).
DEVELOPMENT_SECRET_KEY = "dev-only-change-me"  # nosec B105


class ConfigurationError(RuntimeError):
    """The app was configured in a way it refuses to run with (said in Italian and English)."""


def from_environment(instance_path: str) -> dict[str, Any]:
    """Build the Flask config from the environment; SQLite under instance/ by default."""
    default_db = "sqlite:///" + str(Path(instance_path) / "workflow.sqlite3")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        # A session ends after this much inactivity, and in any case this long after login.
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("SESSION_IDLE_MINUTES", 30))
        ),
        "SESSION_MAX_SECONDS": int(os.environ.get("SESSION_MAX_HOURS", 10)) * 3600,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024)),
        # Acts' PDFs: stored by SHA-256 under instance/ unless told otherwise.
        "MAX_DOCUMENT_BYTES": int(os.environ.get("MAX_DOCUMENT_BYTES", 15 * 1024 * 1024)),
        "DOCUMENTS_DIR": os.environ.get("DOCUMENTS_DIR", str(Path(instance_path) / "documents")),
        # PEM file of the CAs whose signatures count as trusted (e.g. from the EU trusted list).
        "SIGNATURE_TRUST_ROOTS": os.environ.get("SIGNATURE_TRUST_ROOTS", ""),
        # A trusted list in ETSI TS 119 612 XML (e.g. AgID's TSL-IT.xml, downloaded by the
        # operator: the server fetches nothing) and the PEM certificates its XML signature must
        # verify with (the list operator's, as the EU list of lists publishes them).
        "SIGNATURE_TRUST_LIST": os.environ.get("SIGNATURE_TRUST_LIST", ""),
        "SIGNATURE_TRUST_LIST_SIGNERS": os.environ.get("SIGNATURE_TRUST_LIST_SIGNERS", ""),
        # Contributions' files (PDF), stored by SHA-256; and the most one file may weigh.
        "CONTRIBUTIONS_DIR": os.environ.get(
            "CONTRIBUTIONS_DIR", str(Path(instance_path) / "contributi")
        ),
        "CONTRIBUTION_MAX_BYTES": int(os.environ.get("CONTRIBUTION_MAX_BYTES", 10 * 1024 * 1024)),
        # Working days before the contributions' deadline when the missing bodies are reminded.
        # Working days an opinion on an act's proposal may take before it is overdue.
        "OPINION_WORKING_DAYS": int(os.environ.get("OPINION_WORKING_DAYS", "5")),
        "CONTRIBUTION_REMINDER_DAYS": int(os.environ.get("CONTRIBUTION_REMINDER_DAYS", "5")),
        **mail_and_reminders(),
        **daily_register(instance_path),
        **protocol_identity(),
        **site_identity(),
    }


PACKAGED_FONT = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"


def daily_register(instance_path: str) -> dict[str, Any]:
    """The registro giornaliero di protocollo (workflow/acts/daily.py): where its files are
    kept, the preservation folder it is handed over to, the TrueType font its PDF/A embeds,
    the first day owed (empty: the day of the first protocol entry) and when the job runs."""
    env = os.environ.get
    return {
        "REGISTRI_GIORNALIERI_DIR": env(
            "REGISTRI_GIORNALIERI_DIR", str(Path(instance_path) / "registri-giornalieri")
        ),
        "CONSERVAZIONE_DIR": env("CONSERVAZIONE_DIR", str(Path(instance_path) / "conservazione")),
        # The font the PDF/A documents embed (daily registers, referti): DejaVu Sans shipped with
        # the package (workflow/fonts, its licence beside it): a fresh machine may have none.
        "PDF_FONT": env("PDF_FONT", str(PACKAGED_FONT)),
        "REGISTRO_GIORNALIERO_DAL": env("REGISTRO_GIORNALIERO_DAL", ""),  # YYYY-MM-DD
        "REGISTRO_GIORNALIERO_AT": env("REGISTRO_GIORNALIERO_AT", "06:00"),  # Europe/Rome
    }


def protocol_identity() -> dict[str, Any]:
    """Who registers, as the segnatura di protocollo names it (AgID Allegato 6: Identificatore).

    The codice fiscale is the Città metropolitana di Milano's (08911820960, as its contracts
    state it). The IPA, AOO and register codes and the PEC are defaults TO BE CHECKED against
    the Indice dei domicili digitali della PA (indicepa.gov.it) before the segnatura travels:
    set PROTOCOL_CODICE_IPA, PROTOCOL_CODICE_AOO, PROTOCOL_CODICE_REGISTRO, PROTOCOL_PEC.
    """
    env = os.environ.get
    return {
        "PROTOCOL_DENOMINAZIONE": env("PROTOCOL_DENOMINAZIONE", "Città metropolitana di Milano"),
        "PROTOCOL_CODICE_FISCALE": env("PROTOCOL_CODICE_FISCALE", "08911820960"),
        "PROTOCOL_CODICE_IPA": env("PROTOCOL_CODICE_IPA", "cmmi"),  # unverified default
        "PROTOCOL_CODICE_AOO": env("PROTOCOL_CODICE_AOO", "AOO_CMMI"),  # unverified default
        "PROTOCOL_CODICE_REGISTRO": env("PROTOCOL_CODICE_REGISTRO", "PROTOCOLLO"),
        "PROTOCOL_PEC": env("PROTOCOL_PEC", "protocollo@pec.cittametropolitana.mi.it"),
    }


def site_identity() -> dict[str, Any]:
    """What every page's header and footer show (templates/base.html): the body's name, its
    crest, contacts, and the links AgID's guidelines ask of a PA website (privacy notice under
    GDPR art. 13, accessibility statement under L. 4/2004 art. 3-quinquies, legal notes).

    The crest is a path under static/ (e.g. "img/stemma.svg"): none by default, the header then
    shows the name alone. The address, telephone, PEC and the three links are defaults TO BE
    CHECKED against the body's institutional site before going live: set SITE_ADDRESS,
    SITE_PHONE, SITE_PEC (by default the protocol's PEC), SITE_PRIVACY_URL,
    SITE_ACCESSIBILITY_URL, SITE_LEGAL_NOTES_URL, SITE_HOME_URL.
    """
    env = os.environ.get
    home = env("SITE_HOME_URL", "https://www.cittametropolitana.mi.it")
    return {
        "SITE_NAME": env("SITE_NAME", "Città metropolitana di Milano"),
        "SITE_TAGLINE": env("SITE_TAGLINE", "Procedimenti, atti e Albo pretorio online"),
        "SITE_CREST": env("SITE_CREST", ""),  # a path under static/, none by default
        "SITE_HOME_URL": home,
        "SITE_ADDRESS": env("SITE_ADDRESS", "Via Vivaio 1, 20122 Milano"),  # unverified default
        "SITE_PHONE": env("SITE_PHONE", "02 7740 1"),  # unverified default
        "SITE_PEC": env(  # unverified default, the protocol's own
            "SITE_PEC", env("PROTOCOL_PEC", "protocollo@pec.cittametropolitana.mi.it")
        ),
        "SITE_PRIVACY_URL": env("SITE_PRIVACY_URL", f"{home}/privacy/"),  # unverified default
        "SITE_ACCESSIBILITY_URL": env(  # unverified default
            "SITE_ACCESSIBILITY_URL", f"{home}/accessibilita/"
        ),
        "SITE_LEGAL_NOTES_URL": env(  # unverified default
            "SITE_LEGAL_NOTES_URL", f"{home}/note-legali/"
        ),
    }


def mail_and_reminders() -> dict[str, Any]:
    """Reminders, the outbox sender and SMTP. On a laptop mail goes to the console."""
    env = os.environ.get
    return {
        # Links in e-mails and calendar feeds point here (the address users reach the app at).
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "REMINDER_DAYS_BEFORE": env("REMINDER_DAYS_BEFORE", "7,2"),  # working days before
        "REMINDER_SEND_AT": env("REMINDER_SEND_AT", "08:00"),  # Europe/Rome
        "REMINDER_OVERDUE_EVERY": int(env("REMINDER_OVERDUE_EVERY", "2")),  # working days
        # From the n-th overdue reminder on, the Direzione Generale receives a copy.
        "REMINDER_ESCALATE_AFTER": int(env("REMINDER_ESCALATE_AFTER", "1")),
        "DIGEST_AT": env("DIGEST_AT", "07:30"),  # Europe/Rome
        "DIGEST_HORIZON_DAYS": int(env("DIGEST_HORIZON_DAYS", "10")),  # working days ahead
        "MAIL_BACKEND": env("MAIL_BACKEND", "console"),  # console | smtp
        "MAIL_FROM": env("MAIL_FROM", "Procedimenti CMM <procedimenti@localhost>"),
        "MAIL_SMTP_HOST": env("MAIL_SMTP_HOST", "localhost"),
        "MAIL_SMTP_PORT": int(env("MAIL_SMTP_PORT", "25")),
        "MAIL_SMTP_SECURITY": env("MAIL_SMTP_SECURITY", "none"),  # none | starttls | ssl
        "MAIL_SMTP_USERNAME": env("MAIL_SMTP_USERNAME", ""),
        "MAIL_SMTP_PASSWORD": env("MAIL_SMTP_PASSWORD", ""),
        "MAIL_SMTP_TIMEOUT": float(env("MAIL_SMTP_TIMEOUT", "30")),
        "MAIL_MAX_ATTEMPTS": int(env("MAIL_MAX_ATTEMPTS", "8")),
        "MAIL_BACKOFF_BASE": float(env("MAIL_BACKOFF_BASE", "60")),  # seconds
        "MAIL_BACKOFF_CAP": float(env("MAIL_BACKOFF_CAP", "3600")),  # seconds
        # A sender that dies mid-send leaves its row claimed this long, then another retries it.
        "MAIL_CLAIM_SECONDS": int(env("MAIL_CLAIM_SECONDS", "300")),
        "SCHEDULER_SCAN_SECONDS": int(env("SCHEDULER_SCAN_SECONDS", "60")),
        "SCHEDULER_SEND_SECONDS": int(env("SCHEDULER_SEND_SECONDS", "30")),
    }


def serving() -> bool:
    """Whether the app is being built by a WSGI server (gunicorn, `make serve`), not by a `flask`
    command: those (db, users, demo, territorio…) sign nothing with SECRET_KEY; `flask scheduler`
    checks the key itself. `flask run` is the development server, never production (`make run`
    gives it a random key anyway)."""
    return click.get_current_context(silent=True) is None


def check_secret_key(config: Mapping[str, Any]) -> None:
    """Refuse to run outside debug or testing with no SECRET_KEY or with the development one:
    whoever knows the key can forge a session cookie and sign in as anyone.

    Raises ConfigurationError, whose message says what to set.
    """
    if config.get("DEBUG") or config.get("TESTING"):
        return
    if config.get("SECRET_KEY") in (None, "", DEVELOPMENT_SECRET_KEY):
        raise ConfigurationError(
            "SECRET_KEY mancante o uguale alla chiave di sviluppo: impostare SECRET_KEY a un "
            "valore casuale e segreto (ad es. python -c 'import secrets; "
            "print(secrets.token_hex(32))'). / "
            "SECRET_KEY is missing or is the development key: set SECRET_KEY to a random secret "
            "value."
        )


def normalise_database_url(url: str) -> str:
    """Accept postgresql:// URLs and route them to psycopg 3, the driver we install."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
