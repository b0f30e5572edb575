"""Reference data carried in the package: the communes and EPCIs of the Yvelines.

Source: @etalab/decoupage-administratif 6.0.0 (MIT, Etalab), derived from the
INSEE Code officiel géographique; see data/ATTRIBUTION.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str
    name: str
    population: int
    epci: str | None  # SIREN of its intercommunality


@dataclass(frozen=True, slots=True)
class Epci:
    siren: str
    name: str
    members: frozenset[str]


@dataclass(frozen=True, slots=True)
class Reference:
    communes: dict[str, Commune]
    epcis: dict[str, Epci]


@cache
def reference() -> Reference:
    raw = json.loads(
        resources.files("vigie").joinpath("data/yvelines-communes.json").read_text("utf-8")
    )
    epcis = {e["code"]: Epci(e["code"], e["nom"], frozenset(e["membres"])) for e in raw["epci"]}
    epci_of = {member: e.siren for e in epcis.values() for member in e.members}
    communes = {
        c["code"]: Commune(
            c["code"], c["nom"], int(c.get("population") or 0), epci_of.get(c["code"])
        )
        for c in raw["communes"]
    }
    return Reference(communes, epcis)
