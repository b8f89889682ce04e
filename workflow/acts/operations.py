"""Acts: propose one, carry it through opinions, signatures, numbers and publication, read it.

Every change is one `@operation` with one audit event; numbers come from acts/registers.py
in the same transaction, so a refused or failed step consumes none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from workflow.access.authorize import acting_role, delegation_for, effective_roles
from workflow.access.models import User
from workflow.access.roles import ROLE_LABELS
from workflow.acts import registers, signature_check
from workflow.acts.models import Act, ActDocument, ActEvent
from workflow.acts.proposal import MAX_FIELD, parse_fascicolo, proposal_fields, proposal_sha256
from workflow.acts.register_models import ALBO, PROTOCOLLO, REPERTORIO
from workflow.audit import chain as audit
from workflow.audit.registrations import PAYLOAD_KEY, entry_payload
from workflow.core.clock import Clock, as_utc, rome_today
from workflow.core.errors import InvalidData, NotFound, StaleVersion
from workflow.core.transaction import operation
from workflow.deadlines import rules
from workflow.definitions import ACT_LATEST, act_definition, remember
from workflow.definitions import acts as machine
from workflow.engine import stepdata
from workflow.engine.definition import Definition, Step, available_steps
from workflow.engine.door import Firing, fire_checked
from workflow.extensions import db
from workflow.procedures.models import Procedure


def definition_of(act: Act) -> Definition:
    """The act machine `act` started on; raises DefinitionUnavailable."""
    return act_definition(act.definition_version)


def act_type(act: Act) -> machine.ActType:
    return machine.ACT_TYPES[act.act_type]


# Children first, then the act row (as procedures.get): every event and document is committed
# with the act's new version, so what is read before the row is never newer than the version it
# shows. Read row-first, a signature committed in between gave the loser of a race a guard's 422
# ("already signed") on events newer than its version instead of the 409 it is owed. An event is
# never changed once written (no populate_existing); a document and the act row may be.
_EVENTS_OF = select(ActEvent).where(ActEvent.act_id == bindparam("act_id")).order_by(ActEvent.id)
_DOCUMENTS_OF = (  # their signatures come with them (selectin), written in the same transaction
    select(ActDocument)
    .where(ActDocument.act_id == bindparam("act_id"))
    .order_by(ActDocument.id)
    .execution_options(populate_existing=True)
)
_ACT = (
    select(Act)
    .where(Act.id == bindparam("act_id"))
    .options(lazyload(Act.events), lazyload(Act.documents))
    .execution_options(populate_existing=True)
)


def get(act_id: int) -> Act:
    """The act with its events and documents, read afresh, children first."""
    key = {"act_id": act_id}
    events = list(db.session.scalars(_EVENTS_OF, key))
    documents = list(db.session.scalars(_DOCUMENTS_OF, key))
    act = db.session.scalars(_ACT, key).one_or_none()
    if act is None:
        raise NotFound(f"Atto {act_id} non trovato.")
    set_committed_value(act, "events", events)
    set_committed_value(act, "documents", documents)
    return act


def check_version(act: Act, expected_version: int) -> None:
    if act.version != expected_version:
        raise StaleVersion(
            f"L'atto è stato modificato (versione {act.version}, richiesta {expected_version}): "
            "ricarica la pagina e riprova."
        )


@operation
def propose(
    act_type_code: str,
    *,
    oggetto: str,
    fascicolo: str,
    proponente: str,
    materia: str,
    struttura: str,
    testo: str,
    actor: User,
    clock: Clock,
    procedure_id: int | None = None,
) -> Act:
    """Create the proposal of an act, classified in its fascicolo, optionally in a procedure.

    Raises NotAllowed, NotFound (procedure), InvalidData (a field missing or malformed).
    """
    role = acting_role(actor, machine.PROPOSERS, "proporre un atto", clock=clock)
    kind = machine.ACT_TYPES.get(act_type_code)
    if kind is None:
        raise InvalidData(f"Tipo di atto «{act_type_code}» sconosciuto.")
    procedure = _procedure(procedure_id)
    # An act of a procedure belongs to the procedure's fascicolo unless one is given.
    raw_fascicolo = (fascicolo or "").strip() or (procedure.fascicolo if procedure else "")
    titolario, anno, numero = parse_fascicolo(raw_fascicolo)
    values = proposal_fields(
        oggetto=oggetto, proponente=proponente, materia=materia, struttura=struttura, testo=testo
    )
    classified = f"{titolario}/{anno}/{numero}"
    remember(ACT_LATEST, clock=clock)
    act = Act(
        act_type=kind.code,
        definition_version=ACT_LATEST.version,
        state=ACT_LATEST.initial,
        version=1,
        procedure_id=procedure.id if procedure else None,
        titolario=titolario,
        fascicolo_anno=anno,
        fascicolo_numero=numero,
        proposal_sha256=proposal_sha256(values["oggetto"], values["testo"], classified),
        proposal_revision=1,
        publication_days=kind.publication_days,
        created_at=as_utc(clock.now()),
        created_by_id=actor.id,
        **values,
    )
    db.session.add(act)
    db.session.flush()
    _audit_proposal(act, role, actor, clock)
    rules.sync_act(act, None, clock=clock)  # the technical opinion is now due
    return act


def _procedure(procedure_id: int | None) -> Procedure | None:
    """The procedure an act is proposed in, if any; raises NotFound."""
    if procedure_id is None:
        return None
    procedure = db.session.get(Procedure, procedure_id)
    if procedure is None:
        raise NotFound(f"Procedimento {procedure_id} non trovato.")
    return procedure


def _audit_proposal(act: Act, role: str, actor: User, clock: Clock) -> None:
    """The audit event of a new proposal: its classification and fingerprint, not its text."""
    described = ("oggetto", "proponente", "materia", "struttura")
    audit.record(
        actor=actor,
        role=role,
        object_type="act",
        object_id=act.id,
        action="act.proposed",
        payload={
            "act_type": act.act_type,
            "definition_version": act.definition_version,
            "state": act.state,
            "publication_days": act.publication_days,
            "fascicolo": act.fascicolo,
            "procedure_id": act.procedure_id,
            "proposal_sha256": act.proposal_sha256,
            **{name: getattr(act, name) for name in described},
        },
        clock=clock,
    )


def current_events(act: Act) -> list[ActEvent]:
    """Events given on the current proposal text: after the last revision, on the same SHA-256."""
    events = list(act.events)
    last_revision = max((i for i, e in enumerate(events) if e.event == "rivedi"), default=-1)
    return [e for e in events[last_revision + 1 :] if e.proposal_sha256 == act.proposal_sha256]


def signatures(act: Act) -> dict[str, ActEvent]:
    """The signature event of each role that signed the current text."""
    return {e.data["ruolo"]: e for e in current_events(act) if e.event == "firma"}


def missing_opinions(act: Act) -> list[str]:
    latest: dict[str, ActEvent] = {}
    for e in current_events(act):
        if e.event in machine.OPINIONS or e.event == "contabile_non_dovuto":
            latest["parere_contabile" if e.event == "contabile_non_dovuto" else e.event] = e
    missing = []
    for event, name in machine.OPINIONS.items():
        given = latest.get(event)
        ok = given is not None and (
            given.event == "contabile_non_dovuto" or given.data.get("favorevole") is True
        )
        if not ok:
            missing.append(name)
    return missing


def document_problem(
    act: Act,
    document: ActDocument | None = None,
    signers: Iterable[tuple[User, str]] | None = None,
) -> str | None:
    """Why `document` cannot go on the Albo as the signed act, or None: its signatures must be
    valid (acts/signature_check.py: intact, unchanged after signing, trusted when trust is
    configured) and be those of `signers` (person, role code; by default everyone who signed the
    act in the tracker). Without a document: the latest live *atto* document, if any.
    """
    if document is None:
        main = [d for d in live_documents(act) if d.kind == "atto"]
        if not main:
            return _no_signed_document(act)
        document = main[-1]
    if signers is None:
        signers = [(event.recorded_by, role) for role, event in signatures(act).items()]
    return signature_check.signature_problem(
        document, [(person, ROLE_LABELS[role]) for person, role in signers]
    )


def _no_signed_document(act: Act) -> str:
    """Said while no document of the act is uploaded: whose digital signatures it must carry
    (those recorded in the tracker), when some are."""
    names = [event.recorded_by.full_name for event in signatures(act).values()]
    if not names:
        return "Manca il documento dell'atto firmato digitalmente (PDF con firme PAdES)."
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " e " + names[-1]
    return (
        "Manca il documento dell'atto firmato digitalmente (PDF con firme PAdES) da "
        f"{who}; caricato: nessuno."
    )


# What each role of a document is, as the offices read it (the codes stay in the database).
DOCUMENT_ROLES = {
    "atto": "Atto (documento firmato)",
    "allegato": "Allegato pubblicabile",
    "non_pubblicabile": "Allegato non pubblicabile (resta agli uffici)",
    "omissis": "Versione per la pubblicazione (con omissis)",
    "referto": "Referto di pubblicazione firmato",
}


def live_documents(act: Act) -> list[ActDocument]:
    """The act's documents not withdrawn, in upload order."""
    return [d for d in act.documents if d.withdrawn_at is None]


