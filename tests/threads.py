"""Run the same service call from several threads at once, each with its own session."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

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
