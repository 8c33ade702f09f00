#!/usr/bin/env python3
"""Checks `floe subset` against an independent computation: h5py reads the real ATL06 subset, shapely picks the
rows inside a polygon with a hole; the output read back with pyarrow and geopandas must hold exactly those rows
(per track, in time order) with the same values, fills as nulls, and valid GeoParquet 1.1 metadata. The real
ATL03 subset cut by --bbox and the real ATL08 subset taken whole get the same row and value comparison with their
own default columns.
Usage: subset_check.py FLOE_BINARY WORKDIR. Prints 'N passed, N failed'."""
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "hdf5" / "real"
ATL06 = REAL / "hrt__ATL06_subset_by_shapefile_reference.h5"
ATL03 = REAL / "hts__ATL03_gt1l.h5"
ATL08 = REAL / "icesat2vegr__atl08_clip.h5"
# A pentagon across all six tracks with a hole in it (lon/lat, CRS84).
OUTER = [[-16.60, 64.85], [-16.30, 64.86], [-16.28, 64.95], [-16.45, 64.98], [-16.62, 64.93], [-16.60, 64.85]]
HOLE = [[-16.48, 64.89], [-16.40, 64.89], [-16.40, 64.91], [-16.48, 64.91], [-16.48, 64.89]]
COLUMNS = ["latitude", "longitude", "time", "h_li", "h_li_sigma", "atl06_quality_summary", "x_atc", "track_id",
           "rgt", "cycle", "spot", "beam_strength"]
# Output column → path below land_ice_segments, for the values compared with h5py.
ATL06_VALUES = {"h_li": "h_li", "h_li_sigma": "h_li_sigma", "atl06_quality_summary": "atl06_quality_summary",
                "x_atc": "ground_track/x_atc"}

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")


def expected_rows():
    polygon = shapely.Polygon(OUTER, [HOLE])
    out = {}
    with h5py.File(ATL06) as f:
        for beam in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]:
            group = f[beam]["land_ice_segments"]
            lon, lat = group["longitude"][:], group["latitude"][:]
            inside = shapely.contains_xy(polygon, lon, lat)
            values = {}
            for name, path in ATL06_VALUES.items():
                data = group[path][:][inside].astype(np.float64)
                fill = group[path].attrs.get("_FillValue")
                values[name] = [None if fill is not None and v == fill else v for v in data]
            delta = group["delta_time"][:][inside]
            order = np.argsort(delta, kind="stable")
            out[beam] = {"latitude": lat[inside][order], "longitude": lon[inside][order],
                         **{k: [v[i] for i in order] for k, v in values.items()}}
    return out