def _has_omissis(act: Act) -> set[int]:
    """Ids of the documents that have a live version for publication: they stay internal."""
    return {d.original_id for d in live_documents(act) if d.kind == "omissis" and d.original_id}


def publication_choices(act: Act) -> tuple[dict[int, str | None], dict[int, str | None]]:
    """For each live document: why it cannot be published as the act (signature check or
    role), or None; and why not as an annex, or None (Garante privacy, guidelines 243/2014)."""
    by_id = {d.id: d for d in act.documents}
    hidden = _has_omissis(act)
    as_act: dict[int, str | None] = {}
    as_annex: dict[int, str | None] = {}
    for d in live_documents(act):
        name = f"«{d.original_name}»"
        original = by_id.get(d.original_id) if d.original_id else None
        of_act = d.kind == "atto" or (original is not None and original.kind == "atto")
        if d.id in hidden:
            problem: str | None = (
                f"Il documento {name} ha una versione per la pubblicazione (omissis): si pubblica "
                "quella, l'originale resta agli uffici."
            )
            as_act[d.id] = as_annex[d.id] = problem
        elif d.kind == "non_pubblicabile":
            as_act[d.id] = as_annex[d.id] = (
                f"Il documento {name} è un allegato non pubblicabile: resta agli uffici."
            )
        elif d.kind == "referto":
            as_act[d.id] = as_annex[d.id] = (
                f"Il documento {name} è il referto di pubblicazione: non si sceglie qui."
            )
        elif of_act:
            as_act[d.id] = document_problem(act, d)
            as_annex[d.id] = f"Il documento {name} è il documento dell'atto, non un allegato."
        else:
            as_act[d.id] = f"Il documento {name} è un allegato, non il documento dell'atto."
            as_annex[d.id] = None
    for d in act.documents:
        if d.withdrawn_at is not None:
            as_act[d.id] = as_annex[d.id] = (
                f"Il documento «{d.original_name}» è stato ritirato: non si pubblica."
            )
    return as_act, as_annex


