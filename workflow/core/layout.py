"""The page frame every template extends (templates/base.html): the Bootstrap Italia kit's
header and footer, filled from the SITE_* settings (workflow/config.py: site_identity)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, current_app

# The kit's files, vendored under static/ (scripts/vendor-bootstrap-italia.sh says why and how).
KIT = "vendor/bootstrap-italia"

# The favicon, an "M" on the kit's blue, written into the page (img-src allows data:): a browser
# fetches a linked icon after the page has loaded and drops the request when the user moves on,
# which left the development server's file handle open (a ResourceWarning in the browser tests).
FAVICON = "data:image/svg+xml," + quote(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="6" fill="#0066cc"/>'
    '<path d="M8 23V9h4l4 6 4-6h4v14h-4v-8l-4 6-4-6v8z" fill="#fff"/></svg>'
)


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
        return {"site": site(), "kit": KIT, "favicon": FAVICON}
