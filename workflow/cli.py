"""`flask …` commands: users, tokens, registers, audit, reminders, mail, the demo data; each one
turns a refusal of the services into an Italian message and exit code 1 (Command below)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import IO, Any, TextIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from workflow import scheduler
from workflow.access import operations as users
from workflow.access.roles import ROLE_CODES
from workflow.acts import daily, registers
from workflow.acts.register_models import REGISTERS
from workflow.audit import chain as audit
from workflow.audit import history, replay
from workflow.audit import verify as integrity
from workflow.config import ConfigurationError, check_secret_key
from workflow.consultations import reminders as consultations_reminders
from workflow.consultations import territory
from workflow.core import inputs
from workflow.core.errors import DomainError, InvalidData
from workflow.core.web import clock
from workflow.deadlines import reminders
from workflow.definitions import ACT_LATEST, LATEST
from workflow.demo import load as demo
from workflow.mail import sender, settings
from workflow.procedures import migration


class Refused(click.ClickException):
    """A domain error met by a command: its Italian message on standard error, exit code 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Errore: {self.message}", err=True, file=file)


class Command(click.Command):
    """Every `flask` command of the app: a refusal of the services (DomainError: not found, not
    allowed, a conflict, invalid data…) ends it with "Errore: <messaggio>" and exit code 1, never
    a traceback. Any other exception is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise Refused(exc.message) from exc


class Group(AppGroup):
    """A group of commands, each a Command (and with the app context, as AppGroup gives)."""

    command_class = Command


users_cli = Group("users", help="Utenti, ruoli e token API.")
audit_cli = Group("audit", help="Registro di audit: verifica, checkpoint, esportazione.")


@users_cli.command("list")
def list_users() -> None:
    """One line per user: username and role codes."""
    for user in users.list_users():
        click.echo(f"{user.username} {','.join(sorted(user.role_codes))}")


@users_cli.command("create")
@click.option("--username", prompt="Nome utente")
@click.option("--full-name", prompt="Nome e cognome")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLE_CODES),
    help="Codice di ruolo; ripetibile.",
)
@click.option(
    "--codice-fiscale",
    default=None,
    help="Codice fiscale della persona: riconosce le sue firme digitali (TINIT-…).",
)
@click.password_option("--password", prompt="Password", confirmation_prompt=True)
def create_user(
    username: str,
    full_name: str,
    roles: tuple[str, ...],
    codice_fiscale: str | None,
    password: str,
) -> None:
    """Create a user with one or more roles and, optionally, their codice fiscale."""
    user = users.create_user(
        username,
        full_name,
        password,
        roles,
        actor=None,
        clock=clock(),
        codice_fiscale=codice_fiscale,
    )
    click.echo(f"Creato {user.username} {','.join(sorted(user.role_codes))}")


@users_cli.command("codice-fiscale")
@click.argument("username")
@click.argument("codice_fiscale")
def set_codice_fiscale(username: str, codice_fiscale: str) -> None:
    """Record a user's codice fiscale ("-" clears it): their signatures are recognised by it."""
    value = "" if codice_fiscale == "-" else codice_fiscale
    user = users.set_codice_fiscale(username, value, actor=None, clock=clock())
    click.echo(f"{user.username} {user.codice_fiscale or 'senza codice fiscale'}")


@users_cli.command("delegate")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLE_CODES))
@click.option("--act", required=True, help='L\'atto di delega, es. "Decreto R.G. 148/2023".')
@click.option("--from", "valid_from", required=True, type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]))
@click.option("--to", "valid_to", default=None, type=click.DateTime(["%Y-%m-%d", "%d/%m/%Y"]))
def delegate(username: str, role: str, act: str, valid_from, valid_to) -> None:
    """Record a delegation of ROLE to USERNAME, honoured only from --from to --to."""
    users.delegate(
        username,
        role,
        act,
        valid_from.date(),
        valid_to.date() if valid_to else None,
        actor=None,
        clock=clock(),
    )
    click.echo(f"Delega registrata: {username} {role} ({act})")


