"""Every `flask` command answers a refusal of the services the same way: "Errore: <messaggio>"
on standard error and exit code 1, never a traceback; a bug keeps its traceback."""

from __future__ import annotations

import click
from click.testing import CliRunner

from workflow import cli
from workflow.core.errors import Conflict


def leaves(command: click.Command, path: str = "flask") -> dict[str, click.Command]:
    """Every runnable command under `command`, by its full name."""
    if isinstance(command, click.Group):
        found: dict[str, click.Command] = {}
        for name, sub in command.commands.items():
            found.update(leaves(sub, f"{path} {name}"))
        return found
    return {path: command}


def test_every_command_of_the_app_is_wrapped(app) -> None:
    """All but Flask-Migrate's `flask db …`, which runs Alembic, and flask-smorest's `flask
    openapi …`, which prints the API's description: neither calls the services."""
    libraries = ("flask db ", "flask openapi ")
    commands = {n: c for n, c in leaves(app.cli).items() if not n.startswith(libraries)}
    assert len(commands) >= 15, sorted(commands)
    assert [name for name, c in commands.items() if not isinstance(c, cli.Command)] == []


def test_a_refusal_is_an_italian_message_and_exit_code_1(app) -> None:
    result = app.test_cli_runner().invoke(args=["users", "token", "nessuno"])
    assert result.exit_code == 1
    assert result.output.startswith("Errore: ") and "nessuno" in result.output
    assert "Traceback" not in result.output and "Error:" not in result.output


def test_a_command_that_catches_nothing_still_answers_in_italian() -> None:
    @click.command(cls=cli.Command)
    def refusing() -> None:
        raise Conflict("Il registro protocollo 2025 è già stato avviato dal numero 32555.")

    result = CliRunner().invoke(refusing)
    assert result.exit_code == 1
    assert result.output == (
        "Errore: Il registro protocollo 2025 è già stato avviato dal numero 32555.\n"
    )


def test_a_bug_is_not_dressed_as_a_refusal() -> None:
    @click.command(cls=cli.Command)
    def broken() -> None:
        raise KeyError("colonna")

    result = CliRunner().invoke(broken)
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)
    assert "Errore:" not in result.output


def test_a_refusal_inside_a_group_is_answered_too(app) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "delegate", "nessuno", "--role", "sindaco", "--act", "Decreto 1/2025"]
        + ["--from", "2025-01-01"]
    )
    assert result.exit_code == 1 and result.output.startswith("Errore: ")
