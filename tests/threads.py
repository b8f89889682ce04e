"""Service calls from other threads, each with its own session: at once, or between two reads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from workflow.extensions import db


def at_once(app: Flask, call: Callable[[], object], count: int) -> list[BaseException]:
    """Start `count` threads that make `call` together (a barrier); return what they raised."""
    db.session.remove()  # the threads open their own sessions
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                barrier.wait()
                call()
            except BaseException as exc:  # noqa: BLE001  (handed back to the test)
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@contextmanager
def committed_after_first_select(
    app: Flask, table: str, call: Callable[[], object]
) -> Iterator[list[str]]:
    """While inside, the first SELECT naming `table` is followed, before the next statement, by
    `call` run to its commit in another thread with its own session: a writer that commits
    exactly between two reads of one operation. Yields the statements it fired after (one)."""
    fired: list[str] = []

    def other_writer() -> None:
        with app.app_context():
            try:
                call()
            finally:
                db.session.remove()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        if not fired and statement.startswith("SELECT") and table in statement:
            fired.append(statement)
            thread = threading.Thread(target=other_writer)
            thread.start()
            thread.join(timeout=30)

    event.listen(db.engine, "after_cursor_execute", after)
    try:
        yield fired
    finally:
        event.remove(db.engine, "after_cursor_execute", after)
