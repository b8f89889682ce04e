"""`flask …` commands: users, tokens, registers, the demo data."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from workflow.models.registers import REGISTERS
from workflow.roles import ROLE_CODES
from workflow.services import demo, registers, users
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


registers_cli = AppGroup("registers", help="Registri: protocollo, repertorio generale, albo.")


@registers_cli.command("start")
@click.argument("register", type=click.Choice(REGISTERS))
@click.argument("year", type=int)
@click.argument("last_number", type=int)
def start_register(register: str, year: int, last_number: int) -> None:
    """Continue REGISTER for YEAR from LAST_NUMBER, the last one of the previous system."""
    try:
        registers.start_register(register, year, last_number, actor=None, clock=_clock())
    except DomainError as exc:
        _fail(exc)
    click.echo(f"Registro {register} {year}: il prossimo numero sarà {last_number + 1}.")


@registers_cli.command("daily")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"]))
@click.option("--register", type=click.Choice(REGISTERS), default="protocollo")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
def daily_register(day: datetime, register: str, output: TextIO) -> None:
    """Export the daily register (registro giornaliero) of DAY as CSV (DPR 445/2000 art. 53)."""
    output.write(registers.daily_register_csv(day.date(), register))


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


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(registers_cli)
    app.cli.add_command(demo_command)