def main():
    floe, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    aoi = work / "iceland_aoi.geojson"
    aoi.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [OUTER, HOLE]}}]}))
    out = work / "atl06_subset.parquet"
    run = subprocess.run([floe, "subset", str(ATL06), "--aoi", str(aoi), "--out", str(out), "--force"], capture_output=True, text=True)
    check("floe subset exits 0", run.returncode == 0, run.stderr.strip()[-300:])
    print(run.stdout.strip())
    if run.returncode != 0:
        return
    expected = expected_rows()
    table = pq.read_table(out)
    check("columns", table.column_names == COLUMNS + ["geometry", "bbox"], str(table.column_names))
    tracks = table["track_id"].to_pylist()
    for beam, want in expected.items():
        rows = [i for i, t in enumerate(tracks) if t == beam]
        got_lat = np.array(table["latitude"].to_pylist(), dtype=float)[rows]
        ok = len(rows) == len(want["latitude"]) and np.array_equal(got_lat, want["latitude"])
        check(f"{beam}: {len(want['latitude'])} rows inside the polygon, same latitudes in time order", ok, f"got {len(rows)}")
        for name in ATL06_VALUES:
            got = [table[name][i].as_py() for i in rows]
            same = len(got) == len(want[name]) and all(
                (a is None and b is None) or (a is not None and b is not None and float(a) == float(b))
                for a, b in zip(got, want[name]))
            nulls = sum(v is None for v in want[name])
            check(f"{beam}: {name} values ({nulls} fills as nulls)", same)
    check("rows ordered by track", tracks == sorted(tracks))
    metadata = pq.read_metadata(out)
    geo = json.loads(metadata.metadata[b"geo"])
    column = geo["columns"]["geometry"]
    lon, lat = np.array(table["longitude"].to_pylist()), np.array(table["latitude"].to_pylist())
    check("geo metadata: 1.1.0, WKB, Point, covering",
          geo["version"] == "1.1.0" and column["encoding"] == "WKB" and column["geometry_types"] == ["Point"]
          and column["covering"]["bbox"]["xmin"] == ["bbox", "xmin"])
    check("geo bbox = data bounds", column["bbox"] == [lon.min(), lat.min(), lon.max(), lat.max()], str(column["bbox"]))
    check("zstd", all(metadata.row_group(0).column(i).compression == "ZSTD" for i in range(metadata.num_columns)))
    import geopandas
    frame = geopandas.read_parquet(out)
    check("geopandas: CRS is OGC:CRS84", frame.crs is not None and frame.crs.to_string() == "OGC:CRS84", str(frame.crs))
    check("geopandas: geometry = (longitude, latitude)",
          np.array_equal(frame.geometry.x.to_numpy(), lon) and np.array_equal(frame.geometry.y.to_numpy(), lat))
    check("geopandas: h_li as pyarrow has it", frame["h_li"].isna().sum() == table["h_li"].null_count)
    # Readers that look only at the embedded Arrow schema (pyarrow tables handed to geoarrow/lonboard) see `geo` too.
    schema_geo = (table.schema.metadata or {}).get(b"geo")
    check("pyarrow: the table's schema carries the same geo metadata",
          schema_geo is not None and json.loads(schema_geo) == geo, str(table.schema.metadata)[:200])
    validator = subprocess.run(["geoparquet-validator", "check", str(out)], capture_output=True, text=True)
    check("geoparquet-validator: core and covering conformant",
          validator.returncode == 0 and "core: 13 pass, 0 fail" in validator.stdout
          and "covering: 6 pass, 0 fail" in validator.stdout, validator.stdout[-400:] + validator.stderr[-200:])
    import duckdb
    rows = duckdb.connect().execute(
        f"select count(*), any_value(typeof(geometry)) from read_parquet('{out}')").fetchall()
    check("DuckDB: the geometry column is GEOMETRY in OGC:CRS84, every row",
          rows == [(len(lon), "GEOMETRY('OGC:CRS84')")], str(rows))
    qa = subprocess.run([floe, "qa", str(out), "--source", str(ATL06), "--aoi", str(aoi)], capture_output=True, text=True)
    check("floe qa --source passes the output", qa.returncode == 0, qa.stdout[-600:] + qa.stderr[-300:])


def same_values(got, want):
    return len(got) == len(want) and all(
        (a is None and b is None) or (a is not None and b is not None and float(a) == float(b)) for a, b in zip(got, want))


