"""The page frame every template extends (templates/base.html): the Bootstrap Italia kit's
header and footer, filled from the SITE_* settings (workflow/config.py: site_identity)."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

# The kit's files, vendored under static/ (scripts/vendor-bootstrap-italia.sh says why and how).
KIT = "vendor/bootstrap-italia"


def site() -> dict[str, Any]:
    """The header's and footer's facts, read from the app's config: the body's name and
    tagline, the crest's static path (empty: none), home page, address, telephone, PEC and the
    privacy, accessibility and legal-notes links."""
    config = current_app.config
    keys = ("NAME", "TAGLINE", "CREST", "HOME_URL", "ADDRESS", "PHONE", "PEC")
    links = ("PRIVACY_URL", "ACCESSIBILITY_URL", "LEGAL_NOTES_URL")
    return {key.lower(): config.get(f"SITE_{key}", "") for key in keys + links}


def register(app: Flask) -> None:
    @app.context_processor
    def frame() -> dict[str, Any]:
        return {"site": site(), "kit": KIT}
