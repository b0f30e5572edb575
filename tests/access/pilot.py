"""The pilot inventory the access tests load, and the date they load it at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PILOT = REPO / "inventories" / "pilot"
TODAY = dt.date(2026, 6, 1)
