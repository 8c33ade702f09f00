#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (fuzz/README.md): small real files from ../shared/data and the generated
fixtures (HDF5, GeoParquet), and hand-made WKB, GeoJSON AOIs and kerchunk references. libFuzzer mutates these;
`cargo fuzz cmin` then keeps the few that cover what the fuzzing found (fuzz/corpus/, committed).

Usage: fuzz_seeds.py OUT_DIR FIXTURES_DIR"""

import json
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
MAX_SEED = 24 * 1024  # larger files slow every execution down and teach little more


def small(paths):
    return [p for p in paths if p.is_file() and p.stat().st_size <= MAX_SEED]


def wkb_seeds():
    def point(x, y, order="<"):
        return struct.pack(order + "bIdd", 1 if order == "<" else 0, 1, x, y)
    line = struct.pack("<bII", 1, 2, 3) + struct.pack("<6d", 0, 0, 1, 1, 2, 0)
    ring = struct.pack("<I", 4) + struct.pack("<8d", 0, 0, 1, 0, 1, 1, 0, 0)
    polygon = struct.pack("<bII", 1, 3, 1) + ring
    multipoint = struct.pack("<bII", 1, 4, 2) + point(1, 2) + point(3, 4)
    collection = struct.pack("<bII", 1, 7, 2) + point(5, 6) + line
    point_z = struct.pack("<bIddd", 1, 1001, 1, 2, 3)
    point_zm = struct.pack("<bIdddd", 1, 3001, 1, 2, 3, 4)
    ewkb_srid = struct.pack("<bIIdd", 1, 0x20000001, 4326, -45.0, 72.0)
    empty = struct.pack("<bIdd", 1, 1, float("nan"), float("nan"))
    return {"point": point(-45.5, 72.25), "point_be": point(120.0, -80.0, ">"), "line": line, "polygon": polygon,
            "multipoint": multipoint, "collection": collection, "point_z": point_z, "point_zm": point_zm,
            "ewkb_srid": ewkb_srid, "empty": empty}


def geojson_seeds():
    square = [[[-50, 70], [-40, 70], [-40, 75], [-50, 75], [-50, 70]]]
    polar = [[[0, -80], [90, -80], [180, -80], [-90, -80], [0, -80]]]
    return {
        "polygon": {"type": "Polygon", "coordinates": square},
        "multipolygon": {"type": "MultiPolygon", "coordinates": [square, polar]},
        "feature": {"type": "Feature", "properties": {"name": "a"}, "geometry": {"type": "Polygon", "coordinates": square}},
        "collection": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": square}}]},
        "geometries": {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "coordinates": polar}]},
        "crs": {"type": "Polygon", "coordinates": square,
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}},
    }


def kerchunk_seeds():
    zarray = {"chunks": [4], "compressor": None, "dtype": "<f8", "fill_value": None, "filters": None,
              "order": "C", "shape": [8], "zarr_format": 2}
    refs = {
        ".zgroup": json.dumps({"zarr_format": 2}),
        ".zattrs": json.dumps({"short_name": "ATL06"}),
        "gt1l/.zgroup": json.dumps({"zarr_format": 2}),
        "gt1l/land_ice_segments/latitude/.zarray": json.dumps(zarray),
        "gt1l/land_ice_segments/latitude/.zattrs": json.dumps({"_ARRAY_DIMENSIONS": ["x"], "units": "degrees"}),
        "gt1l/land_ice_segments/latitude/0": ["granule.h5", 4096, 32],
        "gt1l/land_ice_segments/latitude/1": "base64:" + "AAAAAAAA8D8=" * 4,
    }
    return {"v1": {"version": 1, "refs": refs}, "v0": refs}


def main():
    out, fixtures = Path(sys.argv[1]), Path(sys.argv[2])
    hdf5 = small(sorted(SHARED.joinpath("hdf5").rglob("*.h*5")) + sorted(fixtures.rglob("*.h5")))
    parquet = small(sorted(SHARED.joinpath("geoparquet").glob("*.parquet")) + sorted(fixtures.rglob("*.parquet")))
    fgb = small(sorted(fixtures.rglob("*.fgb")))
    corpora = {
        "hdf5": {p.name: p.read_bytes() for p in hdf5},
        "point_file": {p.name: p.read_bytes() for p in hdf5[:12] + parquet + fgb},
        "wkb": wkb_seeds(),
        "geojson_aoi": {k: json.dumps(v).encode() for k, v in geojson_seeds().items()},
        "kerchunk": {k: json.dumps(v).encode() for k, v in kerchunk_seeds().items()},
    }
    for target, seeds in corpora.items():
        directory = out / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (directory / name).write_bytes(data)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
