#!/usr/bin/env python3
"""Verify an audit export (JSON Lines) offline, with the Python standard library only.

    python3 scripts/verify_audit_export.py export.jsonl [--anchor SEQ:HASH ...]

Each line is one event: the hashed fields (seq, occurred_at, actor_id, actor_name, role,
object_type, object_id, action, payload) plus prev_hash and hash. For every line it recomputes
hash = SHA-256(prev_hash as ASCII ‖ canonical JSON of the hashed fields), where canonical JSON means
sorted keys, UTF-8, separators "," and ":" and no other whitespace; it checks that seq grows by one
and that each prev_hash is the previous line's hash. An export of a range that does not start at 1
is anchored on its first prev_hash. --anchor checks a head you noted earlier (e.g. a checkpoint
shown on the Albo) is in the export with that hash. Exit 0 and the head when intact, 1 and the
first broken event otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

HASHED = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "role",
    "object_type",
    "object_id",
    "action",
    "payload",
)


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def verify(lines: list[str], anchors: dict[int, str]) -> tuple[bool, str]:
    prev_hash, prev_seq, seen = None, None, {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
            record = {key: event[key] for key in HASHED}
        except (ValueError, KeyError) as exc:
            return False, f"riga {number}: non è un evento valido ({exc})"
        seq = event["seq"]
        if prev_seq is not None and seq != prev_seq + 1:
            return False, f"evento {prev_seq + 1}: manca (dopo {prev_seq} viene {seq})"
        if prev_hash is not None and event["prev_hash"] != prev_hash:
            return False, f"evento {seq}: collegamento interrotto (prev_hash)"
        digest = hashlib.sha256(event["prev_hash"].encode("ascii") + canonical(record)).hexdigest()
        if digest != event["hash"]:
            return False, f"evento {seq}: impronta non corrispondente"
        prev_hash, prev_seq = event["hash"], seq
        seen[seq] = event["hash"]
    for seq, expected in sorted(anchors.items()):
        if seen.get(seq) != expected:
            return False, f"evento {seq}: assente o diverso dalla testa annotata ({expected[:16]}…)"
    if prev_seq is None:
        return False, "nessun evento nell'esportazione"
    return True, f"integra: testa {prev_seq} {prev_hash}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", help="file JSON Lines (o - per lo standard input)")
    parser.add_argument("--anchor", action="append", default=[], metavar="SEQ:HASH")
    args = parser.parse_args()
    stream = sys.stdin if args.export == "-" else open(args.export, encoding="utf-8")  # noqa: SIM115
    with stream:
        lines = stream.readlines()
    anchors = {}
    for item in args.anchor:
        seq, _, digest = item.partition(":")
        anchors[int(seq)] = digest.strip().lower()
    ok, message = verify(lines, anchors)
    print(("OK " if ok else "ERRORE ") + message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
