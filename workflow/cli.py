"""`flask …` commands: users, tokens, the demo data."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from workflow.roles import ROLE_CODES
from workflow.services import demo, mail, reminders, users
from workflow.services.errors import DomainError

users_cli = AppGroup("users", help="Utenti, ruoli e token API.")


def _clock():
    return current_app.config["CLOCK"]


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message)


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
@click.password_option("--password", prompt="Password", confirmation_prompt=True)
def create_user(username: str, full_name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a user with one or more roles."""
    try:
        user = users.create_user(username, full_name, password, roles, actor=None, clock=_clock())
    except DomainError as exc:
        _fail(exc)
    click.echo(f"Creato {user.username} {','.join(sorted(user.role_codes))}")


@users_cli.command("token")
@click.argument("username")
def token(username: str) -> None:
    """Print a fresh API token for USERNAME (shown once; only its hash is stored)."""
    try:
        click.echo(users.issue_token(username, actor=None, clock=_clock()))
    except DomainError as exc:
        _fail(exc)


@click.command("demo")
def demo_command() -> None:
    """Load the demo data (PSTTM 2022-2024 and 2025-2027, one user per role); idempotent."""
    report = demo.load(clock=_clock())
    click.echo("Dati dimostrativi pronti.")
    for line in report.lines:
        click.echo(f"  {line}")
    click.echo("Utenti dimostrativi (nome utente / password / ruolo):")
    for username, password, role in demo.DEMO_USERS_TABLE:
        click.echo(f"  {username:<12} {password:<20} {role}")


reminders_cli = AppGroup("reminders", help="Promemoria delle scadenze.")
mail_cli = AppGroup("mail", help="Posta in uscita e indirizzi degli utenti.")


@reminders_cli.command("scan")
def reminders_scan() -> None:
    """Queue the reminders that have come due (what the scheduler does every minute)."""
    report = reminders.scan(clock=_clock())
    click.echo(f"Scadenze esaminate: {report.deadlines}; e-mail in coda: {report.written}.")


@reminders_cli.command("digest")
def reminders_digest() -> None:
    """Queue today's digest for every subscribed user (at most once a day each)."""
    click.echo(f"Riepiloghi in coda: {reminders.digest(clock=_clock())}.")


@mail_cli.command("send")
def mail_send() -> None:
    """Deliver the outbox rows that are due (what the scheduler does every 30 seconds)."""
    report = mail.deliver_due(clock=_clock())
    click.echo(
        f"Inviate: {report.sent}; da ritentare: {report.retried}; non recapitate: {report.failed}."
    )


@mail_cli.command("address")
@click.argument("username")
@click.argument("email")
def mail_address(username: str, email: str) -> None:
    """Set USERNAME's e-mail address (an empty string removes it)."""
    try:
        user = users.find_user(username)
        mail.update_settings(user.id, actor=user, clock=_clock(), email=email)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{username}: {email or '(nessun indirizzo)'}")


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduler (reminders, mail, daily digest) in this process until stopped."""
    from workflow import scheduler

    sched = scheduler.configure(current_app._get_current_object())
    click.echo("Scheduler avviato (Europe/Rome). Ctrl-C per fermarlo.")
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler fermato.")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(scheduler_command)
