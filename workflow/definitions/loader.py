"""Definition files: YAML read with line numbers, checked by a JSON Schema, built into Definitions.

A file of workflow/definitions/ (or of a folder in DEFINITION_DIRS) is one kind: a procedure
(`oggetto: procedimento`) or the life of an act (`oggetto: atto`). Reading it:
1. YAML (anchors and merge keys allowed), each value remembered with the line it was written on;
2. the JSON Schema of schema.json (`jsonschema`): the shape of every value;
3. what a schema cannot say: names that must exist (states, milestones, acts, guards of the
   catalogue), states no step reaches, states with no way out;
each problem reported in Italian with the file and the line. Its version is the SHA-256 of the
canonical content (the data as JSON, keys sorted): comments and layout do not change it.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from workflow.definitions import catalogue
from workflow.engine.definition import (
    ActKind,
    DeadlineRule,
    Definition,
    Field,
    MilestoneSpec,
    State,
    Step,
)

FOLDER = Path(__file__).parent
SCHEMA_FILE = FOLDER / "schema.json"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file, where it is (line 1-based; 0 when it has no line)."""

    file: str
    line: int
    text: str

    def __str__(self) -> str:
        return (
            f"{self.file}, riga {self.line}: {self.text}"
            if self.line
            else (f"{self.file}: {self.text}")
        )


class DefinitionError(ValueError):
    """A definition file is not valid; `problems` say what and where, in Italian."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line))
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"Definizione di procedimento non valida:\n{lines}")


# ---------------------------------------------------------------------------------------------
# YAML with lines


def _lines(node: yaml.Node, path: tuple[Any, ...], into: dict[tuple[Any, ...], int]) -> None:
    into.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                continue
            into[(*path, key.value)] = key.start_mark.line + 1
            _lines(value, (*path, key.value), into)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), into)


def _duplicates(node: yaml.Node, file: str) -> list[Problem]:
    found = []
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.tag != "tag:yaml.org,2002:merge" and key.value in seen:
                found.append(Problem(file, key.start_mark.line + 1, f"«{key.value}» ripetuto"))
            seen.add(key.value)
            found += _duplicates(value, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _duplicates(item, file)
    return found


# How many values a file may hold once its aliases (*nome) are expanded: a definition has a few
# thousand; a "billion laughs" of nested aliases would have billions.
MAX_VALUES = 200_000


def _expanded_size(node: yaml.Node, file: str) -> int:
    """How many values `node` holds with its aliases expanded, each shared node counted once
    per use but computed once; raises DefinitionError past MAX_VALUES or on an alias that
    contains itself."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(n: yaml.Node) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            line = n.start_mark.line + 1
            raise DefinitionError([Problem(file, line, "un alias contiene sé stesso")])
        open_nodes.add(key)
        children: list[yaml.Node] = []
        if isinstance(n, yaml.MappingNode):
            children = [v for pair in n.value for v in pair]
        elif isinstance(n, yaml.SequenceNode):
            children = list(n.value)
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_VALUES:
                line = n.start_mark.line + 1
                raise DefinitionError(
                    [Problem(file, line, f"gli alias espandono oltre {MAX_VALUES} valori")]
                )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(node)


