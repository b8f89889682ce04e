"""The one content-addressed file store of acts' documents and contributions."""

from __future__ import annotations

import hashlib

import pytest

from workflow.core.files import ALTERED, MISSING, FileStore, StoredFileError

PDF = b"%PDF-1.7\n% un documento\n%%EOF\n"
DIGEST = hashlib.sha256(PDF).hexdigest()


def test_a_file_is_named_by_its_sha256_in_a_folder_of_its_first_two_digits(tmp_path) -> None:
    store = FileStore(tmp_path / "archivio")
    assert store.put(PDF) == DIGEST
    assert store.path_for(DIGEST) == tmp_path / "archivio" / DIGEST[:2] / f"{DIGEST}.pdf"
    assert store.path_for(DIGEST).read_bytes() == PDF


def test_storing_the_same_bytes_twice_is_one_file_and_leaves_no_temporary(tmp_path) -> None:
    store = FileStore(tmp_path)
    store.put(PDF)
    written = store.path_for(DIGEST).stat().st_mtime_ns
    assert store.put(PDF) == DIGEST
    assert store.path_for(DIGEST).stat().st_mtime_ns == written  # not written again
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [f"{DIGEST}.pdf"]


def test_a_damaged_file_is_replaced_by_the_right_bytes_when_stored_again(tmp_path) -> None:
    store = FileStore(tmp_path)
    store.put(PDF)
    store.path_for(DIGEST).write_bytes(PDF[:10])
    store.put(PDF)
    assert store.read(DIGEST) == PDF


def test_reading_back_checks_the_fingerprint(tmp_path) -> None:
    store = FileStore(tmp_path)
    store.put(PDF)
    assert store.read(DIGEST) == PDF and store.problem(DIGEST) == ""
    store.path_for(DIGEST).write_bytes(PDF.replace(b"un documento", b"un documentx"))
    assert store.problem(DIGEST) == ALTERED
    with pytest.raises(StoredFileError, match=ALTERED):
        store.read(DIGEST)
    store.path_for(DIGEST).unlink()
    assert store.problem(DIGEST) == MISSING
    with pytest.raises(StoredFileError, match=MISSING):
        store.read(DIGEST)


@pytest.mark.parametrize("digest", ["../" + DIGEST[3:], DIGEST.upper(), DIGEST[:63], ""])
def test_only_a_sha256_names_a_file(tmp_path, digest) -> None:
    with pytest.raises(ValueError, match="Impronta SHA-256 non valida"):
        FileStore(tmp_path).path_for(digest)
