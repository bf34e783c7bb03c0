"""Approximate location of a Singapore postal code, for "clinics near 560123".

The first two digits of a postal code are its sector; sectors group into the 28 postal districts. We place a
postal code at its district's approximate centre, which is good enough to rank polyclinics by distance (a few
kilometres' precision), without a geocoding service.
"""
from __future__ import annotations

import math
import re

POSTAL_CODE = re.compile(r"^[0-9]{6}$")

# district: (sectors, (latitude, longitude) of its approximate centre, name)
DISTRICTS: dict[int, tuple[tuple[int, ...], tuple[float, float], str]] = {
    1: ((1, 2, 3, 4, 5, 6), (1.2800, 103.8510), "Raffles Place, Marina"),
    2: ((7, 8), (1.2760, 103.8440), "Anson, Tanjong Pagar"),
    3: ((14, 15, 16), (1.2900, 103.8100), "Queenstown, Tiong Bahru"),
    4: ((9, 10), (1.2700, 103.8200), "Telok Blangah, HarbourFront"),
    5: ((11, 12, 13), (1.3000, 103.7700), "Pasir Panjang, Clementi, West Coast"),
    6: ((17,), (1.2930, 103.8520), "High Street, Beach Road"),
    7: ((18, 19), (1.3000, 103.8600), "Middle Road, Golden Mile"),
    8: ((20, 21), (1.3100, 103.8530), "Little India, Farrer Park"),
    9: ((22, 23), (1.3040, 103.8320), "Orchard, River Valley"),
    10: ((24, 25, 26, 27), (1.3150, 103.8000), "Bukit Timah, Holland, Tanglin"),
    11: ((28, 29, 30), (1.3250, 103.8400), "Novena, Thomson"),
    12: ((31, 32, 33), (1.3300, 103.8550), "Balestier, Toa Payoh"),
    13: ((34, 35, 36, 37), (1.3350, 103.8800), "Macpherson, Braddell"),
    14: ((38, 39, 40, 41), (1.3180, 103.8950), "Geylang, Eunos"),
    15: ((42, 43, 44, 45), (1.3050, 103.9050), "Katong, Joo Chiat, Marine Parade"),
    16: ((46, 47, 48), (1.3250, 103.9300), "Bedok, Upper East Coast"),
    17: ((49, 50, 81), (1.3600, 103.9800), "Loyang, Changi"),
    18: ((51, 52), (1.3600, 103.9500), "Tampines, Pasir Ris"),
    19: ((53, 54, 55, 82), (1.3800, 103.8950), "Serangoon Garden, Hougang, Sengkang, Punggol"),
    20: ((56, 57), (1.3600, 103.8450), "Bishan, Ang Mo Kio"),
    21: ((58, 59), (1.3400, 103.7750), "Upper Bukit Timah, Ulu Pandan"),
    22: ((60, 61, 62, 63, 64), (1.3400, 103.7100), "Jurong, Boon Lay"),
    23: ((65, 66, 67, 68), (1.3700, 103.7600), "Bukit Batok, Bukit Panjang, Choa Chu Kang"),
    24: ((69, 70, 71), (1.4100, 103.7100), "Lim Chu Kang, Tengah"),
    25: ((72, 73), (1.4350, 103.7850), "Kranji, Woodlands"),
    26: ((77, 78), (1.3950, 103.8200), "Upper Thomson, Springleaf"),
    27: ((75, 76), (1.4300, 103.8350), "Yishun, Sembawang"),
    28: ((79, 80), (1.3950, 103.8750), "Seletar"),
}
SECTOR_TO_DISTRICT = {sector: d for d, (sectors, _, _) in DISTRICTS.items() for sector in sectors}


def locate(postal_code: str) -> tuple[float, float] | None:
    """(latitude, longitude) of the postal code's district centre, or None if it is not a Singapore postal code."""
    if not POSTAL_CODE.fullmatch(postal_code or ""):
        return None
    district = SECTOR_TO_DISTRICT.get(int(postal_code[:2]))
    return DISTRICTS[district][1] if district else None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))
