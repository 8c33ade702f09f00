#!/usr/bin/env python3
"""`floe index` against h5py: every stored chunk of every along-track dataset of each beam, with the byte offset,
length and filter mask h5py's `get_chunk_info` gives; each chunk's bbox and time span equal to those of its rows'
points; dataset descriptions equal to h5py's; the file read by pyarrow, geopandas and geoparquet-validator.

Usage: index_check.py FLOE WORK_DIR FIXTURES"""

import datetime
import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "hdf5" / "real"
GROUPS = {"ATL03": "heights", "ATL06": "land_ice_segments", "ATL08": "land_segments"}
COORDS = {"ATL03": ("lon_ph", "lat_ph"), "ATL06": ("longitude", "latitude"), "ATL08": ("longitude", "latitude")}
# ATL03's 20 m geolocation segments are indexed too (a photon's along-track distance needs them), placed by their
# reference photons.
SEGMENTS = ("geolocation", ("reference_photon_lon", "reference_photon_lat"))
failures = []
# Requests of the last subset of each name.
REQUESTS = {}


def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""))
    if not ok:
        failures.append(name)


def stored_chunks(ds):
    """(row_start, byte_offset, byte_length, filter_mask) of every stored piece, as h5py reports them."""
    if ds.chunks is None:
        offset = ds.id.get_offset()
        return [] if offset is None else [(0, offset, ds.id.get_storage_size(), 0)]
    out = []
    for i in range(ds.id.get_num_chunks()):
        info = ds.id.get_chunk_info(i)
        out.append((info.chunk_offset[0], info.byte_offset, info.size, info.filter_mask))
    return out


def utc_ns(epoch, delta):
    """Floe's time of a delta_time, to the microsecond (whole seconds and the fraction apart)."""
    return (315964800 + epoch - 18 + delta) * 1e9


