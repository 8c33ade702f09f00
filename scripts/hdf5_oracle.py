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
    for path in sorted(SHARED.rglob("*")):
        if not path.is_file() or path.suffix not in (".h5", ".hdf5", ".nc"):
            continue
        key = path.relative_to(SHARED).as_posix()
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


if __name__ == "__main__":
    main()