def granule_case(floe, work, product, granule, beam, group, variables, extra_args, inside):
    """Subsets one beam of a real granule; the output must hold exactly the rows `inside(lon, lat)` selects, in
    time order, with each variable's values (fills as nulls) and the product's default columns."""
    out = work / f"{product}_subset.parquet"
    run = subprocess.run([floe, "subset", str(granule), "--out", str(out), "--force", *extra_args], capture_output=True, text=True)
    check(f"{product}: floe subset exits 0", run.returncode == 0, run.stderr.strip()[-300:])
    if run.returncode != 0:
        return
    with h5py.File(granule) as f:
        g = f[beam][group]
        lat_name, lon_name = ("lat_ph", "lon_ph") if product == "atl03" else ("latitude", "longitude")
        lon, lat = g[lon_name][:], g[lat_name][:]
        keep = inside(lon, lat)
        order = np.argsort(g["delta_time"][:][keep], kind="stable")
        want = {}
        for name, path in variables.items():
            data = g[path][:]
            data = data[:, 0] if data.ndim == 2 else data  # signal_conf_ph: the land column, Floe's default
            fill = g[path].attrs.get("_FillValue")
            values = data[keep][order].astype(np.float64)
            want[name] = [None if fill is not None and v == fill else v for v in values]
        if product == "atl03":
            # Along-track distance per photon: its segment's segment_dist_x + dist_ph_along.
            geo = f[beam]["geolocation"]
            along = g["dist_ph_along"][:].astype(np.float64)
            x_atc = np.full(along.shape, np.nan)
            for begin, count, distance in zip(geo["ph_index_beg"][:], geo["segment_ph_cnt"][:], geo["segment_dist_x"][:]):
                if begin >= 1 and count >= 1:
                    x_atc[begin - 1:begin - 1 + count] = distance + along[begin - 1:begin - 1 + count]
            want["x_atc"] = [None if np.isnan(v) else v for v in x_atc[keep][order]]
    table = pq.read_table(out)
    extra = ["x_atc"] if product == "atl03" else []
    columns = ["latitude", "longitude", "time", *variables, *extra, "track_id", "rgt", "cycle", "spot",
               "beam_strength", "geometry", "bbox"]
    check(f"{product}: default columns", table.column_names == columns, str(table.column_names))
    got_lat = np.array(table["latitude"].to_pylist(), dtype=float)
    check(f"{product}: {len(order)} rows inside, same latitudes in time order",
          table.num_rows == len(order) and np.array_equal(got_lat, lat[keep][order]), f"got {table.num_rows}")
    check(f"{product}: track_id {beam}", set(table["track_id"].to_pylist()) == {beam})
    for name, values in want.items():
        nulls = sum(v is None for v in values)
        check(f"{product}: {name} values ({nulls} fills as nulls)", same_values(table[name].to_pylist(), values))


def granule_cases(floe, work):
    # ATL03: a box over part of the photons; strictly inside, as the AOI filter is.
    west, south, east, north = 95.07, 87.295, 95.11, 87.298
    granule_case(floe, work, "atl03", ATL03, "gt1l", "heights",
                 {"h_ph": "h_ph", "quality_ph": "quality_ph", "signal_conf_ph": "signal_conf_ph"}, ["--bbox", f"{west},{south},{east},{north}"],
                 lambda lon, lat: (lon > west) & (lon < east) & (lat > south) & (lat < north))
    # ATL08: the whole clip (no AOI keeps every row).
    granule_case(floe, work, "atl08", ATL08, "gt1r", "land_segments",
                 {"h_canopy": "canopy/h_canopy", "h_te_best_fit": "terrain/h_te_best_fit",
                  "canopy_openness": "canopy/canopy_openness"}, [],
                 lambda lon, lat: np.ones(len(lon), dtype=bool))