def check_granule(path, table, granules):
    import pyarrow.compute as pc
    rows = table.filter(pc.equal(table["granule"], str(path))).to_pylist()
    name = path.name
    meta = next(g for g in granules if g["granule"] == str(path))
    described = {d["path"]: d for d in meta["datasets"]}
    with h5py.File(path, "r") as f:
        product = meta["metadata"]["product"]
        # The ATLAS SDP epoch (GPS seconds); subsets without ancillary_data use the product's documented value.
        epoch = float(f["ancillary_data/atlas_sdp_gps_epoch"][0]) if "ancillary_data/atlas_sdp_gps_epoch" in f \
            else 1198800018.0
        expected = {}
        for beam in meta["metadata"]["beams"]:
            groups = [(GROUPS[product], COORDS[product])]
            if product == "ATL03" and f"{beam['name']}/{SEGMENTS[0]}/{SEGMENTS[1][1]}" in f:
                groups.append(SEGMENTS)
            for group_name, coords in groups:
                group = f[f"{beam['name']}/{group_name}"]
                n = group[coords[0]].shape[0]

                def visit(_, obj):
                    if isinstance(obj, h5py.Dataset) and obj.shape[:1] == (n,):
                        expected[obj.name] = (beam["name"], obj)
                group.visititems(visit)
        got_paths = {r["dataset"] for r in rows}
        check(f"{name}: every along-track dataset of every beam is indexed ({len(expected)})",
              got_paths == set(expected), str(sorted(set(expected) ^ got_paths))[:300])
        same_bytes = same_desc = True
        for path_in_file, (beam, ds) in expected.items():
            want = sorted(stored_chunks(ds))
            got = sorted((r["row_start"], r["byte_offset"], r["byte_length"], r["filter_mask"])
                         for r in rows if r["dataset"] == path_in_file)
            if want != got:
                same_bytes = False
                print(f"     {path_in_file}: h5py {want[:3]} floe {got[:3]}")
            d = described.get(path_in_file, {})
            # The pipeline as stored, in order (a filter may appear twice: the ATL08 clip deflates twice).
            plist = ds.id.get_create_plist()
            names = {1: "deflate", 2: "shuffle", 3: "fletcher32"}
            filters = [names.get(plist.get_filter(i)[0], str(plist.get_filter(i)[0])) for i in range(plist.get_nfilters())]
            fill = ds.fillvalue
            fill_hex = np.asarray(fill, dtype=ds.dtype).tobytes().hex() if ds.dtype.kind in "iuf" else None
            ok = (d.get("shape") == list(ds.shape) and d.get("chunk_shape") == (list(ds.chunks) if ds.chunks else None)
                  and d.get("filters") == filters
                  and (fill_hex is None or d.get("fill_value") in (None, fill_hex)))
            if not ok:
                same_desc = False
                print(f"     {path_in_file}: described {d} vs h5py shape {ds.shape} chunks {ds.chunks} "
                      f"filters {filters} fill {fill_hex}")
        check(f"{name}: byte offsets, lengths and filter masks equal h5py's get_chunk_info", same_bytes)
        check(f"{name}: dataset descriptions (shape, chunk shape, filters, fill value) equal h5py's", same_desc)
        boxes = times = True
        for r in rows:
            group = f[r["dataset"]].parent
            while group.name.count("/") > 2:
                group = group.parent
            lon_name, lat_name = SEGMENTS[1] if group.name.endswith("/" + SEGMENTS[0]) else COORDS[product]
            lon = group[lon_name][r["row_start"]:r["row_end"]].astype(np.float64)
            lat = group[lat_name][r["row_start"]:r["row_end"]].astype(np.float64)
            valid = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
            want = None if not valid.any() else {"xmin": lon[valid].min(), "ymin": lat[valid].min(),
                                                 "xmax": lon[valid].max(), "ymax": lat[valid].max()}
            if r["bbox"] != want:
                boxes = False
                print(f"     {r['dataset']} rows {r['row_start']}..{r['row_end']}: {r['bbox']} vs {want}")
            # Without delta_time (a subset that dropped it) a chunk has no time span.
            delta = group["delta_time"][r["row_start"]:r["row_end"]] if "delta_time" in group else np.array([])
            delta = delta[np.isfinite(delta) & (np.abs(delta) < 1e12)]
            if not len(delta) and (r["time_start"] or r["time_end"]):
                times = False
                print(f"     {r['dataset']}: a time span without delta_time")
            if len(delta):
                lo, hi = utc_ns(epoch, delta.min()), utc_ns(epoch, delta.max())
                got_lo = r["time_start"].timestamp() * 1e9 if r["time_start"] else None
                got_hi = r["time_end"].timestamp() * 1e9 if r["time_end"] else None
                if got_lo is None or abs(got_lo - lo) > 2000 or abs(got_hi - hi) > 2000:
                    times = False
                    print(f"     {r['dataset']}: time {r['time_start']}..{r['time_end']} vs {lo}..{hi} ns")
        check(f"{name}: each chunk's bbox is its rows' extent, exactly ({len(rows)} chunks)", boxes)
        check(f"{name}: each chunk's time span is its rows' (to the microsecond)", times)


def subset(floe, work, name, inputs, bbox, index=None):
    """Runs floe subset; returns (table, MB read)."""
    out = work / f"{name}.parquet"
    args = [floe, "subset", *map(str, inputs), f"--bbox={bbox}", "--out", str(out), "--force", "--allow-empty"]
    args += ["--no-index"] if index == "--no-index" else ["--index", str(index)] if index else []
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode != 0:
        return None, run.stderr[-300:]
    import re
    read = re.search(r"read ([\d.]+) MB in (\d+) requests", run.stdout + run.stderr)
    if read is None:
        print(f"     floe subset said: {run.stderr[-300:]}")
        return None, None
    REQUESTS[name] = int(read.group(2))
    return pq.read_table(out), float(read.group(1))