def read_yaml(text: str, file: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """The data of a YAML text and the line of each value, by its path of keys and indices.

    Raises DefinitionError on a syntax error, a key written twice in one mapping, or aliases
    that expand past MAX_VALUES values or contain themselves."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DefinitionError([Problem(file, 0, "il file è vuoto")])
        _expanded_size(node, file)
        problems = _duplicates(node, file)
        data = loader.construct_document(node)  # resolves merge keys in the node too
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        raise DefinitionError([Problem(file, line, f"YAML non valido: {error.problem}")]) from None
    except yaml.YAMLError as error:
        raise DefinitionError([Problem(file, 0, f"YAML non valido: {error}")]) from None
    finally:
        loader.dispose()
    if problems:
        raise DefinitionError(problems)
    lines: dict[tuple[Any, ...], int] = {}
    _lines(node, (), lines)
    return data, lines


def line_of(lines: Mapping[tuple[Any, ...], int], path: Iterable[Any]) -> int:
    """The line of the value at `path`, or of its nearest parent written in the file."""
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 0)


# ---------------------------------------------------------------------------------------------
# The schema, with Italian messages


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of a definition file (schema.json, draft 2020-12)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


_TYPES = {
    "object": "una mappa (chiave: valore)",
    "array": "un elenco (- …)",
    "string": "un testo",
    "integer": "un numero intero",
    "boolean": "true oppure false",
    "null": "null",
}


def _italian(error: jsonschema.ValidationError) -> str:
    """What a schema error means, in Italian (the validator's own message is English)."""
    kind, value, instance = error.validator, error.validator_value, error.instance
    where = ".".join(str(p) for p in error.absolute_path) or "il file"
    if kind == "required":
        missing = [name for name in value if name not in instance]
        return f"in {where} manca «{missing[0]}»"
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(str(k) for k in instance if k not in known)
        allowed = ", ".join(sorted(known))
        return f"in {where} la voce «{unknown[0]}» non è prevista (ammesse: {allowed})"
    if kind == "enum":
        return f"{where}: «{instance}» non è tra i valori ammessi ({', '.join(map(str, value))})"
    if kind == "type":
        return f"{where} deve essere {_TYPES.get(value, value)}"
    if kind == "pattern":
        if "\\(" in value:
            return (
                f"{where}: «{instance}» non è il nome di una condizione (nome, o nome(tappa, …) "
                "tra virgolette in un elenco [ ]: la virgola separa gli elementi)"
            )
        if "a-z" in value:
            return (
                f"{where}: «{instance}» non è un codice valido (lettere minuscole, cifre e _, "
                "al massimo 40, iniziando con una lettera)"
            )
        return f"{where}: il testo contiene un a capo o un carattere di controllo"
    if kind == "minItems":
        return f"{where} deve avere almeno {value} element{'o' if value == 1 else 'i'}"
    if kind in ("minLength", "maxLength"):
        return f"{where}: testo {'vuoto' if kind == 'minLength' else 'troppo lungo'}"
    if kind in ("minimum", "maximum"):
        bound = "almeno" if kind == "minimum" else "al massimo"
        return f"{where}: {instance} non va bene, deve essere {bound} {value}"
    if kind in ("minProperties", "maxProperties"):
        return f"in {where} indica una e una sola voce tra {', '.join(error.schema['properties'])}"
    if kind == "oneOf":
        choices = [s["required"][0] if "required" in s else None for s in value]
        if all(choices):
            present = [c for c in choices if c in instance]
            what = "nessuna" if not present else f"più d'una ({', '.join(present)})"
            return f"in {where} va indicata una sola voce tra {', '.join(choices)}: qui {what}"
        best = jsonschema.exceptions.best_match(error.context)
        return _italian(best) if best is not None else f"{where}: valore non valido"
    return f"{where}: valore non valido ({kind})"


def schema_problems(data: Any, lines: Mapping[tuple[Any, ...], int], file: str) -> list[Problem]:
    """Every way `data` breaks the schema, each at its line."""
    validator = jsonschema.Draft202012Validator(schema())
    return [
        Problem(file, line_of(lines, e.absolute_path), _italian(e))
        for e in validator.iter_errors(data)
    ]


# ---------------------------------------------------------------------------------------------
# Canonical content and version


def canonical(data: Mapping[str, Any]) -> str:
    """The content as JSON with keys sorted and no spaces: what the version hashes."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def version_of(data: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of the canonical content: the definition's version."""
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Building


def _steps(item: Mapping[str, Any], acts: Mapping[str, ActKind]) -> list[Step]:
    """The Steps of one `passaggi` item: one per source state and per outcome route."""
    sources = item["da"] if isinstance(item["da"], list) else [item["da"]]
    if "esiti" in item:
        routes = [
            (item["esiti"]["favorevole"], ("favorevole",), ()),
            (item["esiti"]["contrario"], (), ("favorevole",)),
        ]
    else:
        routes = [(item["a"], (), ())]
    built = []
    for source in sources:
        for dest, when, unless in routes:
            step = Step(
                event=item["evento"],
                label=item["etichetta"],
                source=source,
                dest=dest,
                roles=tuple(item["ruoli"]),
                fields=_fields(item.get("campi", ())),
                milestone=item.get("tappa"),
                act=acts.get(item["atto"]) if item.get("atto") else None,
                guards=tuple(item.get("condizioni", ())),
                when=when,
                unless=unless,
                legal_source=item.get("fonte", ""),
            )
            built.append(step)
    return built


def _rule(item: Mapping[str, Any]) -> DeadlineRule:
    fixed = after = month_end = None
    if "data_fissa" in item:
        f = item["data_fissa"]
        fixed = (f["giorno"], f["mese"], f.get("anno", 0))
    if "dopo" in item:
        d = item["dopo"]
        if "anni" in d:
            after = (d["tappa"], d["anni"], "years")
        else:
            after = (d["tappa"], d["giorni"], "working_days" if d.get("lavorativi") else "days")
    if "fine_mese" in item:
        month_end = (item["fine_mese"]["tappa"], item["fine_mese"].get("mesi", 0))
    met = item.get("soddisfatta_da", {})
    return DeadlineRule(
        code=item["codice"],
        label=item["etichetta"],
        basis=item["fonte"],
        category=item.get("categoria", "termine"),
        responsible=item.get("responsabile"),
        remind_overdue=item.get("promemoria_dopo_la_scadenza", True),
        fixed=fixed,
        after=after,
        month_end=month_end,
        from_field=item.get("da_campo", {}).get("campo"),
        met_by=met.get("tappa"),
        met_by_successor=met.get("tappa_del_successivo"),
    )


def _fields(items: Iterable[Mapping[str, Any]]) -> tuple[Field, ...]:
    return tuple(
        Field(
            name=f["nome"],
            label=f["etichetta"],
            type=f["tipo"],
            required=f.get("obbligatorio", True),
            missing=f.get("manca", ""),
        )
        for f in items
    )


def build(
    data: Mapping[str, Any],
    *,
    file: str,
    source_text: str = "",
    lines: Mapping[tuple[Any, ...], int] | None = None,
) -> Definition:
    """The Definition a file's (schema-valid) data describes; raises DefinitionError for names
    that do not exist, unreachable states and states with no way out."""
    lines = lines or {}
    problems: list[Problem] = []

    def problem(path: Iterable[Any], text: str) -> None:
        problems.append(Problem(file, line_of(lines, path), text))

    obj = data["oggetto"]
    phases = tuple(data.get("fasi", ()))
    states = tuple(
        State(
            name=s["codice"],
            label=s["etichetta"],
            final=s.get("finale", False),
            phase=s.get("fase"),
        )
        for s in data["stati"]
    )
    milestones = tuple(
        MilestoneSpec(code=m["codice"], label=m["etichetta"], phase=m["fase"])
        for m in data.get("tappe", ())
    )
    acts = {
        code: ActKind(code=code, label=a["etichetta"], citation=a["citazione"])
        for code, a in data.get("atti", {}).items()
    }
    names = {s.name for s in states}
    labels = {m.code: m.label for m in milestones}
    for kind, items in (("stato", data["stati"]), ("tappa", data.get("tappe", ()))):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item["codice"] in seen:
                problem(
                    (("stati" if kind == "stato" else "tappe"), i),
                    f"{kind} «{item['codice']}» ripetuto",
                )
            seen.add(item["codice"])
            if phases and item.get("fase") and item["fase"] not in phases:
                problem(
                    ("stati" if kind == "stato" else "tappe", i, "fase"),
                    f"fase «{item['fase']}» non è tra le fasi del file",
                )
    if data["stato_iniziale"] not in names:
        problem(("stato_iniziale",), f"stato iniziale «{data['stato_iniziale']}» inesistente")

    guards: dict[str, Any] = {}
    every_field = frozenset(c["nome"] for item in data["passaggi"] for c in item.get("campi", ()))

    def check_guard(reference: str, path: tuple[Any, ...]) -> None:
        if reference in guards:
            return
        try:
            guards[reference] = catalogue.build(reference, obj, labels, every_field)
        except catalogue.UnknownGuard as error:
            problem(path, str(error))

    for i, reference in enumerate(data.get("condizioni_comuni", ())):
        check_guard(reference, ("condizioni_comuni", i))

    steps: list[Step] = []
    fields_seen: set[str] = set()
    for i, item in enumerate(data["passaggi"]):
        here = ("passaggi", i)
        sources = item["da"] if isinstance(item["da"], list) else [item["da"]]
        for source in sources:
            if source not in names:
                problem(
                    (*here, "da"), f"passaggio «{item['evento']}»: stato «{source}» inesistente"
                )
        dests = list(item["esiti"].values()) if "esiti" in item else [item["a"]]
        for dest in dests:
            if dest is not None and dest not in names:
                problem(
                    (*here, "esiti" if "esiti" in item else "a"),
                    f"passaggio «{item['evento']}»: stato «{dest}» inesistente",
                )
        if item.get("tappa") and item["tappa"] not in labels:
            problem(
                (*here, "tappa"),
                f"passaggio «{item['evento']}»: tappa «{item['tappa']}» inesistente",
            )
        if item.get("atto") and item["atto"] not in acts:
            problem(
                (*here, "atto"),
                f"passaggio «{item['evento']}»: atto «{item['atto']}» non definito in «atti»",
            )
        for j, reference in enumerate(item.get("condizioni", ())):
            check_guard(reference, (*here, "condizioni", j))
        if "esiti" in item and not any(
            c.get("nome") == "favorevole" for c in item.get("campi", ())
        ):
            problem(
                (*here, "esiti"),
                f"passaggio «{item['evento']}»: gli esiti vogliono il campo «favorevole»",
            )
        fields_seen |= {c["nome"] for c in item.get("campi", ())}
        steps += _steps(item, acts)

    # Every state is reached from the initial one, and a state that is not final has a way out.
    reach = {data["stato_iniziale"]}
    todo = deque(reach)
    while todo:
        state = todo.popleft()
        for s in steps:
            if s.source == state and s.dest and s.dest not in reach:
                reach.add(s.dest)
                todo.append(s.dest)
    for i, state in enumerate(states):
        if state.name not in reach and state.name in names and data["stato_iniziale"] in names:
            problem(
                ("stati", i), f"lo stato «{state.name}» non è raggiungibile da nessun passaggio"
            )
        elif not state.final and not any(s.source == state.name and s.dest for s in steps):
            problem(
                ("stati", i), f"lo stato «{state.name}» non è finale ma nessun passaggio ne esce"
            )

    rules = []
    for i, item in enumerate(data.get("scadenze", ())):
        here = ("scadenze", i)
        rule = _rule(item)
        for key, code in (
            ("dopo", rule.after and rule.after[0]),
            ("fine_mese", rule.month_end and rule.month_end[0]),
            ("soddisfatta_da", rule.met_by or rule.met_by_successor),
        ):
            if code and code not in labels:
                problem((*here, key), f"scadenza «{rule.code}»: tappa «{code}» inesistente")
        if rule.fixed:
            try:
                date(2001, rule.fixed[1], rule.fixed[0])  # not a leap year: 29/02 is refused
            except ValueError:
                problem(
                    (*here, "data_fissa"),
                    f"scadenza «{rule.code}»: il giorno {rule.fixed[0]}/{rule.fixed[1]} "
                    "non esiste in tutti gli anni",
                )
        if rule.from_field and rule.from_field not in fields_seen:
            problem(
                (*here, "da_campo"),
                f"scadenza «{rule.code}»: nessun passaggio ha il campo «{rule.from_field}»",
            )
        rules.append(rule)

    if problems:
        raise DefinitionError(problems)
    try:
        return Definition(
            kind=data["tipo"],
            version=version_of(data),
            title=data["titolo"],
            initial=data["stato_iniziale"],
            states=states,
            milestones=milestones,
            steps=tuple(steps),
            guards=guards,
            routes=catalogue.ROUTES,
            common_guards=tuple(data.get("condizioni_comuni", ())),
            short_title=data.get("titolo_breve", ""),
            years=data.get("durata_anni", 1),
            phases=phases,
            sources=tuple(data.get("fonti", ())),
            planning_basis=data.get("cronoprogramma", ""),
            deadlines=tuple(rules),
            acts=acts,
            source_text=source_text,
            file_name=file,
        )
    except ValueError as error:  # steps of one event from one state that differ
        raise DefinitionError([Problem(file, line_of(lines, ("passaggi",)), str(error))]) from None


def parse(text: str, file: str) -> tuple[Definition, str]:
    """A definition file's text → its Definition and canonical content. Raises DefinitionError
    with every problem found (syntax, schema; then names and reachability), each with its line."""
    data, lines = read_yaml(text, file)
    problems = schema_problems(data, lines, file)
    if problems:
        raise DefinitionError(problems)
    return build(data, file=file, source_text=text, lines=lines), canonical(data)


def from_canonical(content: str, source_text: str = "", file: str = "") -> Definition:
    """A Definition from the canonical content stored in the database (definition_versions):
    the version a running procedure started with, whatever the file says now."""
    data = json.loads(content)
    return build(data, file=file or f"{data['tipo']}.yaml", source_text=source_text)


def read_folder(folder: Path) -> list[tuple[Definition, str]]:
    """Every *.yaml of `folder` (sorted by name), parsed; raises DefinitionError with the
    problems of every file at once."""
    found, problems = [], []
    for path in sorted(folder.glob("*.yaml")):
        try:
            found.append(parse(path.read_text(encoding="utf-8"), path.name))
        except DefinitionError as error:
            problems += error.problems
    if problems:
        raise DefinitionError(problems)
    return found