def published_documents(act: Act) -> list[ActDocument]:
    """What the Albo shows and serves for this publication: the act's document the Ufficio Albo
    chose at `pubblica`, then the annexes it chose, in upload order. Empty before publication.
    The one list the public page, the feed and the public downloads read."""
    chosen = [d for d in act.documents if d.published]
    return sorted(chosen, key=lambda d: (d.kind != "atto" and not _is_act_version(act, d), d.id))


def _is_act_version(act: Act, document: ActDocument) -> bool:
    """An omissis version of the act's own document (published in its place)."""
    original = next((d for d in act.documents if d.id == document.original_id), None)
    return original is not None and original.kind == "atto"


def facts_of(act: Act, actor: User | None, clock: Clock) -> machine.ActFacts:
    """What the act machine's guards look at for `actor` (None: no signature of theirs is due)."""
    required = act_type(act).required_signers
    signed = signatures(act)
    held = effective_roles(actor, clock) if actor else set()  # a delegate signs for the role
    signed_as = next(
        (role for role, e in signed.items() if actor and e.recorded_by_id == actor.id), None
    )
    as_act, as_annex = publication_choices(act)
    return machine.ActFacts(
        today=rome_today(clock),
        missing_opinions=tuple(missing_opinions(act)),
        missing_signers=tuple(r for r in required if r not in signed),
        # A role held in one's own right signs before one held by delegation, so that a
        # Segretario who also stands in for the Sindaco gives the Segretario's signature.
        signer_roles=tuple(
            sorted(
                (r for r in required if r in held and r not in signed),
                key=lambda r: r not in actor.role_codes if actor else False,
            )
        ),
        signed_as=signed_as,
        document_problem=document_problem(act),
        atto_choices=as_act,
        annex_choices=as_annex,
        published_to=act.published_to,
        deliberation=act_type(act).deliberation,
    )


@operation
def fire_event(
    act_id: int,
    event: str,
    *,
    expected_version: int,
    data: Mapping[str, Any],
    actor: User,
    clock: Clock,
) -> Act:
    """Fire one event of the act's machine: an opinion, a signature, numbering, publication…

    Raises NotFound (act or event), StaleVersion, NotAllowed, Conflict (not possible in the
    current state), InvalidData / GuardFailed (the Italian message says what is missing).
    """
    act = get(act_id)
    firing = fire_checked(
        definition_of(act),
        act.state,
        event,
        data,
        actor=actor,
        clock=clock,
        check_version=lambda: check_version(act, expected_version),
        facts=lambda: facts_of(act, actor, clock),
        subject="gli atti",
    )
    entry = EFFECTS.get(event, _as_given)(act, firing, actor, clock)
    _record_event(act, event, firing.new_state, entry, actor, clock)
    return act


