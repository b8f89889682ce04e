"""Machine definitions: read from the YAML files of this folder (and of DEFINITION_DIRS), looked
up by kind and version. A running procedure (or act) keeps the version it started with: every
version used is stored in the database (definition_versions) and read back from there when the
file has changed since.

- DEFINITIONS: procedure kinds, every version known in this process, by (kind, version);
- LATEST: procedure kinds, the version their file gives now;
- ACT_DEFINITIONS / ACT_LATEST: the same for the life of an act (atto.yaml).
`install(app)` rebuilds the first two for an app (its DEFINITION_DIRS); a broken file raises
DefinitionError there, at start-up, never at the first request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from workflow.core.clock import Clock
from workflow.core.errors import Conflict
from workflow.definitions import loader
from workflow.definitions.loader import DefinitionError
from workflow.definitions.models import DefinitionVersion
from workflow.engine.definition import Definition
from workflow.extensions import db

__all__ = [
    "ACT_DEFINITIONS",
    "ACT_LATEST",
    "DEFINITIONS",
    "LATEST",
    "UNAVAILABLE",
    "DefinitionError",
    "DefinitionUnavailable",
    "act_definition",
    "available",
    "definition_for",
    "install",
    "remember",
]


# How a list shows the state of a procedure or act whose definition version is missing.
UNAVAILABLE = "Stato non leggibile: versione {version} della definizione non disponibile"


class DefinitionUnavailable(Conflict):
    """The version a procedure or an act started with is neither in the files nor stored: a
    409 with its Italian message wherever it is met, never a 500."""

    def __init__(self, kind: str, version: str) -> None:
        self.kind, self.version = kind, version
        message = (
            f"La versione {version[:12]} della definizione «{kind}» non è disponibile: non è "
            "più nei file e non è stata conservata nel database. Il procedimento si può leggere "
            "ma non avanzare finché un amministratore non lo migra a una versione disponibile "
            f"(flask procedures migrate --kind {kind} --to …)."
        )
        super().__init__(message)


def _package() -> tuple[dict[str, tuple[Definition, str]], tuple[Definition, str]]:
    found = loader.read_folder(loader.FOLDER)
    kinds = {d.kind: (d, c) for d, c in found if d.file_name != "atto.yaml"}
    act = next((d, c) for d, c in found if d.file_name == "atto.yaml")
    return kinds, act


_PACKAGE, _ACT = _package()
# The canonical content of every version read from a file, for `remember`.
_CONTENT: dict[tuple[str, str], str] = {}

DEFINITIONS: dict[tuple[str, str], Definition] = {}
LATEST: dict[str, Definition] = {}
ACT_LATEST: Definition = _ACT[0]
ACT_DEFINITIONS: dict[str, Definition] = {ACT_LATEST.version: ACT_LATEST}
_CONTENT[(ACT_LATEST.kind, ACT_LATEST.version)] = _ACT[1]


def _use(kinds: Iterable[tuple[Definition, str]]) -> None:
    # Versions read from the database stay: they are versions, not what the files say now.
    for key in [k for k, d in DEFINITIONS.items() if d.file_name and LATEST.get(k[0]) is d]:
        del DEFINITIONS[key]
    LATEST.clear()
    for definition, content in kinds:
        if definition.kind in LATEST or definition.kind == ACT_LATEST.kind:
            raise DefinitionError(
                [loader.Problem(definition.file_name, 1, f"tipo «{definition.kind}» già definito")]
            )
        LATEST[definition.kind] = definition
        DEFINITIONS[(definition.kind, definition.version)] = definition
        _CONTENT[(definition.kind, definition.version)] = content


_use(_PACKAGE.values())


def install(app: Any) -> None:
    """Use the package's files and those of the app's DEFINITION_DIRS (a list of folders), all
    checked: raises DefinitionError naming every broken file and line."""
    extra: list[tuple[Definition, str]] = []
    for folder in app.config.get("DEFINITION_DIRS") or ():
        if not Path(folder).is_dir():  # a typo must not make a kind silently disappear
            raise DefinitionError(
                [loader.Problem(str(folder), 0, "DEFINITION_DIRS: cartella inesistente")]
            )
        for definition, content in loader.read_folder(Path(folder)):
            if definition.file_name == "atto.yaml" or definition.kind == ACT_LATEST.kind:
                raise DefinitionError(
                    [
                        loader.Problem(
                            definition.file_name, 1, "la vita degli atti non si ridefinisce"
                        )
                    ]
                )
            extra.append((definition, content))
    _use([*_PACKAGE.values(), *extra])


def _stored(kind: str, version: str) -> Definition:
    row = db.session.scalar(
        select(DefinitionVersion).where(
            DefinitionVersion.kind == kind, DefinitionVersion.version == version
        )
    )
    if row is None:
        raise DefinitionUnavailable(kind, version)
    try:
        definition = loader.from_canonical(row.content, row.source_text, row.file_name)
    except DefinitionError as error:  # a guard the catalogue no longer has, say
        raise DefinitionUnavailable(kind, version) from error
    return dataclasses.replace(definition, version=version)


def definition_for(kind: str, version: str) -> Definition:
    """The definition a procedure of `kind` started with: from the files, else from the database.

    Raises DefinitionUnavailable (with an Italian message) when neither has it."""
    found = DEFINITIONS.get((kind, version))
    if found is None:
        found = DEFINITIONS[(kind, version)] = _stored(kind, version)
    return found


def available(kind: str, version: str) -> bool:
    """Whether definition_for(kind, version) finds a definition."""
    try:
        definition_for(kind, version)
    except DefinitionUnavailable:
        return False
    return True


def act_definition(version: str) -> Definition:
    """The act machine an act started with (see definition_for)."""
    found = ACT_DEFINITIONS.get(version)
    if found is None:
        found = ACT_DEFINITIONS[version] = _stored(ACT_LATEST.kind, version)
    return found


def remember(definition: Definition, *, clock: Clock) -> None:
    """Store `definition`'s version in the database unless it is there already (inside the
    caller's transaction: the procedure or act that starts on it commits with it)."""
    exists = db.session.scalar(
        select(DefinitionVersion.id).where(
            DefinitionVersion.kind == definition.kind,
            DefinitionVersion.version == definition.version,
        )
    )
    if exists is not None:
        return
    content = _CONTENT.get((definition.kind, definition.version))
    if content is None:  # read from the database: it is there
        return
    db.session.add(
        DefinitionVersion(
            kind=definition.kind,
            version=definition.version,
            object="atto" if definition.kind == ACT_LATEST.kind else "procedimento",
            file_name=definition.file_name,
            content=content,
            source_text=definition.source_text,
            first_used_at=clock.now(),
        )
    )
    db.session.flush()


def stored_versions() -> list[DefinitionVersion]:
    """Every version stored, by kind and first use."""
    return list(
        db.session.scalars(
            select(DefinitionVersion).order_by(DefinitionVersion.kind, DefinitionVersion.id)
        )
    )
