#!/usr/bin/env python3
"""Generates GeoParquet conversions of the real ATL06 subset for `floe qa` tests, into DIR/qa/:
- good.parquet: a correct conversion (every row, fills as nulls, GeoParquet 1.1 with a bbox covering).
- one file per fault, each breaking one thing: missing_geo, wrong_version, wrong_bbox, wrong_types,
  fills_not_nulled, swapped_lonlat, dropped_rows (every 10th row gone; caught against --source).
Times are computed as Floe computes them (GPS epoch + atlas_sdp_gps_epoch + delta_time - 18 leap seconds), with
the same f64 operations, so rows match the source by time exactly. Usage: qa_fixtures.py DIR"""
import json
import math
import os
import struct
import sys
from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
ATL06 = ROOT.parent / "shared" / "data" / "hdf5" / "real" / "hrt__ATL06_subset_by_shapefile_reference.h5"
GPS_EPOCH_UNIX, LEAP_SECONDS = 315964800.0, 18.0


def time_ns(delta, sdp):
    whole = math.floor(delta)
    base = int(GPS_EPOCH_UNIX + round(sdp) - LEAP_SECONDS) + int(whole)
    fraction = sdp - round(sdp)
    return base * 1_000_000_000 + round((delta - whole + fraction) * 1e9)


def rows():
    out = {k: [] for k in ["latitude", "longitude", "time", "h_li", "h_li_sigma", "atl06_quality_summary", "track_id"]}
    with h5py.File(ATL06) as f:
        sdp = float(f["ancillary_data/atlas_sdp_gps_epoch"][0])
        for beam in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]:
            g = f[beam]["land_ice_segments"]
            fill = g["h_li"].attrs["_FillValue"]
            out["latitude"] += g["latitude"][:].tolist()
            out["longitude"] += g["longitude"][:].tolist()
            out["time"] += [time_ns(d, sdp) for d in g["delta_time"][:].tolist()]
            out["h_li"] += [None if v == fill else float(v) for v in g["h_li"][:]]
            out["h_li_sigma"] += [None if v == fill else float(v) for v in g["h_li_sigma"][:]]
            out["atl06_quality_summary"] += g["atl06_quality_summary"][:].tolist()
            out["track_id"] += [beam] * len(g["latitude"])
    return out


def write(path, data, swapped=False, geo_edit=None, with_geo=True, fill_raw=False):
    x, y = data["longitude"], data["latitude"]
    if swapped:
        x, y = y, x
    geometry = pa.array([struct.pack("<BIdd", 1, 1, a, b) for a, b in zip(x, y)], pa.binary())
    bbox = pa.StructArray.from_arrays([pa.array(x), pa.array(y), pa.array(x), pa.array(y)], names=["xmin", "ymin", "xmax", "ymax"])
    h_li = [3.4028234663852886e38 if v is None else v for v in data["h_li"]] if fill_raw else data["h_li"]
    table = pa.table({
        "latitude": pa.array(data["latitude"]), "longitude": pa.array(data["longitude"]),
        "time": pa.array(data["time"], pa.timestamp("ns", tz="UTC")),
        "h_li": pa.array(h_li, pa.float32()), "h_li_sigma": pa.array(data["h_li_sigma"], pa.float32()),
        "atl06_quality_summary": pa.array(data["atl06_quality_summary"], pa.int8()),
        "track_id": pa.array(data["track_id"]), "geometry": geometry, "bbox": bbox,
    })
    geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": {
        "encoding": "WKB", "geometry_types": ["Point"], "bbox": [min(x), min(y), max(x), max(y)],
        "covering": {"bbox": {k: ["bbox", k] for k in ["xmin", "ymin", "xmax", "ymax"]}}}}}
    if geo_edit:
        geo_edit(geo)
    if with_geo:
        table = table.replace_schema_metadata({"geo": json.dumps(geo)})
    tmp = str(path) + ".tmp"
    pq.write_table(table, tmp, compression="zstd", row_group_size=2048)
    os.replace(tmp, path)


def main():
    out = Path(sys.argv[1]) / "qa"
    out.mkdir(parents=True, exist_ok=True)
    data = rows()
    write(out / "good.parquet", data)
    write(out / "missing_geo.parquet", data, with_geo=False)
    write(out / "wrong_version.parquet", data, geo_edit=lambda g: g.update(version="0.4.0"))
    write(out / "wrong_bbox.parquet", data, geo_edit=lambda g: g["columns"]["geometry"].update(bbox=[-16.4, 64.9, -16.3, 65.0]))
    write(out / "wrong_types.parquet", data, geo_edit=lambda g: g["columns"]["geometry"].update(geometry_types=["Polygon"]))
    write(out / "fills_not_nulled.parquet", data, fill_raw=True)
    write(out / "swapped_lonlat.parquet", data, swapped=True)
    dropped = {k: [v for i, v in enumerate(vs) if i % 10 != 3] for k, vs in data.items()}
    write(out / "dropped_rows.parquet", dropped)
    print(f"QA fixtures written to {out} ({len(data['time'])} rows, {len(dropped['time'])} after dropping)")


if __name__ == "__main__":
    main()
