"""The themes a contribution can touch: the plan's Missioni (of the PNRR, to which the plan relates
its objectives) and its ten Driver (PSTTM 2025-2027, chapter 4 "Agenda strategica")."""

from __future__ import annotations

THEMES: dict[str, str] = {
    "M1": "Missione 1 · Digitalizzazione, innovazione, competitività, cultura e turismo",
    "M2": "Missione 2 · Rivoluzione verde e transizione ecologica",
    "M3": "Missione 3 · Infrastrutture per una mobilità sostenibile",
    "M4": "Missione 4 · Istruzione e ricerca",
    "M5": "Missione 5 · Inclusione e coesione",
    "M6": "Missione 6 · Salute",
    "D1": "Driver 1 · Campus metropolitano smart",
    "D2": "Driver 2 · Politiche verdi e blu",
    "D3": "Driver 3 · Sustain-ability",
    "D4": "Driver 4 · Metabolismo circolare metropolitano",
    "D5": "Driver 5 · Il diritto alla mobilità",
    "D6": "Driver 6 · Tra produzione e logistica",
    "D7": "Driver 7 · Scuole avamposto di comunità",
    "D8": "Driver 8 · Il lavoro al lavoro",
    "D9": "Driver 9 · Ri-generation housing",
    "D10": "Driver 10 · Sistema salute territorio",
}
