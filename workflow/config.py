"""Settings from environment variables, with defaults that work on a laptop."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def from_environment(instance_path: str) -> dict[str, Any]:
    """Build the Flask config from the environment; SQLite under instance/ by default."""
    default_db = "sqlite:///" + str(Path(instance_path) / "workflow.sqlite3")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-change-me"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024)),
        # Acts' PDFs: stored by SHA-256 under instance/ unless told otherwise.
        "MAX_DOCUMENT_BYTES": int(os.environ.get("MAX_DOCUMENT_BYTES", 15 * 1024 * 1024)),
        "DOCUMENTS_DIR": os.environ.get("DOCUMENTS_DIR", str(Path(instance_path) / "documents")),
        # PEM file of the CAs whose signatures count as trusted (e.g. from the EU trusted list).
        "SIGNATURE_TRUST_ROOTS": os.environ.get("SIGNATURE_TRUST_ROOTS", ""),
        # The bare endpoint used by bench/advance.py as its baseline: off unless asked for.
        "BENCH_ENDPOINTS": os.environ.get("WORKFLOW_BENCH_ENDPOINTS", "0") == "1",
    }


def normalise_database_url(url: str) -> str:
    """Accept postgresql:// URLs and route them to psycopg 3, the driver we install."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url