@users_cli.command("token")
@click.argument("username")
def token(username: str) -> None:
    """Print a fresh API token for USERNAME (shown once; only its hash is stored)."""
    click.echo(users.issue_token(username, actor=None, clock=clock()))


registers_cli = Group("registers", help="Registri: protocollo, repertorio generale, albo.")


@registers_cli.command("start")
@click.argument("register", type=click.Choice(REGISTERS))
@click.argument("year", type=int)
@click.argument("last_number", type=int)
def start_register(register: str, year: int, last_number: int) -> None:
    """Continue REGISTER for YEAR from LAST_NUMBER, the last one of the previous system."""
    registers.start_register(register, year, last_number, actor=None, clock=clock())
    click.echo(f"Registro {register} {year}: il prossimo numero sarà {last_number + 1}.")


@registers_cli.command("daily")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]))
@click.option("--register", type=click.Choice(REGISTERS), default="protocollo")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
def daily_register(day: datetime, register: str, output: TextIO) -> None:
    """Export the daily register (registro giornaliero) of DAY as CSV (DPR 445/2000 art. 53)."""
    output.write(registers.daily_register_csv(day.date(), register))


protocollo_cli = Group("protocollo", help="Protocollo: registro giornaliero e conservazione.")


@protocollo_cli.command("giornaliero")
@click.option(
    "--giorno",
    type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]),
    default=None,
    help="Il giorno (AAAA-MM-GG); senza, ogni giorno arretrato come fa il servizio pianificato.",
)
def protocollo_giornaliero(giorno: datetime | None) -> None:
    """Produce the registro giornaliero di protocollo and hand it over to preservation
    (DPR 445/2000 art. 53): of --giorno, or of every owed day not yet done."""
    if giorno is not None:
        fault = inputs.out_of_range(giorno.date())
        if fault:
            raise InvalidData(f"--giorno: {fault}.")
        register, handover = daily.produce_and_hand_over(giorno.date(), clock=clock())
        click.echo(
            f"Registro del {giorno:%d/%m/%Y}: {register.entries} registrazioni; "
            f"CSV {register.csv_sha256}; PDF {register.pdf_sha256}; consegnato in "
            f"{handover.target}."
        )
        return
    report = daily.catch_up(clock=clock(), by=daily.CLI)
    for line in daily.describe(report):
        click.echo(line)
    if report.failed:
        sys.exit(1)


@click.command("demo", cls=Command)
@with_appcontext
def demo_command() -> None:
    """Load the demo data (PSTTM 2022-2024 and 2025-2027, one user per role); idempotent."""
    report = demo.load(clock=clock())
    click.echo("Dati dimostrativi pronti.")
    for line in report.lines:
        click.echo(f"  {line}")
    click.echo("Utenti dimostrativi (nome utente / password / ruolo):")
    for username, password, role in demo.DEMO_USERS_TABLE:
        click.echo(f"  {username:<12} {password:<20} {role}")


procedures_cli = Group(
    "procedures", help="Tipi di procedimento: definizioni, versioni, migrazione."
)


@procedures_cli.command("kinds")
def procedure_kinds() -> None:
    """Elenca i tipi di procedimento, le loro versioni e i procedimenti su ciascuna."""
    # What the admin page /admin/procedimenti shows: the file's version and those stored.
    used = migration.versions_in_use()
    for kind, definition in sorted(LATEST.items()):
        click.echo(f"{kind}: {definition.title} (file {definition.file_name})")
        for (k, version), procedures in sorted(used.items()):
            if k != kind:
                continue
            mark = "attuale" if version == definition.version else "conservata"
            names = ", ".join(p.title for p in procedures) or "nessun procedimento"
            click.echo(f"  {version[:12]}  {mark:<10} {len(procedures)}: {names}")
    click.echo(f"atto: {ACT_LATEST.title} (file {ACT_LATEST.file_name}) {ACT_LATEST.short_version}")


