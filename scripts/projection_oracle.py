#!/usr/bin/env python3
"""Oracle values for Floe's polar stereographic projections, from PROJ (pyproj).

Writes OUT_DIR/projection_oracle.txt: one line per point, `PROJECTION LON LAT X Y` with X, Y in EPSG:3413
(projection `north`) or EPSG:3031 (`south`) metres, as PROJ computes them. render/tests/projection.rs checks
Floe's forward and inverse maths against these.
Usage: scripts/projection_oracle.py OUT_DIR
"""
import random
import sys
from pathlib import Path

from pyproj import Transformer


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(3413)
    lines = []
    for name, epsg, sign in (("north", 3413, 1.0), ("south", 3031, -1.0)):
        to_polar = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
        points = [(lon, sign * lat) for lat in (50.0, 60.0, 70.0, 71.0, 80.0, 87.3, 89.9999) for lon in (-180.0, -135.0, -45.0, 0.0, 44.99, 90.0, 179.5)]
        points += [(rng.uniform(-180.0, 180.0), sign * rng.uniform(55.0, 89.99)) for _ in range(200)]
        for lon, lat in points:
            x, y = to_polar.transform(lon, lat)
            lines.append(f"{name} {lon!r} {lat!r} {x!r} {y!r}")
    (out / "projection_oracle.txt").write_text("\n".join(lines) + "\n")
    print(f"projection oracle: {len(lines)} points written to {out / 'projection_oracle.txt'}")


if __name__ == "__main__":
    main()