def filter_cases(floe, work):
    """--filter on rows: a GeoParquet file against pyarrow.compute, the real ATL06 granule against h5py."""
    import pyarrow.compute as pc
    source = ROOT.parent / "shared" / "data" / "geoparquet" / "atl06_TestParquetFile_001.parquet"
    table = pq.read_table(source)
    times = sorted(table["time"].to_pylist())
    middle = times[len(times) // 2]
    start = middle.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    mask = pc.and_(pc.and_(pc.greater(table["h_mean"], 50), pc.is_in(table["gt"], value_set=pa.array([10, 30], pa.uint8()))),
                   pc.greater_equal(table["time"], pa.scalar(middle, table["time"].type)))
    want = sorted(table.filter(mask)["h_mean"].to_pylist())
    out = work / "filtered.parquet"
    run = subprocess.run([floe, "subset", str(source), "--out", str(out), "--force", "--filter", "h_mean > 50",
                          "--filter", "gt in 10,30", "--filter", f"time >= {start}"], capture_output=True, text=True)
    check("filters: floe subset exits 0", run.returncode == 0, run.stderr.strip()[-300:])
    got = sorted(pq.read_table(out)["h_mean"].to_pylist()) if run.returncode == 0 else []
    check(f"filters: {len(want)} rows as pyarrow.compute selects (h_mean > 50, gt in 10,30, time >= {start})",
          len(want) > 0 and got == want, f"got {len(got)}")
    # The granule: h_li below 800 m on every beam, and an rgt set of 300 values that holds the granule's.
    rgts = ",".join(str(r) for r in list(range(1, 300)) + [611])
    out = work / "filtered_granule.parquet"
    run = subprocess.run([floe, "subset", str(ATL06), "--out", str(out), "--force", "--filter", "h_li < 800",
                          "--filter", f"rgt in {rgts}"], capture_output=True, text=True)
    check("filters on a granule: floe subset exits 0", run.returncode == 0, run.stderr.strip()[-300:])
    want = 0
    with h5py.File(ATL06, "r") as f:
        for beam in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]:
            group = f[f"{beam}/land_ice_segments"]
            h = group["h_li"][:]
            fill = group["h_li"].attrs.get("_FillValue")
            valid = (h != fill) if fill is not None else np.ones(len(h), dtype=bool)
            want += int(np.sum(valid & (h < 800)))
    got = pq.read_table(out).num_rows if run.returncode == 0 else -1
    check(f"filters on a granule: {want} segments below 800 m as h5py finds", got == want, f"got {got}")
    # Beams and a time window (pushed into the read: two beams only, each from its first row in time), and a bit flag.
    with h5py.File(ATL06, "r") as f:
        epoch = float(f["ancillary_data/atlas_sdp_gps_epoch"][0])
        delta = np.sort(np.concatenate([f[f"{b}/land_ice_segments/delta_time"][:] for b in ["gt1l", "gt2r"]]))
        cut = float((delta[len(delta) // 2] + delta[len(delta) // 2 + 1]) / 2)
        want_window = int(np.sum(delta >= cut))
        want_flags = 0
        for beam in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]:
            q = f[f"{beam}/land_ice_segments/atl06_quality_summary"]
            fill = q.attrs.get("_FillValue")
            values = q[:].astype(np.int64)
            valid = (values != fill) if fill is not None else np.ones(len(values), dtype=bool)
            want_flags += int(np.sum(valid & ((values & 1) == 0)))
    seconds = 315964800 + epoch + cut - 18
    whole = int(np.floor(seconds))
    start = __import__("datetime").datetime.fromtimestamp(whole, tz=__import__("datetime").timezone.utc)
    start = f"{start:%Y-%m-%dT%H:%M:%S}.{int(round((seconds - whole) * 1e9)):09d}Z"
    out = work / "filtered_beams_time.parquet"
    run = subprocess.run([floe, "subset", str(ATL06), "--out", str(out), "--force", "--filter", "gt in gt1l,gt2r",
                          "--filter", f"time >= {start}"], capture_output=True, text=True)
    got = pq.read_table(out).num_rows if run.returncode == 0 else -1
    check(f"filters on a granule: {want_window} segments of gt1l and gt2r from {start} as h5py finds",
          got == want_window and want_window > 0, f"got {got}; {run.stderr.strip()[-200:]}")
    out = work / "filtered_flags.parquet"
    run = subprocess.run([floe, "subset", str(ATL06), "--out", str(out), "--force", "--filter",
                          "atl06_quality_summary lacks 1"], capture_output=True, text=True)
    got = pq.read_table(out).num_rows if run.returncode == 0 else -1
    check(f"filters on a granule: {want_flags} segments whose atl06_quality_summary lacks bit 0 as h5py finds",
          got == want_flags and want_flags > 0, f"got {got}; {run.stderr.strip()[-200:]}")
    run = subprocess.run([floe, "subset", str(ATL06), "--out", str(work / "never.parquet"), "--filter", "h_li > high"],
                         capture_output=True, text=True)
    check("filters: a bad value is refused with its column named", run.returncode == 1
          and "`high` is not a number, and `h_li` is a numeric column" in run.stderr, run.stderr.strip()[-300:])


if __name__ == "__main__":
    main()
    granule_cases(sys.argv[1], Path(sys.argv[2]))
    filter_cases(sys.argv[1], Path(sys.argv[2]))
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if results and all(results) else 1)