@procedures_cli.command("migrate")
@click.option("--kind", "kind", required=True, help="Il tipo di procedimento (psttm, dup…).")
@click.option("--to", "version", required=True, help="La versione (almeno 6 cifre dell'hash).")
@click.option("--map", "pairs", multiple=True, help="stato_vecchio=stato_nuovo (ripetibile).")
@click.option("--dry-run", is_flag=True, help="Elenca cosa si sposterebbe, senza spostare nulla.")
def procedures_migrate(kind: str, version: str, pairs: tuple[str, ...], dry_run: bool) -> None:
    """Sposta i procedimenti in corso di un tipo a un'altra versione della definizione,
    rifiutando quelli il cui percorso registrato la nuova versione non spiega (con il motivo).
    Esce con codice 1 se qualcuno è rifiutato (tranne che con --dry-run)."""
    state_map = migration.parse_map(pairs)
    if dry_run:
        outcomes = migration.plan(kind, version, state_map, clock=clock())
    else:
        outcomes = migration.migrate(kind, version, state_map, actor=None, clock=clock())
    verb = "si sposterebbe" if dry_run else "spostato"
    for o in outcomes:
        head = f"{o.title} (versione {o.from_version[:12]}, stato {o.from_state})"
        if o.refused:
            click.echo(f"RIFIUTATO  {head}: {o.refused}")
        else:
            click.echo(f"{verb.upper():<10} {head} → stato {o.state}")
    moved = sum(1 for o in outcomes if not o.refused)
    refused = len(outcomes) - moved
    if dry_run:
        summary = f"{moved} {'si sposterebbe' if moved == 1 else 'si sposterebbero'}"
    else:
        summary = f"{moved} {'spostato' if moved == 1 else 'spostati'}"
    summary += f", {refused} {'rifiutato' if refused == 1 else 'rifiutati'}"
    click.echo(summary + (" (prova: nulla è cambiato)." if dry_run else "."))
    if not outcomes:
        click.echo("Nessun procedimento in corso su un'altra versione.")
    if refused and not dry_run:
        what = "procedimento non spostato" if refused == 1 else "procedimenti non spostati"
        raise Refused(f"{refused} {what}: vedi i motivi sopra.")


def _anchor(value: str) -> integrity.Anchor:
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest.strip()) != 64:
        raise click.BadParameter("atteso SEQ:HASH (hash SHA-256 di 64 cifre esadecimali)")
    return integrity.Anchor(int(seq), digest.strip().lower(), f"riferimento {value[:24]}…")


