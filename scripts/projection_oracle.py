#!/usr/bin/env python3
"""Oracle values for Floe's polar stereographic projections, from PROJ (pyproj).

Also writes OUT_DIR/geodesic_oracle.json: the real ATL06 subset's gt1l points in time order and their cumulative
WGS 84 geodesic distance (pyproj.Geod), for io's along-track fallback.
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
    # Along-track distance by geodesics (pyproj.Geod, WGS 84): the real ATL06 subset's gt1l points in time order.
    import h5py
    import json
    from pyproj import Geod
    atl06 = Path(__file__).resolve().parent.parent.parent / "shared/data/hdf5/real/hrt__ATL06_subset_by_shapefile_reference.h5"
    with h5py.File(atl06) as f:
        group = f["gt1l/land_ice_segments"]
        order = group["delta_time"][()].argsort(kind="stable")
        lon = group["longitude"][()][order].astype(float)
        lat = group["latitude"][()][order].astype(float)
    _, _, steps = Geod(ellps="WGS84").inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    cumulative = [0.0]
    for step in steps:
        cumulative.append(cumulative[-1] + float(step))
    (out / "geodesic_oracle.json").write_text(json.dumps({"lon": lon.tolist(), "lat": lat.tolist(), "along": cumulative}))
    print(f"projection oracle: {len(lines)} points written to {out / 'projection_oracle.txt'}")


if __name__ == "__main__":
    main()
