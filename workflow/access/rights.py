"""Who may do what, in one table: operations, pages and API routes by role; machine events by the
`roles` of each step of their definition (the same data the machines run with).

A role counts whether held or delegated for the day (access/authorize.py, always given the clock).
Services enforce operations and events; access/enforce.py enforces routes before any view runs
and gives pages `may(user, operation)`; the admin page /admin/diritti shows this table;
tests/access/test_rights.py walks it whole, with held and with dated delegated roles.

The table is the product's and is never widened at run time. A tool that mounts blueprints of its
own on an app it builds (the benchmarks in bench/) grants their endpoints on that app only, through
`extend(app, ...)`; the app's table is then `routes(app)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from flask import Flask

from workflow.access.roles import ADMIN, ALBO, DIREZIONE_GENERALE, ROLE_CODES, SEGRETARIO_GENERALE
from workflow.definitions import ACT_DEFINITIONS, DEFINITIONS
from workflow.definitions import acts as acts_machine

PUBLIC: tuple[str, ...] = ()  # no role needed, no login: the Albo, the public checkpoint
STAFF: tuple[str, ...] = ROLE_CODES  # any signed-in user, whatever the role
# Blueprints whose routes take a bearer token (Authorization: Bearer …) instead of the session.
API_BLUEPRINTS = (
    "api",
    "api_deadlines",
    "acts_api",
    "api_contributions",
    "api_protocollo",
)

# Operations of the services that are not events of a machine.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "procedure.open": (DIREZIONE_GENERALE,),
    "procedure.plan": (DIREZIONE_GENERALE,),
    "procedure.read": STAFF,
    "audit.read": (SEGRETARIO_GENERALE, ADMIN),
    "audit.checkpoint": (SEGRETARIO_GENERALE,),
    "users.manage": (ADMIN,),
    "deadlines.manage": (DIREZIONE_GENERALE, ADMIN),
    "act.propose": acts_machine.PROPOSERS,
    "act.upload": (ALBO, DIREZIONE_GENERALE, SEGRETARIO_GENERALE),
    # The signed referto di pubblicazione (issue 17): its signature must be the Segretario's.
    "act.referto": (SEGRETARIO_GENERALE, ALBO),
    "register.daily": (SEGRETARIO_GENERALE, DIREZIONE_GENERALE, ALBO, ADMIN),
    "mail.outbox": (ADMIN,),
    "account.self": STAFF,
    "territory.manage": (DIREZIONE_GENERALE, ADMIN),
    "consultation.manage": (DIREZIONE_GENERALE,),
    "contribution.register": (DIREZIONE_GENERALE,),
    # Continuing a register from a previous system's last number (acts/registers.py).
    "register.start": (ADMIN, SEGRETARIO_GENERALE),
    # The protocol register (workflow/protocollo): the Direzione Generale registers what it
    # receives and sends, as it already registers the contributions; the Segretario Generale,
    # responsible for the register, registers too and alone annuls (DPR 445/2000 art. 54).
    "protocol.register": (DIREZIONE_GENERALE, SEGRETARIO_GENERALE),
    "protocol.annul": (SEGRETARIO_GENERALE,),
    # Anyone changes their own mail settings; someone else's only these roles.
    "mail.settings.others": (ADMIN,),
}


@dataclass(frozen=True)
class Route:
    roles: tuple[str, ...]
    what: str  # Italian, completes "… spetta a …"

    @property
    def public(self) -> bool:
        return self.roles == PUBLIC


# Every endpoint of the app, by name. An endpoint missing here is refused (deny by default).
ROUTES: dict[str, Route] = {
    "static": Route(PUBLIC, "i file statici"),
    "auth.login": Route(PUBLIC, "l'accesso"),
    "auth.logout": Route(STAFF, "l'uscita"),
    "auth.logout_everywhere": Route(STAFF, "l'uscita da tutte le sessioni"),
    "audit.public_checkpoint": Route(PUBLIC, "il checkpoint pubblico"),
    "audit.public_checkpoint_json": Route(PUBLIC, "il checkpoint pubblico in JSON"),
    # For load balancers and monitors: says only whether the database answers.
    "health.health": Route(PUBLIC, "lo stato del servizio"),
    "desk.index": Route(STAFF, "la scrivania"),
    "desk.compare": Route(STAFF, "il confronto tra trienni"),
    "procedures.list_procedures": Route(STAFF, "l'elenco dei procedimenti"),
    "procedures.show": Route(STAFF, "la scheda del procedimento"),
    "procedures.step": Route(STAFF, "un passaggio del procedimento"),
    "procedures.correct": Route(STAFF, "la rettifica di un passaggio registrato"),
    "procedures.open_procedure": Route(OPERATIONS["procedure.open"], "aprire un procedimento"),
    "procedures.plan": Route(OPERATIONS["procedure.plan"], "pianificare le scadenze"),
    "audit.procedure_history": Route(STAFF, "la storia del procedimento"),
    "audit.index": Route(OPERATIONS["audit.read"], "il registro di audit"),
    "audit.verify": Route(OPERATIONS["audit.read"], "verificare il registro di audit"),
    "audit.export": Route(OPERATIONS["audit.read"], "esportare il registro di audit"),
    "audit.checkpoint": Route(OPERATIONS["audit.checkpoint"], "pubblicare un checkpoint"),
    "admin.rights": Route(OPERATIONS["users.manage"], "la tabella dei diritti"),
    "admin.users": Route(OPERATIONS["users.manage"], "la gestione degli utenti"),
    "admin.create_user": Route(OPERATIONS["users.manage"], "creare utenti"),
    "admin.set_roles": Route(OPERATIONS["users.manage"], "modificare i ruoli"),
    "admin.set_codice_fiscale": Route(OPERATIONS["users.manage"], "registrare il codice fiscale"),
    "admin.set_active": Route(OPERATIONS["users.manage"], "abilitare o disabilitare utenti"),
    "admin.issue_token": Route(OPERATIONS["users.manage"], "emettere token API"),
    "admin.revoke_token": Route(OPERATIONS["users.manage"], "revocare token API"),
    "admin.unlock": Route(OPERATIONS["users.manage"], "sbloccare utenti"),
    "admin.delegations": Route(OPERATIONS["users.manage"], "le deleghe"),
    "admin.delegate": Route(OPERATIONS["users.manage"], "registrare deleghe"),
    "admin.revoke_delegation": Route(OPERATIONS["users.manage"], "revocare deleghe"),
    "admin.procedure_kinds": Route(OPERATIONS["users.manage"], "i tipi di procedimento"),
    "api.openapi": Route(PUBLIC, "la descrizione OpenAPI"),
    "api.docs": Route(PUBLIC, "la pagina della descrizione OpenAPI"),
    "api.list_procedures": Route(STAFF, "l'elenco dei procedimenti"),
    "api.show": Route(STAFF, "la scheda del procedimento"),
    "api.open_procedure": Route(OPERATIONS["procedure.open"], "aprire un procedimento"),
    "api.fire_event": Route(STAFF, "un passaggio del procedimento"),
    "api.correct_step": Route(STAFF, "la rettifica di un passaggio registrato"),
    "api.plan": Route(OPERATIONS["procedure.plan"], "pianificare le scadenze"),
    "deadlines.index": Route(STAFF, "l'elenco delle scadenze"),
    "deadlines.show": Route(STAFF, "la scheda della scadenza"),
    "deadlines.create": Route(OPERATIONS["deadlines.manage"], "registrare una scadenza"),
    "deadlines.settle": Route(OPERATIONS["deadlines.manage"], "chiudere una scadenza"),
    "deadlines.outbox": Route(OPERATIONS["mail.outbox"], "la coda di posta"),
    "deadlines.requeue": Route(OPERATIONS["mail.outbox"], "rimettere in coda un messaggio"),
    "deadlines.settings": Route(STAFF, "le proprie notifiche"),
    # Secret-URL and signed-link routes: the token in the address is the credential.
    "deadlines.unsubscribe": Route(PUBLIC, "la disiscrizione dal riepilogo"),
    "deadlines.user_feed": Route(PUBLIC, "il calendario personale"),
    "deadlines.procedure_feed": Route(PUBLIC, "il calendario del procedimento"),
    "api_deadlines.list_deadlines": Route(STAFF, "l'elenco delle scadenze"),
    "api_deadlines.procedure_deadlines": Route(STAFF, "le scadenze del procedimento"),
    "api_deadlines.show": Route(STAFF, "la scheda della scadenza"),
    "api_deadlines.create": Route(OPERATIONS["deadlines.manage"], "registrare una scadenza"),
    "api_deadlines.settle": Route(OPERATIONS["deadlines.manage"], "chiudere una scadenza"),
    "acts.list_acts": Route(STAFF, "l'elenco degli atti"),
    "acts.show": Route(STAFF, "la scheda dell'atto"),
    "acts.document": Route(STAFF, "i documenti dell'atto"),
    "acts.relata": Route(STAFF, "la relata di pubblicazione"),
    "acts.fire": Route(STAFF, "un passaggio dell'atto"),
    "acts.propose": Route(OPERATIONS["act.propose"], "proporre un atto"),
    "acts.upload": Route(OPERATIONS["act.upload"], "caricare i documenti dell'atto"),
    "acts.change_role": Route(OPERATIONS["act.upload"], "cambiare il ruolo dei documenti"),
    "acts.withdraw": Route(OPERATIONS["act.upload"], "ritirare i documenti dell'atto"),
    "acts.referto_pdf": Route(STAFF, "il referto di pubblicazione"),
    "acts.upload_referto": Route(OPERATIONS["act.referto"], "caricare il referto firmato"),
    "acts.albo_register": Route(STAFF, "il registro delle pubblicazioni"),
    "acts_api.list_acts": Route(STAFF, "l'elenco degli atti"),
    "acts_api.show": Route(STAFF, "la scheda dell'atto"),
    "acts_api.download": Route(STAFF, "i documenti dell'atto"),
    "acts_api.fire_event": Route(STAFF, "un passaggio dell'atto"),
    "acts_api.propose": Route(OPERATIONS["act.propose"], "proporre un atto"),
    "acts_api.upload": Route(OPERATIONS["act.upload"], "caricare i documenti dell'atto"),
    "acts_api.change_role": Route(OPERATIONS["act.upload"], "cambiare il ruolo dei documenti"),
    "acts_api.withdraw": Route(OPERATIONS["act.upload"], "ritirare i documenti dell'atto"),
    "acts_api.referto_pdf": Route(STAFF, "il referto di pubblicazione"),
    "acts_api.upload_referto": Route(OPERATIONS["act.referto"], "caricare il referto firmato"),
    "acts_api.albo_register": Route(STAFF, "il registro delle pubblicazioni"),
    "acts_api.daily_register": Route(OPERATIONS["register.daily"], "il registro giornaliero"),
    "registro_giornaliero.index": Route(
        OPERATIONS["register.daily"], "i registri giornalieri di protocollo"
    ),
    "registro_giornaliero.download": Route(
        OPERATIONS["register.daily"], "i registri giornalieri di protocollo"
    ),
    # The Albo pretorio online is public by law (L. 69/2009 art. 32).
    "albo.public_list": Route(PUBLIC, "l'Albo pretorio"),
    "albo.show": Route(PUBLIC, "una pubblicazione dell'Albo"),
    "albo.document": Route(PUBLIC, "i documenti pubblicati"),
    "albo.feed": Route(PUBLIC, "il feed dell'Albo"),
    "albo.robots": Route(PUBLIC, "robots.txt"),
    "albo.archive": Route(PUBLIC, "l'archivio delle pubblicazioni concluse"),
    # The Albo's public JSON API: the same data as its pages, no token.
    "albo_api.list_publications": Route(PUBLIC, "l'elenco delle pubblicazioni dell'Albo"),
    "albo_api.show_publication": Route(PUBLIC, "una pubblicazione dell'Albo"),
    "albo_api.feed": Route(PUBLIC, "i dati del feed dell'Albo"),
    "contributions.territory_index": Route(STAFF, "il territorio e i suoi enti"),
    "contributions.set_addresses": Route(
        OPERATIONS["territory.manage"], "modificare gli indirizzi degli enti"
    ),
    "contributions.add_forum_member": Route(
        OPERATIONS["territory.manage"], "modificare il Forum metropolitano"
    ),
    "contributions.set_forum_member_active": Route(
        OPERATIONS["territory.manage"], "modificare il Forum metropolitano"
    ),
    "contributions.consultation": Route(STAFF, "la pagina della consultazione"),
    "contributions.open_consultation": Route(
        OPERATIONS["consultation.manage"], "aprire la consultazione"
    ),
    "contributions.register": Route(
        OPERATIONS["contribution.register"], "registrare un contributo"
    ),
    "contributions.export_csv": Route(STAFF, "esportare i contributi"),
    "contributions.summary": Route(STAFF, "la sintesi della consultazione"),
    "contributions.close": Route(OPERATIONS["consultation.manage"], "chiudere la consultazione"),
    "api_contributions.list_bodies": Route(STAFF, "l'elenco degli enti"),
    "api_contributions.set_addresses": Route(
        OPERATIONS["territory.manage"], "modificare gli indirizzi degli enti"
    ),
    "api_contributions.show": Route(STAFF, "la consultazione"),
    "api_contributions.open_consultation": Route(
        OPERATIONS["consultation.manage"], "aprire la consultazione"
    ),
    "api_contributions.register": Route(
        OPERATIONS["contribution.register"], "registrare un contributo"
    ),
    "api_contributions.close": Route(
        OPERATIONS["consultation.manage"], "chiudere la consultazione"
    ),
    "protocollo.list_entries": Route(STAFF, "il registro di protocollo"),
    "protocollo.export_csv": Route(STAFF, "esportare il registro di protocollo"),
    "protocollo.new": Route(OPERATIONS["protocol.register"], "protocollare un documento"),
    "protocollo.create": Route(OPERATIONS["protocol.register"], "protocollare un documento"),
    "protocollo.show": Route(STAFF, "una registrazione di protocollo"),
    "protocollo.segnatura_xml": Route(STAFF, "la segnatura di protocollo"),
    "protocollo.annul": Route(
        OPERATIONS["protocol.annul"], "annullare una registrazione di protocollo"
    ),
    "protocollo.fascicolo": Route(STAFF, "il fascicolo"),
    "api_protocollo.list_entries": Route(STAFF, "il registro di protocollo"),
    "api_protocollo.show": Route(STAFF, "una registrazione di protocollo"),
    "api_protocollo.create": Route(OPERATIONS["protocol.register"], "protocollare un documento"),
    "api_protocollo.segnatura_xml": Route(STAFF, "la segnatura di protocollo"),
    "api_protocollo.annul": Route(
        OPERATIONS["protocol.annul"], "annullare una registrazione di protocollo"
    ),
}

# Routes that fire machine events, or correct the steps they recorded, let any staff member in:
# the event's own roles decide, in the service, once it knows which event and which state.
EVENT_ROUTES = ("procedures.step", "api.fire_event", "procedures.correct", "api.correct_step")


@dataclass(frozen=True)
class EventRight:
    kind: str
    version: str
    event: str
    source: str
    label: str
    roles: tuple[str, ...]
    title: str = ""  # the definition's title, as people read it
    source_label: str = ""  # the state's label


def event_rights() -> Iterator[EventRight]:
    """Every event of every machine definition, with the roles that may fire it: once per
    event and state (the two outcomes of an opinion are one right)."""
    every = {**DEFINITIONS, **{(d.kind, v): d for v, d in ACT_DEFINITIONS.items()}}
    for (kind, version), definition in sorted(every.items()):
        seen: set[tuple[str, str]] = set()
        for step in definition.steps:
            if (step.event, step.source) in seen:
                continue
            seen.add((step.event, step.source))
            yield EventRight(
                kind,
                version,
                step.event,
                step.source,
                step.label,
                step.roles,
                definition.title,
                definition.state(step.source).label,
            )


@dataclass
class Extension:
    """What `extend` granted on one app, kept in `app.extensions[EXTENSION]`."""

    routes: dict[str, Route] = field(default_factory=dict)
    api_blueprints: set[str] = field(default_factory=set)


EXTENSION = "workflow.rights"


def extend(app: Flask, routes: Mapping[str, Route], api_blueprints: Iterable[str] = ()) -> None:
    """Grant rights on `app` to endpoints that a tool adds to it (e.g. bench/baseline.py).

    `routes` maps endpoint names ("blueprint.view") to the roles that may call them;
    `api_blueprints` names blueprints whose routes take a bearer token instead of the session.
    The grant holds on this app only, so the product's table and every other app are unchanged.
    Raises ValueError for an endpoint that already has a right (the product's, or granted
    before): an extension adds routes, it never redefines who may use an existing one.
    """
    extension = app.extensions.setdefault(EXTENSION, Extension())
    taken = set(routes) & (set(ROUTES) | set(extension.routes))
    if taken:
        raise ValueError(f"Diritti già definiti per: {', '.join(sorted(taken))}")
    extension.routes.update(routes)
    extension.api_blueprints.update(api_blueprints)


def _extension(app: Flask) -> Extension:
    return app.extensions.get(EXTENSION) or Extension()


def routes(app: Flask) -> dict[str, Route]:
    """The rights in force on `app`: the product's table plus what `extend` granted on it."""
    return {**ROUTES, **_extension(app).routes}


def route(endpoint: str | None, app: Flask) -> Route | None:
    """The right of `endpoint` on `app`; None when nobody may call it (deny by default)."""
    if not endpoint:
        return None
    return ROUTES.get(endpoint) or _extension(app).routes.get(endpoint)


def is_api(blueprint: str | None, app: Flask) -> bool:
    """True when the routes of `blueprint` on `app` take a bearer token, not the session."""
    return blueprint in API_BLUEPRINTS or blueprint in _extension(app).api_blueprints
