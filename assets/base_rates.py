"""The phase-success table shipped as data (assets/data/base_rates.json) and the lookup that maps a trial's phase
and indication to one of its rows, for the base-rate reference forecaster (docs/questions.md, "Base rates").

Lookup order: the most specific area first (haematologic cancers -> oncology -> all indications; solid tumours ->
oncology -> all indications; any other area -> all indications), and within an area the newest report with an
entered figure. A Phase 2/3 trial reads the Phase III row (its decisive part is the Phase III comparison); a Phase
1/2 trial the Phase II row; Phase 4 and unknown phases have no base rate.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assets.models import TherapeuticArea, Trial

DATA_FILE = Path(__file__).resolve().parent / "data" / "base_rates.json"

PHASE_ROW = {
    Trial.Phase.PHASE1: "1", Trial.Phase.PHASE1_2: "2", Trial.Phase.PHASE2: "2", Trial.Phase.PHASE2_3: "3",
    Trial.Phase.PHASE3: "3",
}
PHASE_WORDS = {"1": "Phase I", "2": "Phase II", "3": "Phase III"}
AREA_FALLBACK = {
    TherapeuticArea.HEMATOLOGIC_CANCER: [TherapeuticArea.HEMATOLOGIC_CANCER, TherapeuticArea.ONCOLOGY, ""],
    TherapeuticArea.SOLID_TUMOR: [TherapeuticArea.SOLID_TUMOR, TherapeuticArea.ONCOLOGY, ""],
}
AREA_WORDS = {"": "all indications", **{a.value: a.label.lower() for a in TherapeuticArea}}


@dataclass(frozen=True)
class BaseRate:
    """One row of the table as the lookup chose it. ``fallback`` says why a less specific row was used."""

    rate: float
    phase: str
    area: str
    source_id: str
    source_name: str
    publisher: str
    period: str
    year: int
    url: str
    location: str
    fallback: str = ""

    @property
    def label(self) -> str:
        """"Phase III haematologic cancers, BIO, Biomedtracker and Amplion 2006-2015 (...)": what the page says."""
        return (f"{PHASE_WORDS[self.phase]} {AREA_WORDS[self.area]}, {self.publisher}, "
                f"\u201c{self.source_name}\u201d ({self.location})")

    def as_citation(self) -> dict:
        return {
            "rate": self.rate, "phase": self.phase, "area": self.area, "source": self.source_id,
            "source_name": self.source_name, "publisher": self.publisher, "period": self.period, "year": self.year,
            "url": self.url, "location": self.location, "fallback": self.fallback,
        }


class TableError(ValueError):
    """The shipped table breaks its own rules (tests load it; a bad edit fails them)."""


@lru_cache(maxsize=1)
def base_rate_table() -> tuple[dict, list[dict]]:
    """(sources, rows) of the shipped table, checked: every row names a known source, a phase 1-3, a known area
    (or "" for all indications) and a rate in (0, 1) or null; (source, phase, area) is unique."""
    data = json.loads(DATA_FILE.read_text())
    sources, rows = data["sources"], data["rows"]
    seen = set()
    for i, row in enumerate(rows):
        where = f"base_rates.json rows[{i}]"
        if row.get("source") not in sources:
            raise TableError(f"{where}: unknown source {row.get('source')!r}")
        if row.get("phase") not in PHASE_WORDS:
            raise TableError(f"{where}: phase must be 1, 2 or 3")
        if row.get("area") not in AREA_WORDS:
            raise TableError(f"{where}: unknown area {row.get('area')!r}")
        rate = row.get("rate")
        if rate is not None and not (isinstance(rate, float) and 0 < rate < 1):
            raise TableError(f"{where}: rate must be a fraction strictly between 0 and 1, or null")
        if not row.get("location"):
            raise TableError(f"{where}: say where in the report the figure is (location)")
        key = (row["source"], row["phase"], row["area"])
        if key in seen:
            raise TableError(f"{where}: duplicate row {key}")
        seen.add(key)
    for key, source in sources.items():
        for name in ("name", "publisher", "year", "period", "url"):
            if not source.get(name):
                raise TableError(f"base_rates.json sources[{key}]: {name} is required")
    return sources, rows


def base_rate_lookup(*, phase: str, area: str) -> BaseRate | None:
    """The phase-success rate for a trial phase (``Trial.Phase`` value) and therapeutic area (``TherapeuticArea``
    value or ""), or None (Phase 4, unknown phase, or no entered figure)."""
    row_phase = PHASE_ROW.get(phase)
    if row_phase is None:
        return None
    sources, rows = base_rate_table()
    areas = AREA_FALLBACK.get(area, [area, ""] if area else [""])
    for position, wanted in enumerate(areas):
        candidates = [r for r in rows if r["phase"] == row_phase and r["area"] == wanted and r["rate"] is not None]
        if not candidates:
            continue
        row = max(candidates, key=lambda r: sources[r["source"]]["year"])
        source = sources[row["source"]]
        fallback = ""
        if position > 0:
            fallback = (f"no entered figure for {AREA_WORDS[area]}; the {AREA_WORDS[wanted]} rate is used")
        elif not area:
            fallback = "the indication has no therapeutic area; the all-indications rate is used"
        if row_phase == "3" and phase == Trial.Phase.PHASE2_3:
            fallback = "; ".join(filter(None, [fallback, "a Phase 2/3 trial reads the Phase III row"]))
        if row_phase == "2" and phase == Trial.Phase.PHASE1_2:
            fallback = "; ".join(filter(None, [fallback, "a Phase 1/2 trial reads the Phase II row"]))
        return BaseRate(
            rate=row["rate"], phase=row_phase, area=wanted, source_id=row["source"], source_name=source["name"],
            publisher=source["publisher"], period=source["period"], year=source["year"], url=source["url"],
            location=row["location"], fallback=fallback,
        )
    return None


def trial_base_rate(trial: Trial) -> BaseRate | None:
    """``base_rate_lookup`` for a trial (its phase and its indication's therapeutic area)."""
    area = trial.indication.therapeutic_area if trial.indication_id else ""
    return base_rate_lookup(phase=trial.phase, area=area)
