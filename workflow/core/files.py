"""One content-addressed store for the files the office registers: acts' documents
(DOCUMENTS_DIR) and contributions to a consultation (CONTRIBUTIONS_DIR).

A file is named by the SHA-256 of its bytes, `<root>/<first two hex digits>/<sha256>.pdf`, so
the name proves the content: storing the same bytes twice is one file, and a file left by a
rolled-back transaction is harmless (nobody points to it) and reused by the next identical upload.
Contributions were once stored flat, `<root>/<sha256>.pdf`: those names are still read (never
moved: an archive of registered documents is not rewritten by an upgrade), new files go under the
two-digit folder. Both stores hold only PDFs (the only type either accepts), hence the suffix; the
daily protocol registers (REGISTRI_GIORNALIERI_DIR) keep a CSV beside each PDF, a store with the
`.csv` suffix on the same root.

`write_atomically` is the one way a file reaches its place: also the hand-over packages written
into the preservation folder (acts/daily.py) go through it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".pdf"
MISSING = "file mancante nell'archivio"
ALTERED = "impronta SHA-256 diversa"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_BLOCK = 1 << 20


class StoredFileError(RuntimeError):
    """A registered file is missing or no longer has its fingerprint: the archive is damaged.

    A fault of the server, never of the user: it becomes a logged 500, and `flask audit verify`
    names the file.
    """


def sha256_hex(content: bytes) -> str:
    """The fingerprint files are named and checked by: SHA-256, 64 lowercase hex digits."""
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class FileStore:
    """Files under `root`, each named by the SHA-256 of its content and `suffix`."""

    root: Path
    suffix: str = SUFFIX

    def path_for(self, digest: str) -> Path:
        """Where the file of this SHA-256 (hex) is written. Raises ValueError for anything that
        is not 64 lowercase hex digits, so no name can reach outside `root`."""
        if not _SHA256_HEX.fullmatch(digest):
            raise ValueError(f"Impronta SHA-256 non valida: {digest!r}")
        return self.root / digest[:2] / f"{digest}{self.suffix}"

    def locate(self, digest: str) -> Path | None:
        """The file of this SHA-256 where it is (its folder, or the older flat name), or None."""
        for path in (self.path_for(digest), self.root / f"{digest}{self.suffix}"):
            if path.is_file():
                return path
        return None

    def put(self, content: bytes) -> str:
        """Store `content` and return its SHA-256 (hex). Idempotent: when a file with these
        bytes is already stored nothing is written. Otherwise the bytes go to a temporary file
        in the target's folder, are flushed to disk (fsync) and renamed over the target in one
        step (os.replace), so a reader never sees half a file, even after a crash; a damaged
        file at the target is replaced by the right bytes."""
        digest = sha256_hex(content)
        if self.problem(digest) == "":
            return digest
        write_atomically(self.path_for(digest), content)
        return digest

    def read(self, digest: str) -> bytes:
        """The stored bytes of this SHA-256, checked against it. Raises StoredFileError when
        the file is missing or its bytes no longer have this fingerprint."""
        path = self.locate(digest)
        if path is None:
            raise StoredFileError(f"{MISSING}: {digest}")
        content = path.read_bytes()
        if sha256_hex(content) != digest:
            raise StoredFileError(f"{ALTERED}: {path}")
        return content

    def problem(self, digest: str) -> str:
        """ "" when the file is stored with this SHA-256, else why not (MISSING or ALTERED),
        re-hashing it block by block (a document may weigh megabytes)."""
        path = self.locate(digest)
        if path is None:
            return MISSING
        hashed = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(_BLOCK), b""):
                hashed.update(block)
        return "" if hashed.hexdigest() == digest else ALTERED


def write_atomically(target: Path, content: bytes) -> None:
    """Write `content` at `target` so that a reader never sees half a file, even after a crash:
    the bytes go to a temporary file in the target's folder (created if missing), are flushed
    to disk (fsync) and renamed over the target in one step (os.replace); then the folder entry
    is flushed too. Raises OSError when the folder cannot be written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # A name of our own (process and random part), created exclusively: two writers of the
    # same file never share a temporary file. Mode 0o666 less the umask, as any file.
    temporary = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the renamed file (POSIX: a rename is durable only then)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
