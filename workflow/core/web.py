"""Blueprints: thin views that parse input, call one service and render."""

from __future__ import annotations

from flask import current_app

from workflow.core.clock import Clock


def clock() -> Clock:
    """The app's clock (a test may inject a frozen one)."""
    return current_app.config["CLOCK"]
