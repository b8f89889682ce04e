"""The territory of the Città metropolitana di Milano, shipped with the app as data.

133 Comuni: Milano plus 132 in the seven Zone omogenee, and the three Unioni di Comuni, as listed in
the plan PSTTM 2025-2027 (annex to decree R.G. 43/2025, chapter 1). The seed's text comes from a
PDF and misspells six names; the official spellings are used here: Turbigo (seed: Turbigio),
Vanzaghello (Vanzaghella), Colturano (Culturano), Cisliano (Cislino), Noviglio (Naviglio, in the
Unioni list) and Unione dei Fontanili (Fontanilli).
tests/consultations/test_territory.py checks the counts and the spellings.

The Forum metropolitano has no member list in the seed: its members are an editable list in the
database (consultations/territory.py), and the demo adds a few illustrative ones.
"""

from __future__ import annotations

MILANO = "Milano"
MILANO_ZONE = "milano"  # the capoluogo is a zone of its own in the plan's map

# code → (name, Comuni in alphabetical order)
ZONES: dict[str, tuple[str, tuple[str, ...]]] = {
    "alto_milanese": (
        "Alto Milanese",
        (
            "Arconate",
            "Bernate Ticino",
            "Buscate",
            "Busto Garolfo",
            "Canegrate",
            "Castano Primo",
            "Cerro Maggiore",
            "Cuggiono",
            "Dairago",
            "Inveruno",
            "Legnano",
            "Magnago",
            "Nerviano",
            "Nosate",
            "Parabiago",
            "Rescaldina",
            "Robecchetto con Induno",
            "San Giorgio su Legnano",
            "San Vittore Olona",
            "Turbigo",
            "Vanzaghello",
            "Villa Cortese",
        ),
    ),
    "nord_ovest": (
        "Nord Ovest",
        (
            "Arese",
            "Baranzate",
            "Bollate",
            "Cesate",
            "Cornaredo",
            "Garbagnate Milanese",
            "Lainate",
            "Novate Milanese",
            "Pero",
            "Pogliano Milanese",
            "Pregnana Milanese",
            "Rho",
            "Senago",
            "Settimo Milanese",
            "Solaro",
            "Vanzago",
        ),
    ),
    "nord_milano": (
        "Nord Milano",
        (
            "Bresso",
            "Cinisello Balsamo",
            "Cormano",
            "Cusano Milanino",
            "Paderno Dugnano",
            "Sesto San Giovanni",
        ),
    ),
    "adda_martesana": (
        "Adda Martesana",
        (
            "Basiano",
            "Bellinzago Lombardo",
            "Bussero",
            "Cambiago",
            "Carugate",
            "Cassano d'Adda",
            "Cassina de' Pecchi",
            "Cernusco sul Naviglio",
            "Cologno Monzese",
            "Gessate",
            "Gorgonzola",
            "Grezzago",
            "Inzago",
            "Liscate",
            "Masate",
            "Melzo",
            "Pessano con Bornago",
            "Pioltello",
            "Pozzo d'Adda",
            "Pozzuolo Martesana",
            "Rodano",
            "Segrate",
            "Settala",
            "Trezzano Rosa",
            "Trezzo sull'Adda",
            "Truccazzano",
            "Vaprio d'Adda",
            "Vignate",
            "Vimodrone",
        ),
    ),
    "sud_est": (
        "Sud Est",
        (
            "Carpiano",
            "Cerro al Lambro",
            "Colturano",
            "Dresano",
            "Mediglia",
            "Melegnano",
            "Pantigliate",
            "Paullo",
            "Peschiera Borromeo",
            "San Colombano al Lambro",
            "San Donato Milanese",
            "San Giuliano Milanese",
            "San Zenone al Lambro",
            "Tribiano",
            "Vizzolo Predabissi",
        ),
    ),
    "sud_ovest": (
        "Sud Ovest",
        (
            "Assago",
            "Basiglio",
            "Binasco",
            "Buccinasco",
            "Casarile",
            "Cesano Boscone",
            "Corsico",
            "Cusago",
            "Lacchiarella",
            "Locate Triulzi",
            "Opera",
            "Pieve Emanuele",
            "Rozzano",
            "Trezzano sul Naviglio",
            "Vernate",
            "Zibido San Giacomo",
        ),
    ),
    "magentino_abbiatense": (
        "Magentino Abbiatense",
        (
            "Abbiategrasso",
            "Albairate",
            "Arluno",
            "Bareggio",
            "Besate",
            "Boffalora sopra Ticino",
            "Bubbiano",
            "Calvignasco",
            "Casorezzo",
            "Cassinetta di Lugagnano",
            "Cisliano",
            "Corbetta",
            "Gaggiano",
            "Gudo Visconti",
            "Magenta",
            "Marcallo con Casone",
            "Mesero",
            "Morimondo",
            "Motta Visconti",
            "Noviglio",
            "Ossona",
            "Ozzerò",
            "Robecco sul Naviglio",
            "Rosate",
            "Santo Stefano Ticino",
            "Sedriano",
            "Vermezzo con Zelo",
            "Vittuone",
        ),
    ),
}

ZONE_LABELS: dict[str, str] = {code: name for code, (name, _) in ZONES.items()} | {
    MILANO_ZONE: MILANO
}

# code → (name, member Comuni)
UNIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "uc_basiano_masate": ("Unione di Comuni Basiano e Masate", ("Basiano", "Masate")),
    "uc_adda_martesana": (
        "Unione di Comuni Adda Martesana",
        ("Bellinzago Lombardo", "Liscate", "Pozzuolo Martesana"),
    ),
    "uc_fontanili": (
        "Unione dei Fontanili",
        (
            "Besate",
            "Binasco",
            "Bubbiano",
            "Casarile",
            "Gaggiano",
            "Gudo Visconti",
            "Noviglio",
            "Rosate",
            "Vermezzo con Zelo",
        ),
    ),
}


def comuni() -> list[tuple[str, str]]:
    """Every Comune as (name, zone code), Milano first."""
    rows = [(MILANO, MILANO_ZONE)]
    for code, (_, names) in ZONES.items():
        rows.extend((name, code) for name in names)
    return rows