def reads_with_the_index(floe, work, index, inputs, chunked):
    """With --index, an area's read returns exactly the rows of the read without, and reads less where the index
    can leave chunks out; a catalog leaves out the granules outside the area."""
    for path in inputs:
        with h5py.File(path, "r") as f:
            beam, name = next((k, p) for k in f.keys() if k.startswith("gt") for p in GROUPS if GROUPS[p] in f[k])
            product = GROUPS[name]
            lon_name, lat_name = COORDS[name]
            lat = f[f"{beam}/{product}/{lat_name}"][:]
            lon = f[f"{beam}/{product}/{lon_name}"][:]
        lo, hi = np.quantile(lat, 0.3), np.quantile(lat, 0.6)
        bbox = f"{lon.min() - 1},{lo},{lon.max() + 1},{hi}"
        plain, plain_read = subset(floe, work, "plain", [path], bbox)
        indexed, indexed_read = subset(floe, work, "indexed", [path], bbox, index)
        same = plain is not None and indexed is not None and plain.num_rows > 0 and plain.equals(indexed)
        check(f"{path.name}: subset of lat {lo:.4f}..{hi:.4f} with --index equals without "
              f"({plain.num_rows if plain is not None else '?'} rows; read {plain_read} → {indexed_read} MB)",
              same and indexed_read <= plain_read, f"{plain_read} / {indexed_read}")
        # Opened through the index's description: no HDF5 metadata is read, so fewer requests too.
        check(f"{path.name}: with --index, fewer requests ({REQUESTS.get('plain')} → {REQUESTS.get('indexed')}, "
              "the index's included)", REQUESTS.get("indexed", 1e9) < REQUESTS.get("plain", 0))
        if path == chunked:
            check(f"{path.name}: the index reads less (chunks of 2,000 rows left out)", indexed_read < plain_read * 0.6,
                  f"{plain_read} → {indexed_read} MB")
    # An index next to the granule (`<granule>.index.parquet`) is found by itself; --no-index reads without it.
    import shutil
    beside = work / "beside"
    beside.mkdir(exist_ok=True)
    copy = beside / chunked.name
    shutil.copy(chunked, copy)
    subprocess.run([floe, "index", str(copy), "--out", str(beside / (chunked.stem + ".index.parquet")), "--force"],
                   capture_output=True)
    bbox = "-41,70.9,-38,71.1"
    found, found_read = subset(floe, work, "found", [copy], bbox)
    refused, refused_read = subset(floe, work, "refused", [copy], bbox, "--no-index")
    check(f"the index next to a granule is used by itself (read {refused_read} → {found_read} MB, same rows)",
          found is not None and refused is not None and found.equals(refused) and found_read < refused_read,
          f"{refused_read} / {found_read}")
    # `floe info --stats`: opening the granule through its index reads no HDF5 metadata beyond the superblock.
    def info_requests(*extra):
        run = subprocess.run([floe, "info", str(copy), "--stats", "--json", *extra], capture_output=True, text=True)
        return json.loads(run.stdout)["stats"]["requests"] if run.returncode == 0 else None
    plain_info, indexed_info = info_requests("--no-index"), info_requests()
    check(f"floe info --stats through the index: {plain_info} → {indexed_info} requests (the index's included)",
          plain_info is not None and indexed_info is not None and indexed_info * 3 < plain_info)
    # A directory stands for the granules under it (subdirectories included; other files ignored).
    tree = work / "tree"
    subprocess.run(["rm", "-rf", str(tree)])
    (tree / "a" / "b").mkdir(parents=True)
    shutil.copy(chunked, tree / "a" / chunked.name)
    shutil.copy(inputs[0], tree / "a" / "b" / inputs[0].name)
    (tree / "a" / "notes.txt").write_text("not a granule")
    listed = subprocess.run([floe, "index", f"{tree}/", "--out", str(work / "tree.parquet"), "--force"],
                            capture_output=True, text=True)
    indexed = sorted(g["granule"] for g in json.loads(pq.ParquetFile(work / "tree.parquet").metadata.metadata[
        b"floe:granules"])) if listed.returncode == 0 else listed.stderr[-300:]
    check("floe index DIR/ indexes every granule under it", indexed == sorted(
        [f"{tree}/a/{chunked.name}", f"{tree}/a/b/{inputs[0].name}"]), str(indexed))
    # `--out DIR/`: partitioned by product, and read back as `--index DIR`.
    partitioned = work / "partitioned"
    subprocess.run(["rm", "-rf", str(partitioned)])
    subprocess.run([floe, "index", str(chunked), *map(str, [p for p in inputs if "ATL03" in p.name][:1]),
                    "--out", f"{partitioned}/", "--force"], capture_output=True)
    parts = sorted(str(p.relative_to(partitioned)) for p in partitioned.rglob("*.parquet"))
    check("--out DIR/ writes one file per product", parts == ["product=ATL03/index.parquet",
                                                             "product=ATL06/index.parquet"], str(parts))
    through_dir, dir_read = subset(floe, work, "through_dir", [chunked], bbox, partitioned)
    check(f"--index DIR reads through the catalog's parts (read {dir_read} MB, same rows)",
          through_dir is not None and refused is not None and through_dir.equals(refused) and dir_read < refused_read,
          f"{dir_read}")
    # A catalog of two granules far apart: an area around one never opens the other.
    catalog = work / "catalog.parquet"
    real = next(p for p in inputs if "ATL06" in p.name)
    subprocess.run([floe, "index", str(real), str(chunked), "--out", str(catalog), "--force"], capture_output=True)
    bbox = "-41,70.9,-38,71.1"
    plain, plain_read = subset(floe, work, "both_plain", [real, chunked], bbox)
    indexed, indexed_read = subset(floe, work, "both_indexed", [real, chunked], bbox, catalog)
    check(f"a catalog: the granule outside the area is never opened (read {plain_read} → {indexed_read} MB, "
          f"same {plain.num_rows if plain is not None else '?'} rows)",
          plain is not None and indexed is not None and plain.equals(indexed) and indexed_read < plain_read,
          f"{plain_read} / {indexed_read}")


