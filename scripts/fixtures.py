#!/usr/bin/env python3
"""Generates Floe's test fixtures and oracle values into a directory (default: target/fixtures).

Oracles come from pyarrow and shapely, independent of Floe's own decoder:
- oracle_geoparquet.json: for every file in ../shared/data/geoparquet, the rows, the drawable points
  (lon/lat, polygons at their bbox centre) and the values of the numeric columns at sampled rows.
- covering.parquet: 20 row groups of WKB points sorted west→east with a bbox covering column (pruning), and
  covering_aoi.geojson, a triangle over part of them.
- hive/: year=/month= partitioned plain lon/lat Parquet (partition pruning).
- codec_{snappy,gzip,lz4,brotli,zstd}.parquet: the same 5000 points in each compression users meet, with a
  large string column a reader that only draws points must not fetch (lazy local reads in the browser).
- nulls.parquet: null geometries and NaN coordinates (must be skipped and counted).
- bad/: a truncated file, a non-Parquet file, a file with no geometry, a projected CRS.
- mistakes/: what new users hand Floe (issue 10): the GeoParquet spec's linestring, multipoint and polygon
  examples (written by geopandas, with and without a covering) and their geopandas total_bounds
  (shapes_oracle.json); points with an undeclared `bbox` struct; a file with two columns named `bbox`; an empty
  file, a text file named .h5, a directory of HDF5 files, a GEDI-like, an ATL10-like and a plain HDF5 file.
- polar/: four points on the 80th parallel around each pole, 90° of longitude apart, each with its own value
  (`north.parquet`, `south.parquet`), and their EPSG:3413/3031 coordinates from pyproj (`polar_oracle.json`);
  `pole_grid.parquet`, 720 points from 80°N to 89.5°N every 0.5° and every 10° of longitude; `greenland.parquet`,
  points inside Greenland's coastline (the embedded one), and that coastline in EPSG:3413 metres by pyproj
  (`greenland_3413.json`).
- profile/: one pass (rgt 7, cycle 3) northwards along 45°W from 70°N: `photons.parquet`, 1000 points 10 m apart on
  gt1l from x_atc = 1,000,000 m with heights in a triangle (100 m up to 200 m and back), 1000 flat ones at 0 m on
  gt2l; `segments.parquet`, gt1l every 500 m, 10 m above the photons' triangle.
"""
import json
import math
import os
import struct
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import shapely

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "geoparquet"


def wkb_point(x, y):
    return struct.pack("<BIdd", 1, 1, x, y)


def geo_metadata(columns_extra=None, version="1.1.0", crs=None):
    column = {"encoding": "WKB", "geometry_types": ["Point"]}
    if crs is not None:
        column["crs"] = crs
    column.update(columns_extra or {})
    return json.dumps({"version": version, "primary_column": "geometry", "columns": {"geometry": column}})


def write_atomic(table, path, **kwargs):
    tmp = str(path) + ".tmp"
    pq.write_table(table, tmp, **kwargs)
    os.replace(tmp, path)


def lonlat_columns(table):
    names = {n.lower(): n for n in table.column_names}
    for lon, lat in [("longitude", "latitude"), ("lon", "lat"), ("lon_ph", "lat_ph"), ("x", "y")]:
        if lon in names and lat in names:
            return names[lon], names[lat]
    raise ValueError("no geometry")


def drawable_points(table, geo):
    """(lon, lat) or None per row, as Floe must decode them."""
    if geo is None:
        lon, lat = lonlat_columns(table)
        xs, ys = table[lon].to_pylist(), table[lat].to_pylist()
        return [(x, y) if x is not None and y is not None else None for x, y in zip(xs, ys)]
    primary = geo["primary_column"]
    encoding = geo["columns"][primary]["encoding"].lower()
    column = table[primary].to_pylist()
    out = []
    for value in column:
        if value is None:
            out.append(None)
        elif encoding == "wkb":
            g = shapely.from_wkb(value)
            if g.is_empty:
                out.append(None)
            elif g.geom_type == "Point":
                out.append((g.x, g.y))
            else:
                minx, miny, maxx, maxy = g.bounds
                out.append(((minx + maxx) / 2, (miny + maxy) / 2))
        else:
            out.append((value["x"], value["y"]))
    return [p if p is not None and not (math.isnan(p[0]) or math.isnan(p[1])) else None for p in out]


