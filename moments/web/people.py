"""The people a visitor can log in as on the demo page: the adults the agency service seeds.

The browser sees an opaque id (the person's id at the agencies), the name and a masked NRIC; the full NRIC,
which the mock Singpass login needs, stays on the server.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple

from moments.agencies import seed
from moments.privacy import mask_nric


@dataclass(frozen=True)
class DemoPerson:
    id: str
    name: str
    nric: str

    def public(self) -> Dict[str, str]:
        return {"id": self.id, "name": self.name, "nric": mask_nric(self.nric)}


def demo_people() -> Tuple[DemoPerson, ...]:
    """Seeded adults (people with no parents on record), in seed order: families stay together."""
    return tuple(
        DemoPerson(id=seed.person_id(p.nric), name=p.name, nric=p.nric)
        for p in seed.PEOPLE
        if p.mother is None and p.father is None
    )