def kerchunk_case(path, refs_path):
    """The references read by fsspec's ReferenceFileSystem + zarr (a real client) give h5py's arrays, and point at
    the byte ranges kerchunk's own SingleHdf5ToZarr finds."""
    import fsspec
    import zarr
    from kerchunk.hdf import SingleHdf5ToZarr
    refs = json.loads(refs_path.read_text())
    fs = fsspec.filesystem("reference", fo=refs, remote_protocol="file")
    group = zarr.open_group(fs.get_mapper(""), mode="r", zarr_format=2)
    arrays = [k[: -len("/.zarray")] for k in refs["refs"] if k.endswith("/.zarray")]
    differ = []
    with h5py.File(path, "r") as f:
        for name in arrays:
            got, want = group[name][...], f[name][...]
            if got.dtype != want.dtype or not np.array_equal(got, want, equal_nan=want.dtype.kind == "f"):
                differ.append(name)
    check(f"{path.name}: {len(arrays)} arrays through fsspec + zarr equal h5py's", arrays and not differ, str(differ[:5]))
    theirs = SingleHdf5ToZarr(str(path), str(path), inline_threshold=0).translate()["refs"]
    # Chunks by byte range (compact data is inline, its values checked above).
    chunk_keys = [k for k in refs["refs"] if not k.split("/")[-1].startswith(".") and isinstance(refs["refs"][k], list)]
    same = [k for k in chunk_keys if k in theirs and list(theirs[k])[1:] == refs["refs"][k][1:]]
    check(f"{path.name}: {len(chunk_keys)} chunk references equal kerchunk's byte ranges", len(same) == len(chunk_keys),
          str([k for k in chunk_keys if k not in same][:5]))