def oracle_geoparquet(out):
    files = {}
    for path in sorted(SHARED.glob("*parquet")):
        table = pq.read_table(path)
        meta = pq.read_metadata(path).metadata or {}
        geo = json.loads(meta[b"geo"]) if b"geo" in meta else None
        points = drawable_points(table, geo)
        valid = [i for i, p in enumerate(points) if p is not None]
        sample = sorted(set(valid[:3] + valid[-3:] + valid[:: max(1, len(valid) // 5)]))
        skip = set()
        if geo:
            primary = geo["primary_column"]
            skip.add(primary)
            for cov in geo["columns"][primary].get("covering", {}).values():
                skip.update(p[0] for p in cov.values())
        else:
            skip.update(lonlat_columns(table))
        numeric = [
            f.name
            for f in table.schema
            if f.name not in skip
            and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))
        ]
        values = {}
        for name in numeric:
            column = table[name].to_pylist()
            values[name] = [None if column[i] is None or (isinstance(column[i], float) and math.isnan(column[i])) else float(column[i]) for i in sample]
        xs = [p[0] for p in points if p]
        ys = [p[1] for p in points if p]
        files[path.name] = {
            "rows": table.num_rows,
            "points": len(valid),
            "sample_rows": sample,
            "sample_index": [valid.index(i) for i in sample],
            "lon": [points[i][0] for i in sample],
            "lat": [points[i][1] for i in sample],
            "values": values,
            "bbox": [min(xs), min(ys), max(xs), max(ys)] if xs else None,
        }
    (out / "oracle_geoparquet.json").write_text(json.dumps(files, indent=1))


def covering(out):
    n_groups, per_group = 20, 1000
    xs, ys = [], []
    for g in range(n_groups):
        for i in range(per_group):
            xs.append(-180 + 18 * g + 18 * i / per_group)
            ys.append(-60 + 120 * ((i * 7919) % per_group) / per_group)
    geometry = pa.array([wkb_point(x, y) for x, y in zip(xs, ys)], pa.binary())
    bbox = pa.StructArray.from_arrays([pa.array(xs), pa.array(ys), pa.array(xs), pa.array(ys)], names=["xmin", "ymin", "xmax", "ymax"])
    value = pa.array([float(i) for i in range(len(xs))], pa.float32())
    table = pa.table({"value": value, "geometry": geometry, "bbox": bbox})
    cover = {"bbox": {k: ["bbox", k] for k in ["xmin", "ymin", "xmax", "ymax"]}}
    table = table.replace_schema_metadata({"geo": geo_metadata({"covering": cover, "bbox": [min(xs), min(ys), max(xs), max(ys)]})})
    write_atomic(table, out / "covering.parquet", row_group_size=per_group, compression="snappy")
    # A triangle over part of them: the AOI of the browser's AOI and export test.
    aoi = {"type": "Polygon", "coordinates": [[[-100, -30], [-20, -30], [-60, 30], [-100, -30]]]}
    (out / "covering_aoi.geojson").write_text(json.dumps(aoi))
    # The same points without a covering column or usable stats: a full scan.
    plain = pa.table({"value": value, "geometry": geometry}).replace_schema_metadata({"geo": geo_metadata()})
    write_atomic(plain, out / "no_covering.parquet", row_group_size=per_group, compression="snappy", write_statistics=False)


CODECS = ["snappy", "gzip", "lz4", "brotli", "zstd"]
CODEC_ROWS = 5000


def codecs(out):
    xs = [-120.0 + 40.0 * i / CODEC_ROWS for i in range(CODEC_ROWS)]
    ys = [30.0 + 20.0 * ((i * 7919) % CODEC_ROWS) / CODEC_ROWS for i in range(CODEC_ROWS)]
    # Incompressible text: random letters from a fixed linear congruential sequence.
    state, notes = 12345, []
    for _ in range(CODEC_ROWS):
        chars = []
        for _ in range(400):
            state = (state * 1103515245 + 12345) % 2**31
            chars.append(chr(97 + state % 26))
        notes.append("".join(chars))
    table = pa.table({
        "height": pa.array([0.5 * i for i in range(CODEC_ROWS)], pa.float64()),
        "geometry": pa.array([wkb_point(x, y) for x, y in zip(xs, ys)], pa.binary()),
        "notes": pa.array(notes),
    }).replace_schema_metadata({"geo": geo_metadata()})
    for codec in CODECS:
        write_atomic(table, out / f"codec_{codec}.parquet", row_group_size=1000, compression=codec)


def hive(out):
    root = out / "hive"
    for year in (2020, 2021, 2022):
        for month in (10, 11, 12):
            part = root / f"year={year}" / f"month={month}"
            part.mkdir(parents=True, exist_ok=True)
            n = 10 + month  # rows per part identify the month
            table = pa.table({
                "lon": pa.array([-45.0 + 0.01 * i for i in range(n)]),
                "lat": pa.array([62.5 + 0.001 * (year - 2020) for _ in range(n)]),
                "h_li": pa.array([float(year * 100 + month)] * n, pa.float32()),
            })
            write_atomic(table, part / "part-0.parquet")
    (root / "_SUCCESS").write_text("")


def nulls(out):
    values = [wkb_point(1.0, 2.0), None, wkb_point(float("nan"), float("nan")), wkb_point(3.0, 4.0), wkb_point(float("nan"), 5.0)]
    table = pa.table({"geometry": pa.array(values, pa.binary()), "v": pa.array([1.0, 2.0, 3.0, 4.0, 5.0])})
    write_atomic(table.replace_schema_metadata({"geo": geo_metadata()}), out / "nulls.parquet")


def bad(out):
    bad = out / "bad"
    bad.mkdir(exist_ok=True)
    good = (SHARED / "natural-earth_cities_geo.parquet").read_bytes()
    (bad / "truncated.parquet").write_bytes(good[: len(good) // 2])
    (bad / "not_parquet.parquet").write_text("id,lon,lat\n1,2,3\n")
    table = pa.table({"a": pa.array([1, 2]), "name": pa.array(["x", "y"])})
    write_atomic(table, bad / "no_geometry.parquet")
    utm = {"type": "ProjectedCRS", "name": "WGS 84 / UTM zone 33N", "id": {"authority": "EPSG", "code": 32633}}
    points = pa.table({"geometry": pa.array([wkb_point(500000.0, 4649776.0)], pa.binary())})
    write_atomic(points.replace_schema_metadata({"geo": geo_metadata(crs=utm)}), bad / "projected.parquet")


def mistakes(out):
    import geopandas
    import h5py
    import numpy as np

    root = out / "mistakes"
    root.mkdir(exist_ok=True)
    # The examples of the GeoParquet specification's test data (geoparquet/test_data/generate_test_data.py).
    shapes = {
        "linestring": ["LINESTRING (30 10, 10 30, 40 40)", "LINESTRING EMPTY", None],
        "multipoint": ["MULTIPOINT ((30 10))", "MULTIPOINT ((10 40), (40 30), (20 20), (30 10))", "MULTIPOINT EMPTY", None],
        "polygon": [
            "POLYGON ((30 10, 40 40, 20 40, 10 20, 30 10))",
            "POLYGON ((35 10, 45 45, 15 40, 10 20, 35 10), (20 30, 35 35, 30 20, 20 30))",
            "POLYGON EMPTY",
            None,
        ],
    }
    oracle = {}
    for name, wkts in shapes.items():
        geometry = geopandas.GeoSeries.from_wkt(wkts, crs="OGC:CRS84")
        frame = geopandas.GeoDataFrame({"value": np.arange(len(wkts), dtype="float64")}, geometry=geometry)
        for suffix, covering in [("", False), ("_covering", True)]:
            path = root / f"{name}{suffix}.parquet"
            frame.to_parquet(str(path) + ".tmp", write_covering_bbox=covering, schema_version="1.1.0")
            os.replace(str(path) + ".tmp", path)
        oracle[name] = [float(v) for v in frame.total_bounds]
    (root / "shapes_oracle.json").write_text(json.dumps(oracle, indent=1))

    # Points with a `bbox` struct the metadata does not declare as its covering (as older Overture releases).
    xs, ys = [10.0, 11.0, 12.0], [50.0, 51.0, 52.0]
    bbox = pa.StructArray.from_arrays([pa.array(xs), pa.array(ys), pa.array(xs), pa.array(ys)], ["xmin", "ymin", "xmax", "ymax"])
    table = pa.table({"geometry": pa.array([wkb_point(x, y) for x, y in zip(xs, ys)], pa.binary()), "bbox": bbox, "h": pa.array([1.0, 2.0, 3.0])})
    write_atomic(table.replace_schema_metadata({"geo": geo_metadata()}), root / "undeclared_bbox.parquet")
    # Two columns named `bbox`: the file `floe subset` used to write for such inputs.
    doubled = pa.Table.from_arrays([pa.array([wkb_point(x, y) for x, y in zip(xs, ys)], pa.binary()), bbox, bbox], names=["geometry", "bbox", "bbox"])
    write_atomic(doubled.replace_schema_metadata({"geo": geo_metadata()}), root / "duplicate_columns.parquet")

    (root / "empty.h5").write_bytes(b"")
    (root / "text.h5").write_text("lon,lat,h\n-45.1,70.2,1200.5\n")
    granules = root / "granules"
    granules.mkdir(exist_ok=True)

    def hdf5(path, **root_attrs):
        with h5py.File(str(path) + ".tmp", "w") as f:
            for key, value in root_attrs.items():
                f.attrs[key] = np.bytes_(value)
            f.create_dataset("data/values", data=np.arange(4.0))
        os.replace(str(path) + ".tmp", path)

    hdf5(root / "atl10.h5", short_name="ATL10")
    hdf5(root / "plain.h5")
    with h5py.File(str(root / "gedi.h5") + ".tmp", "w") as f:
        f.create_group("METADATA/DatasetIdentification").attrs["shortName"] = np.bytes_("GEDI_L4A")
        f.create_dataset("BEAM0000/agbd", data=np.arange(4.0))
    os.replace(str(root / "gedi.h5") + ".tmp", root / "gedi.h5")
    for i in range(2):
        hdf5(granules / f"granule_{i}.h5", short_name="ATL06")


def polar(out):
    from pyproj import Transformer

    folder = out / "polar"
    folder.mkdir(exist_ok=True)
    oracle = {}
    for name, epsg, points in (
        ("north", 3413, [(-45.0, 80.0), (45.0, 80.0), (135.0, 80.0), (-135.0, 80.0)]),
        ("south", 3031, [(0.0, -80.0), (90.0, -80.0), (180.0, -80.0), (-90.0, -80.0)]),
    ):
        lon = [p[0] for p in points]
        lat = [p[1] for p in points]
        value = [float(i) for i in range(len(points))]
        table = pa.table({"longitude": lon, "latitude": lat, "value": pa.array(value, pa.float32())})
        write_atomic(table, folder / f"{name}.parquet")
        to_polar = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
        oracle[name] = [list(to_polar.transform(x, y)) + [v] for x, y, v in zip(lon, lat, value)]
    (folder / "polar_oracle.json").write_text(json.dumps(oracle))
    # A grid around the North Pole, for AOIs drawn around it.
    grid = [(lon * 10.0 - 180.0, 80.0 + lat * 0.5) for lat in range(20) for lon in range(36)]
    table = pa.table({"longitude": [p[0] for p in grid], "latitude": [p[1] for p in grid],
                      "value": pa.array([p[1] for p in grid], pa.float32())})
    write_atomic(table, folder / "pole_grid.parquet")
    # Greenland: the embedded coastline's ring around (42°W, 72°N), projected by PROJ; points every 1° × 0.5°
    # at least 0.5° inside it (shapely), so that drawn dots lie wholly inside the projected ring.
    blob = (ROOT / "assets" / "coastline_110m.bin").read_bytes()
    (count,), offset = struct.unpack_from("<I", blob, 0), 4
    greenland = None
    for _ in range(count):
        (n,) = struct.unpack_from("<I", blob, offset)
        offset += 4
        values = struct.unpack_from(f"<{2 * n}f", blob, offset)
        offset += 8 * n
        ring = list(zip(values[0::2], values[1::2]))
        if len(ring) > 3 and ring[0] == ring[-1] and shapely.Polygon(ring).contains(shapely.Point(-42, 72)):
            greenland = shapely.Polygon(ring)
    inner = greenland.buffer(-0.5)
    points = [(lon + 0.5, lat + 0.25) for lon in range(-74, -11) for lat in [60 + 0.5 * i for i in range(48)]
              if inner.contains(shapely.Point(lon + 0.5, lat + 0.25))]
    table = pa.table({"longitude": [p[0] for p in points], "latitude": [p[1] for p in points],
                      "value": pa.array([p[1] for p in points], pa.float32())})
    write_atomic(table, folder / "greenland.parquet")
    to_3413 = Transformer.from_crs("EPSG:4326", "EPSG:3413", always_xy=True)
    ring_m = [list(to_3413.transform(x, y)) for x, y in greenland.exterior.coords]
    (folder / "greenland_3413.json").write_text(json.dumps({"points": len(points), "ring": ring_m}))


def triangle(i):
    return 100.0 + 0.2 * (i if i < 500 else 1000 - i)


def profile(out):
    folder = out / "profile"
    folder.mkdir(exist_ok=True)
    x0 = 1_000_000.0

    def table(rows):
        return pa.table({
            "longitude": [-45.0 + (0.01 if r[0] == "gt2l" else 0.0) for r in rows],
            "latitude": [70.0 + (r[1] - x0) / 111_000.0 for r in rows],
            "gt": [r[0] for r in rows],
            "rgt": pa.array([7] * len(rows), pa.int32()),
            "cycle": pa.array([3] * len(rows), pa.int8()),
            "x_atc": [r[1] for r in rows],
        })

    photons = [("gt1l", x0 + 10.0 * i, triangle(i)) for i in range(1000)]
    photons += [("gt2l", x0 + 10.0 * i, 0.0) for i in range(1000)]
    t = table(photons).append_column("h_ph", pa.array([p[2] for p in photons], pa.float32()))
    write_atomic(t, folder / "photons.parquet", row_group_size=700)
    segments = [("gt1l", x0 + 500.0 * i, triangle(50 * i) + 10.0) for i in range(20)]
    t = table(segments).append_column("h_li", pa.array([p[2] for p in segments], pa.float32()))
    write_atomic(t, folder / "segments.parquet")


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    oracle_geoparquet(out)
    covering(out)
    codecs(out)
    hive(out)
    nulls(out)
    bad(out)
    mistakes(out)
    polar(out)
    profile(out)
    print(f"fixtures written to {out}")


if __name__ == "__main__":
    main()
