#!/usr/bin/env python3
"""Oracle for Floe's HDF5 reader: every dataset of every file under ../shared/data/hdf5 as h5py reads it.

Writes OUT/oracle_hdf5.json: {file: {dataset_path: {dtype, shape, sha256 | strings | error}}}. Numbers are
hashed as their little-endian bytes in C order (bit-exact, NaN payloads included); strings are listed.
"""
import hashlib
import json
import sys
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "hdf5"


def describe(dataset):
    entry = {"shape": list(dataset.shape), "dtype": str(dataset.dtype)}
    try:
        data = dataset[()]
    except Exception as e:  # h5py cannot read it either (e.g. missing filter plugin)
        entry["error"] = f"{type(e).__name__}: {e}"
        return entry
    kind = dataset.dtype.kind
    if kind in "iuf" and dataset.dtype.fields is None:
        array = np.asarray(data)
        entry["sha256"] = hashlib.sha256(array.astype(array.dtype.newbyteorder("<")).tobytes(order="C")).hexdigest()
        entry["count"] = int(array.size)
    elif kind in "SO" and (h5py.check_string_dtype(dataset.dtype) is not None or kind == "S"):
        flat = np.asarray(data, dtype=object).reshape(-1)
        entry["strings"] = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in flat]
    else:
        entry["kind"] = "other"
    return entry


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    result = {}
    generated = out / "hdf5"
    files = [(p, p.relative_to(SHARED).as_posix()) for p in sorted(SHARED.rglob("*"))]
    files += [(p, "generated/" + p.relative_to(generated).as_posix()) for p in sorted(generated.rglob("*"))]
    for path, key in files:
        if not path.is_file() or path.suffix not in (".h5", ".hdf5", ".nc"):
            continue
        datasets = {}
        try:
            with h5py.File(path, "r") as f:
                def visit(name, obj):
                    if isinstance(obj, h5py.Dataset):
                        datasets["/" + name] = describe(obj)
                f.visititems(visit)
        except Exception as e:
            datasets = {"__open_error__": f"{type(e).__name__}: {e}"}
        result[key] = datasets
    (out / "oracle_hdf5.json").write_text(json.dumps(result, indent=0))
    total = sum(len(v) for v in result.values())
    print(f"{len(result)} files, {total} datasets")
    products(out)


def products(out):
    """Per-beam oracle for the real ICESat-2 subsets: rows, strength, coordinates, UTC times, fills."""
    spec = {
        "ATL03": ("heights", "lon_ph", "lat_ph", ["h_ph"]),
        "ATL06": ("land_ice_segments", "longitude", "latitude", ["h_li", "h_li_sigma"]),
        "ATL08": ("land_segments", "longitude", "latitude", ["canopy/h_canopy", "terrain/h_te_best_fit"]),
    }
    result = {}
    for path in sorted((SHARED / "real").glob("*.h5")):
        with h5py.File(path, "r") as f:
            name = f.attrs["short_name"]
            name = (name[0] if not isinstance(name, (bytes, str)) else name)
            name = name.decode() if isinstance(name, bytes) else str(name)
            group, lon, lat, variables = spec[name]
            epoch = float(f["ancillary_data/atlas_sdp_gps_epoch"][0]) if "ancillary_data/atlas_sdp_gps_epoch" in f else 1198800018.0
            beams = {}
            for gt in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]:
                if gt not in f:
                    continue
                strength = f[gt].attrs["atlas_beam_type"]
                strength = strength[0] if not isinstance(strength, (bytes, str)) else strength
                strength = strength.decode() if isinstance(strength, bytes) else str(strength)
                g = f[f"{gt}/{group}"]
                delta = g["delta_time"][()]
                # Whole seconds and fraction apart, so nanoseconds keep the precision of delta_time.
                whole = np.floor(delta)
                base = (315964800 + int(round(epoch)) - 18 + whole.astype(np.int64)) * 1_000_000_000
                times = base + np.round((delta - whole + (epoch - round(epoch))) * 1e9).astype(np.int64)
                entry = {
                    "strength": strength,
                    "rows": int(g[lon].shape[0]),
                    "lon": [float(g[lon][0]), float(g[lon][-1])],
                    "lat": [float(g[lat][0]), float(g[lat][-1])],
                    "time_ns": [int(times[0]), int(times[-1])],
                    "variables": {},
                }
                for variable in variables:
                    d = g[variable]
                    values = d[()].astype(np.float64)
                    fill = d.attrs.get("_FillValue")
                    valid = values != fill if fill is not None else np.ones(values.shape, bool)
                    entry["variables"][variable.split("/")[-1]] = {"nulls": int((~valid).sum()), "sum": float(values[valid].sum())}
                # Along-track distance: ATL06 stores it; ATL03's is the photon's segment_dist_x + dist_ph_along.
                if name == "ATL06":
                    entry["x_atc"] = [float(v) for v in g["ground_track/x_atc"][()].astype(np.float64)]
                elif name == "ATL03" and f"{gt}/geolocation/segment_dist_x" in f:
                    geo = f[f"{gt}/geolocation"]
                    along = g["dist_ph_along"][()].astype(np.float64)
                    x_atc = np.full(along.shape, np.nan)
                    for begin, count, distance in zip(geo["ph_index_beg"][()], geo["segment_ph_cnt"][()],
                                                      geo["segment_dist_x"][()]):
                        if begin >= 1 and count >= 1:
                            x_atc[begin - 1:begin - 1 + count] = distance + along[begin - 1:begin - 1 + count]
                    entry["x_atc"] = [None if np.isnan(v) else float(v) for v in x_atc]
                beams[gt] = entry
            result[path.name] = {"product": name, "beams": beams}
    (out / "oracle_icesat2.json").write_text(json.dumps(result, indent=1))



if __name__ == "__main__":
    main()