def opened_through_references(floe, work, path, refs_path):
    """`floe subset REFS.json` opens the granule through the references: Floe's own give exactly the rows of the
    granule read directly; kerchunk's `SingleHdf5ToZarr` references give the same rows and values, except that
    kerchunk strips `_FillValue` (fill values then come through as numbers)."""
    import pyarrow.compute as pc
    from kerchunk.hdf import SingleHdf5ToZarr
    with h5py.File(path, "r") as f:
        beam, name = next((k, p) for k in f.keys() if k.startswith("gt") for p in GROUPS if GROUPS[p] in f[k])
        lat = f[f"{beam}/{GROUPS[name]}/{COORDS[name][1]}"][:]
        lon = f[f"{beam}/{GROUPS[name]}/{COORDS[name][0]}"][:]
    bbox = f"{lon.min() - 1},{np.quantile(lat, 0.2)},{lon.max() + 1},{np.quantile(lat, 0.7)}"
    direct, _ = subset(floe, work, "direct", [path], bbox, "--no-index")
    ours, _ = subset(floe, work, "ours", [refs_path], bbox)
    check(f"{path.name}: floe subset through Floe's kerchunk references equals the granule's "
          f"({direct.num_rows if direct is not None else '?'} rows, {REQUESTS.get('ours')} requests, "
          f"{REQUESTS.get('direct')} direct)", direct is not None and ours is not None and direct.num_rows > 0
          and ours.equals(direct))
    theirs_path = work / f"{path.stem}.kerchunk.json"
    theirs_path.write_text(json.dumps(SingleHdf5ToZarr(str(path), str(path)).translate()))
    theirs, said = subset(floe, work, "theirs", [theirs_path], bbox)
    with h5py.File(path, "r") as f:
        plist = f[f"{beam}/{GROUPS[name]}/{COORDS[name][1]}"].id.get_create_plist()
        deflates = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())].count(1)
    if deflates > 1:
        # Deflated twice (the ATL08 clip): kerchunk declares one zlib codec, so its references cannot decode the
        # chunks; Floe must say so, naming the dataset, and never return rows.
        check(f"{path.name}: kerchunk's references describe one deflate of two: floe subset refuses them, naming "
              "the dataset", theirs is None and "chunk at" in str(said) and "/land_segments/" in str(said), str(said))
        return
    same = theirs is not None and direct is not None and theirs.num_rows == direct.num_rows \
        and theirs.schema.names == direct.schema.names
    differ = []
    for column in direct.schema.names if same else []:
        want, got = direct[column], theirs[column]
        if want.equals(got):
            continue
        import pyarrow as pa
        if not (pa.types.is_floating(want.type) or pa.types.is_integer(want.type)) \
                or pc.all(pc.equal(want, got).fill_null(True)).as_py() is not True:
            differ.append(column)
        elif want.null_count != got.null_count:
            # Nulls where the granule's _FillValue stood: kerchunk's references keep the value instead.
            fill = pc.is_null(want)
            kept = pc.filter(got, pc.and_(fill, pc.invert(pc.is_null(got))))
            if len(kept) and not pc.all(pc.greater(pc.abs(kept), 1e30)).as_py():
                differ.append(column)
    check(f"{path.name}: floe subset through kerchunk's own references gives the same rows and values "
          "(fill values as numbers)", same and not differ, str(differ))


def main():
    floe, work, fixtures = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    inputs = sorted(REAL.glob("*.h5")) + [fixtures / "hdf5" / "atl03_v108.h5", fixtures / "index" / "atl06_chunked.h5"]
    out = work / "index.parquet"
    refs_dir = work / "kerchunk"
    run = subprocess.run([floe, "index", *map(str, inputs), "--out", str(out), "--force", "--kerchunk", str(refs_dir)],
                         capture_output=True, text=True)
    check("floe index exits 0", run.returncode == 0, run.stderr[-400:])
    if run.returncode != 0:
        sys.exit(1)
    table = pq.read_table(out)
    file = pq.ParquetFile(out)
    kv = file.metadata.metadata
    granules = json.loads(kv[b"floe:granules"])
    check("one row group per granule", file.metadata.num_row_groups == len(inputs), str(file.metadata.num_row_groups))
    check("columns as named", table.schema.names == ["granule", "product", "beam", "dataset", "row_start", "row_end",
                                                       "byte_offset", "byte_length", "filter_mask", "time_start",
                                                       "time_end", "geometry", "bbox"], str(table.schema.names))
    for path in inputs:
        check_granule(path, table, granules)
    synthetic = table.filter(__import__("pyarrow.compute", fromlist=["x"]).equal(table["granule"], str(inputs[-2])))
    check("the synthetic granule's photons lie in several chunks per dataset",
          len(set(synthetic["row_start"].to_pylist())) >= 3, str(set(synthetic["row_start"].to_pylist())))
    import geopandas
    frame = geopandas.read_parquet(out)
    check("geopandas: polygons in OGC:CRS84", frame.crs is not None and frame.crs.to_string() == "OGC:CRS84"
          and set(frame.geometry.dropna().geom_type) == {"Polygon"}, str(frame.crs))
    validator = subprocess.run(["geoparquet-validator", "check", str(out)], capture_output=True, text=True)
    check("geoparquet-validator: core and covering conformant",
          validator.returncode == 0 and "core:" in validator.stdout and " 0 fail" in validator.stdout,
          validator.stdout[-600:])
    reads_with_the_index(floe, work, out, inputs, fixtures / "index" / "atl06_chunked.h5")
    for path in inputs:
        kerchunk_case(path, refs_dir / f"{path.stem}.json")
        opened_through_references(floe, work, path, refs_dir / f"{path.stem}.json")
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