@dataclass(frozen=True)
class Entry:
    """What an event records: its data (event row and audit payload) and the role it is under;
    `audited`: what only the audit payload states besides (the register entries written)."""

    data: dict[str, Any]
    role: str
    audited: dict[str, Any] = field(default_factory=dict)


def _record_event(
    act: Act, event: str, new_state: str, entry: Entry, actor: User, clock: Clock
) -> None:
    """The event row, the act's new state and version, its audit event and deadlines."""
    from_state = act.state
    row = ActEvent(
        act_id=act.id,
        event=event,
        from_state=from_state,
        to_state=new_state,
        data=entry.data,
        proposal_sha256=act.proposal_sha256,
        recorded_at=as_utc(clock.now()),
        recorded_by_id=actor.id,
        recorded_role=entry.role,
    )
    db.session.add(row)
    act.state = new_state
    act.version = act.version + 1
    db.session.flush()  # the event row's id, which the audit event names
    audit.record(
        actor=actor,
        role=entry.role,
        object_type="act",
        object_id=act.id,
        action=f"act.{event}",
        payload={
            "from": from_state,
            "to": new_state,
            "data": entry.data,
            "proposal_sha256": act.proposal_sha256,
            "version": act.version,
            "event_id": row.id,
            **entry.audited,
        },
        clock=clock,
    )
    rules.sync_act(act, from_state, clock=clock)
    db.session.flush()
    db.session.expire(act, ["events"])


# ---- What an event does to the act beyond its state: one function per event, EFFECTS below ----
Effect = Callable[[Act, Firing[machine.ActFacts], User, Clock], Entry]


def _as_given(act: Act, firing: Firing[machine.ActFacts], actor: User, clock: Clock) -> Entry:
    """Most events record the step's data as given (an opinion, a reason, a note)."""
    return Entry(stepdata.to_json(firing.values), firing.role)


def _sign(act: Act, firing: Firing[machine.ActFacts], actor: User, clock: Clock) -> Entry:
    """A signature, under the role whose signature was due: who signed, for which role; by
    delegation, also on whose behalf and by which act, so the record names both the delegate who
    signed and the office signed for."""
    role = firing.facts.signer_roles[0]
    stored: dict[str, Any] = {"ruolo": role, "firmatario": actor.full_name}
    delegation = delegation_for(actor, role, clock)
    if delegation is not None:
        stored["per_delega"] = {
            "per_conto_di": ROLE_LABELS[role],
            "atto": delegation.act,
            "delega_id": delegation.id,  # the audit trail's delegation.created event
        }
    return Entry(stored, role)


def _revise(act: Act, firing: Firing[machine.ActFacts], actor: User, clock: Clock) -> Entry:
    """A changed text is a new proposal version: earlier opinions and signatures lapse."""
    values = firing.values
    if values.get("oggetto"):
        act.oggetto = values["oggetto"][:MAX_FIELD]
    act.testo = values["testo"]
    act.proposal_revision = act.proposal_revision + 1
    act.proposal_sha256 = proposal_sha256(act.oggetto, act.testo, act.fascicolo)
    return _as_given(act, firing, actor, clock)


def _number(act: Act, firing: Firing[machine.ActFacts], actor: User, clock: Clock) -> Entry:
    """Repertorio Generale and Protocollo in the adopting transaction (DPR 445/2000 art. 53)."""
    values = firing.values
    kind = act_type(act)
    subject = f"{kind.label}: {act.oggetto}"
    common = {"object_type": "act", "object_id": act.id, "subject": subject}
    act.repertorio_year, act.repertorio_number = registers.allocate(
        REPERTORIO, clock=clock, fingerprint=act.proposal_sha256, **common
    )
    act.protocollo_year, act.protocollo_number = registers.allocate(
        PROTOCOLLO, clock=clock, fingerprint=act.proposal_sha256, **common
    )
    act.repertorio_date = act.approval_date = rome_today(clock)
    act.immediately_executable = values.get("immediatamente_eseguibile") is True
    act.executability_vote = (values.get("votazione") or "")[:300]
    stored = {
        "repertorio": f"{act.repertorio_number}/{act.repertorio_year}",
        "protocollo": registers.label(PROTOCOLLO, act.protocollo_year, act.protocollo_number),
        "data": act.repertorio_date.isoformat(),
    }
    if act.immediately_executable:
        stored |= {"immediatamente_eseguibile": True, "votazione": act.executability_vote}
    written = [
        entry_payload(REPERTORIO, act.repertorio_year, act.repertorio_number),
        entry_payload(PROTOCOLLO, act.protocollo_year, act.protocollo_number),
    ]
    return Entry(stored, firing.role, {PAYLOAD_KEY: written})