@audit_cli.command("verify")
@click.option(
    "--expect",
    "expected",
    multiple=True,
    metavar="SEQ:HASH",
    help="Una testa della catena annotata in precedenza (es. dal checkpoint sull'Albo).",
)
@click.option(
    "--campi",
    "fields",
    is_flag=True,
    help="Elenca i campi delle tabelle che la verifica confronta con gli eventi, ed esce.",
)
def audit_verify(expected: tuple[str, ...], fields: bool) -> None:
    """Walk the chain and replay it against the tables; exit 0 when all agree, 1 naming the first
    broken event and every difference (table, row, field, expected, found)."""
    if fields:
        click.echo(replay.fields_markdown())
        return
    extra = [_anchor(value) for value in expected]
    total = integrity.count_events()
    tables = replay.Replay()
    with click.progressbar(length=total, label="Verifica catena", file=sys.stderr) as bar:
        report = integrity.verify_chain(extra, progress=bar.update, observe=tables.feed)
    files = replay.count_files()
    with click.progressbar(length=files, label="Verifica tabelle e file", file=sys.stderr) as bar:
        differences = tables.finish(progress=bar.update)
    for difference in differences:
        click.echo(f"ERRORE: {difference.message}", err=True)
    if report.ok and not differences:
        click.echo(
            f"OK: {report.checked} eventi, testa {report.head_seq} {report.head_hash}; "
            f"tabelle concordi con gli eventi, {files} file con impronta corrispondente"
        )
        return
    if not report.ok:
        problem = report.first
        click.echo(f"ERRORE: {problem.message} [{problem.kind}]", err=True)
        for other in report.problems[1:]:
            click.echo(f"  inoltre: {other.message} [{other.kind}]", err=True)
    if differences:
        click.echo(f"{len(differences)} differenze tra le tabelle e gli eventi.", err=True)
    sys.exit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Publish the current chain head as a checkpoint (the scheduler does it daily)."""
    checkpoint = audit.checkpoint_now(actor=None, clock=clock())
    click.echo(f"Checkpoint: evento {checkpoint.seq} {checkpoint.hash}")


@audit_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--from", "first", type=int, default=None, help="Primo evento (seq).")
@click.option("--to", "last", type=int, default=None, help="Ultimo evento (seq).")
def audit_export(fmt: str, first: int | None, last: int | None) -> None:
    """Write a range of events to standard output (JSONL verifiable offline, or CSV)."""
    lines = history.jsonl_lines if fmt == "jsonl" else history.csv_lines
    for line in lines(first, last):
        click.echo(line, nl=False)


reminders_cli = Group("reminders", help="Promemoria delle scadenze.")
mail_cli = Group("mail", help="Posta in uscita e indirizzi degli utenti.")


@reminders_cli.command("scan")
def reminders_scan() -> None:
    """Queue the reminders that have come due (what the scheduler does every minute)."""
    report = reminders.scan(clock=clock())
    click.echo(f"Scadenze esaminate: {report.deadlines}; e-mail in coda: {report.written}.")


@reminders_cli.command("contributi")
def reminders_contributions() -> None:
    """Queue the reminders to invited bodies still missing, and the digest of who is missing."""
    click.echo(
        f"Promemoria contributi in coda: {consultations_reminders.remind_missing(clock=clock())}."
    )


@reminders_cli.command("digest")
def reminders_digest() -> None:
    """Queue today's digest for every subscribed user (at most once a day each)."""
    click.echo(f"Riepiloghi in coda: {reminders.digest(clock=clock())}.")


@mail_cli.command("send")
def mail_send() -> None:
    """Deliver the outbox rows that are due (what the scheduler does every 30 seconds)."""
    report = sender.deliver_due(clock=clock())
    click.echo(
        f"Inviate: {report.sent}; da ritentare: {report.retried}; non recapitate: {report.failed}."
    )


@mail_cli.command("address")
@click.argument("username")
@click.argument("email")
def mail_address(username: str, email: str) -> None:
    """Set USERNAME's e-mail address (an empty string removes it)."""
    user = users.find_user(username)
    settings.update_settings(user.id, actor=user, clock=clock(), email=email)
    click.echo(f"{username}: {email or '(nessun indirizzo)'}")


@click.command("scheduler", cls=Command)
def scheduler_command() -> None:
    """Run the scheduler (reminders, mail, daily digest) in this process until stopped."""
    try:  # it signs the unsubscribe links with SECRET_KEY, as the app signs its cookies
        check_secret_key(current_app.config)
    except ConfigurationError as exc:
        raise Refused(str(exc)) from exc
    sched = scheduler.configure(current_app._get_current_object())
    click.echo("Scheduler avviato (Europe/Rome). Ctrl-C per fermarlo.")
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler fermato.")


@click.command("territorio", cls=Command)
@with_appcontext
def territory_command() -> None:
    """Load the 133 Comuni (by Zona omogenea) and the 3 Unioni shipped with the app; idempotent."""
    click.echo(f"Enti creati: {territory.load(clock=clock())}.")


def register(app: Flask) -> None:
    app.cli.add_command(territory_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(registers_cli)
    app.cli.add_command(protocollo_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(procedures_cli)