def executability_date(act: Act) -> date | None:
    """When a delibera takes effect: at once if so declared (TUEL 134 c. 4), otherwise after the
    tenth day of publication (c. 3). None for decrees and for delibere not yet published."""
    if not act_type(act).deliberation:
        return None
    if act.immediately_executable:
        return act.approval_date
    return machine.executable_from(act.published_from) if act.published_from else None


def _publish(act: Act, firing: Firing[machine.ActFacts], actor: User, clock: Clock) -> Entry:
    """Albo number and window: TUEL art. 124, `publication_days` consecutive days inclusive,
    from the day asked or today; the documents the Ufficio Albo chose become the public ones.

    Without a choice the act's only validly signed document is the one published; with two or
    more, the office must say which (raises InvalidData before any number is taken).
    """
    values = firing.values
    start = values.get("dal") or firing.facts.today
    chosen = values.get("atto")
    if chosen is None:
        valid = [i for i, problem in firing.facts.atto_choices.items() if problem is None]
        if len(valid) > 1:
            raise InvalidData(
                f"Scegliere quale documento pubblicare come atto: {len(valid)} documenti "
                "risultano validamente firmati."
            )
        chosen = valid[0]
    annexes = values.get("allegati") or []
    published = {chosen, *annexes}
    for document in act.documents:
        document.published = document.id in published
    main = next(d for d in act.documents if d.id == chosen)
    act.albo_year, act.albo_number = registers.allocate(
        ALBO,
        clock=clock,
        object_type="act",
        object_id=act.id,
        subject=act.oggetto,
        fingerprint=main.sha256_hex,
    )
    act.published_from = start
    act.published_to = machine.window_end(start, act.publication_days)
    return Entry(
        {
            "albo": f"{act.albo_number}/{act.albo_year}",
            "dal": act.published_from.isoformat(),
            "al": act.published_to.isoformat(),
            "atto": {"id": main.id, "sha256": main.sha256_hex, "nome": main.original_name},
            "allegati": [
                {"id": d.id, "sha256": d.sha256_hex, "nome": d.original_name}
                for d in act.documents
                if d.id in annexes
            ],
        },
        firing.role,
    )


def _extend(act: Act, firing: Firing[machine.ActFacts], actor: User, clock: Clock) -> Entry:
    """A proroga moves the window's end (after a service outage, by the act that orders it);
    the relata and its deadline follow the new end. The original end stays in the record."""
    values = firing.values
    previous = act.published_to
    act.published_to = values["al"]
    return Entry(
        {
            **stepdata.to_json(values),
            "al_precedente": previous.isoformat() if previous else None,
        },
        firing.role,
        {PAYLOAD_KEY: [entry_payload(ALBO, act.albo_year, act.albo_number)]},
    )


EFFECTS: dict[str, Effect] = {
    "firma": _sign,
    "rivedi": _revise,
    "numera": _number,
    "pubblica": _publish,
    "proroga": _extend,
}


def allowed_events(act: Act, user: User, clock: Clock) -> list[Step]:
    """The steps this user may fire now, each with the fields this act asks for (offered_step):
    what the UI offers and the API lists."""
    definition = definition_of(act)
    roles = effective_roles(user, clock)
    steps = available_steps(definition, act.state, roles, facts_of(act, user, clock))
    return [offered_step(act, s) for s in steps]


# The fields of the immediate executability (TUEL art. 134 c. 4: "nel caso di urgenza le
# deliberazioni ... possono essere dichiarate immediatamente eseguibili col voto espresso dalla
# maggioranza dei componenti"): only a collegial body's delibera has them, never a decree.
DELIBERATION_ONLY_FIELDS = frozenset({"immediatamente_eseguibile", "votazione"})


def offered_step(act: Act, step: Step) -> Step:
    """`step` with only the fields that make sense for this act: a Sindaco's decree is never
    offered the immediate executability (the guard eseguibilita_votata refuses it anyway)."""
    if act_type(act).deliberation or not DELIBERATION_ONLY_FIELDS & {f.name for f in step.fields}:
        return step
    kept = tuple(f for f in step.fields if f.name not in DELIBERATION_ONLY_FIELDS)
    return dataclasses.replace(step, fields=kept)
