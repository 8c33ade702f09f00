#!/usr/bin/env python3
"""HDF5 fixtures for Floe's reader, written with h5py into OUT/hdf5/:
- atl03_<libver>.h5 for libver earliest, v108, v110, latest: an ATL03-shaped granule (6 beams × 25,000
  photons, chunks of 10,000 that do not divide the length, gzip 6, shuffle on integers, signal_conf_ph (N, 5),
  _FillValue attributes, orbit_info, ancillary epoch, beam attributes);
- atl03_paged.h5: the same with paged aggregation (like h5repack -S PAGE and release-007 granules);
- types.h5: big-endian integers and floats, a 2-D chunked dataset with edge chunks, fixed strings, fletcher32.
"""
import sys
from pathlib import Path

import h5py
import numpy as np

ROWS = 25_000


def granule(path, **file_args):
    rng = np.random.default_rng(7)
    with h5py.File(path, "w", **file_args) as f:
        f.attrs["short_name"] = np.bytes_("ATL03")
        f.create_dataset("ancillary_data/atlas_sdp_gps_epoch", data=np.array([1198800018.0]))
        f.create_dataset("orbit_info/rgt", data=np.array([1234], dtype=np.int16))
        f.create_dataset("orbit_info/cycle_number", data=np.array([13], dtype=np.int8))
        f.create_dataset("orbit_info/sc_orient", data=np.array([1], dtype=np.int8))
        for i, gt in enumerate(["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]):
            g = f.create_group(gt)
            g.attrs["atlas_beam_type"] = np.bytes_("weak" if gt.endswith("l") else "strong")
            g.attrs["atlas_spot_number"] = np.bytes_(str(6 - i))
            h = g.create_group("heights")
            t = np.linspace(0, 1, ROWS)
            lat = 62.0 + 1.0 * t
            lon = -45.5 + 0.2 * t + 0.03 * i
            kw = dict(chunks=(10_000,), compression="gzip", compression_opts=6)
            h.create_dataset("lat_ph", data=lat, **kw)
            h.create_dataset("lon_ph", data=lon, **kw)
            h.create_dataset("delta_time", data=1.2e8 + 10 * t + 0.001 * i, **kw)
            height = (1500 + 100 * np.sin(20 * t) + rng.normal(0, 1, ROWS)).astype(np.float32)
            height[::97] = np.float32(3.4028235e38)
            d = h.create_dataset("h_ph", data=height, **kw)
            d.attrs["_FillValue"] = np.float32(3.4028235e38)
            d.attrs["units"] = np.bytes_("meters")
            ints = dict(chunks=(10_000,), compression="gzip", compression_opts=6, shuffle=True)
            h.create_dataset("quality_ph", data=(np.arange(ROWS) % 3).astype(np.int8), **ints)
            # 20 m geolocation segments of 25 photons each: the index an ATL03 AOI read uses.
            geo = g.create_group("geolocation")
            starts = np.arange(0, ROWS, 25)
            geo.create_dataset("ph_index_beg", data=(starts + 1).astype(np.int64))
            geo.create_dataset("segment_ph_cnt", data=np.full(starts.size, 25, dtype=np.int32))
            geo.create_dataset("reference_photon_lat", data=lat[starts])
            geo.create_dataset("reference_photon_lon", data=lon[starts])
            conf = rng.integers(-1, 5, size=(ROWS, 5)).astype(np.int8)
            h.create_dataset("signal_conf_ph", data=conf, chunks=(10_000, 5), compression="gzip", compression_opts=6, shuffle=True)


def bad_segments(source, path):
    """An ATL03 granule whose 20 m segment index is corrupt: ph_index_beg as float64 with NaN, a negative value and one
    far past the photons. An AOI read must neither panic nor lose photons."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(source, "r") as src, h5py.File(path, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        for name in src:
            src.copy(src[name], dst, name)
        for gt in ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]:
            geo = dst[f"{gt}/geolocation"]
            begin = geo["ph_index_beg"][:].astype(np.float64)
            begin[3], begin[10], begin[20] = np.nan, -7.0, 1e300
            del geo["ph_index_beg"]
            geo.create_dataset("ph_index_beg", data=begin)


def huge_dataspace(path):
    """A small file whose contiguous dataset claims 2^27 float64 values (1 GiB): refused before anything is
    allocated, the claim being more than a file of its size can hold."""
    import struct
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("claims", data=np.arange(4099, dtype=np.float64))
    data = path.read_bytes()
    patched = data.replace(struct.pack("<Q", 4099), struct.pack("<Q", 1 << 27))
    assert patched != data
    path.write_bytes(patched)


def types(path):
    with h5py.File(path, "w", libver="latest") as f:
        f.create_dataset("be_int32", data=np.arange(-50, 50, dtype=">i4"))
        f.create_dataset("be_float64", data=np.linspace(-1, 1, 77).astype(">f8"), chunks=(10,), compression="gzip")
        f.create_dataset("grid_2d", data=np.arange(35 * 9, dtype=np.float32).reshape(35, 9), chunks=(8, 4), compression="gzip", shuffle=True)
        f.create_dataset("fixed_strings", data=np.array([b"gt1l", b"gt2r", b"weak"], dtype="S8"))
        f.create_dataset("fletcher", data=np.arange(1000, dtype=np.int64), chunks=(100,), fletcher32=True)
    # Chunk indexes HDF5 picks for resizable datasets: extensible array (one unlimited dimension) and v2 B-tree
    # (several); a fixed array large enough to be paged.
    with h5py.File(path.with_name("chunk_indexes.h5"), "w", libver="latest") as f:
        f.create_dataset("extensible", data=np.arange(123_457, dtype=np.float64), chunks=(1000,), maxshape=(None,))
        f.create_dataset("extensible_gzip", data=np.arange(50_001, dtype=np.int32), chunks=(64,), maxshape=(None,), compression="gzip", shuffle=True)
        f.create_dataset("btree2", data=np.arange(300 * 70, dtype=np.float32).reshape(300, 70), chunks=(16, 16), maxshape=(None, None))
        f.create_dataset("btree2_gzip", data=np.arange(300 * 70, dtype=np.int16).reshape(300, 70), chunks=(16, 16), maxshape=(None, None), compression="gzip")
        conf = (np.arange(12_345 * 5) % 7 - 1).astype(np.int8).reshape(12_345, 5)
        f.create_dataset("extensible_2d", data=conf, chunks=(1000, 5), maxshape=(None, 5), compression="gzip", shuffle=True)
        f.create_dataset("extensible_2d_split", data=np.arange(333 * 10, dtype=np.float64).reshape(333, 10), chunks=(50, 4), maxshape=(None, 10))
        f.create_dataset("paged_fixed", data=np.arange(2_000_000, dtype=np.int32), chunks=(100,))
        f.create_dataset("paged_fixed_gzip", data=np.arange(200_000, dtype=np.int64), chunks=(10,), compression="gzip")


def atl06_chunked(path):
    """An ATL06-shaped granule in many chunks (6 beams × 20,000 segments, chunks of 2,000): what the spatial chunk
    index narrows (the real subsets hold one chunk per dataset)."""
    rng = np.random.default_rng(11)
    rows = 20_000
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["short_name"] = np.bytes_("ATL06")
        f.create_dataset("ancillary_data/atlas_sdp_gps_epoch", data=np.array([1198800018.0]))
        f.create_dataset("orbit_info/rgt", data=np.array([611], dtype=np.int16))
        f.create_dataset("orbit_info/cycle_number", data=np.array([16], dtype=np.int8))
        for i, gt in enumerate(["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]):
            g = f.create_group(gt)
            g.attrs["atlas_beam_type"] = np.bytes_("weak" if gt.endswith("l") else "strong")
            g.attrs["atlas_spot_number"] = np.bytes_(str(6 - i))
            s = g.create_group("land_ice_segments")
            t = np.linspace(0, 1, rows)
            kw = dict(chunks=(2_000,), compression="gzip", compression_opts=6)
            s.create_dataset("latitude", data=70.0 + 2.0 * t, **kw)
            s.create_dataset("longitude", data=-40.0 + 0.5 * t + 0.05 * i, **kw)
            s.create_dataset("delta_time", data=1.4454e8 + 300 * t + 0.001 * i, **kw)
            h = (2000 + 300 * np.sin(8 * t) + rng.normal(0, 0.5, rows)).astype(np.float32)
            h[::53] = np.float32(3.4028235e38)
            d = s.create_dataset("h_li", data=h, **kw)
            d.attrs["_FillValue"] = np.float32(3.4028235e38)
            s.create_dataset("h_li_sigma", data=rng.uniform(0.01, 1, rows).astype(np.float32), **kw)
            s.create_dataset("atl06_quality_summary", data=(np.arange(rows) % 2).astype(np.int8), shuffle=True, **kw)
            s.create_dataset("ground_track/x_atc", data=2.7e7 + 20 * np.arange(rows, dtype=np.float64), **kw)


def special(path):
    """Values `floe cat --json` must tell apart: NaN and both infinities, integers, a scalar."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("floats", data=np.array([1.5, np.nan, np.inf, -np.inf], dtype=np.float32))
        f.create_dataset("ints", data=np.array([-1, 4, 127], dtype=np.int8))
        f.create_dataset("scalar", data=np.float64(42.25))


def corrupted(source, out):
    """Copies of types.h5 with one byte flipped inside a chunk: a deflate error and a fletcher32 mismatch.
    And szip-compressed data when this HDF5 build can write it."""
    out.mkdir(parents=True, exist_ok=True)
    for name, dataset in [("bad_deflate.h5", "be_float64"), ("bad_fletcher32.h5", "fletcher")]:
        with h5py.File(source, "r") as f:
            info = f[dataset].id.get_chunk_info(0)
        data = bytearray(source.read_bytes())
        data[info.byte_offset + min(8, info.size - 1)] ^= 0xFF
        (out / name).write_bytes(bytes(data))
    try:
        with h5py.File(out / "szip.h5", "w") as f:
            f.create_dataset("data", data=np.arange(1000, dtype=np.int32), chunks=(100,), compression="szip")
    except Exception as e:  # no szip encoder in this build
        (out / "szip.h5").unlink(missing_ok=True)
        print(f"szip fixture skipped: {e}")


def main():
    out = (Path(sys.argv[1]) if len(sys.argv) > 1 else Path("target/fixtures")) / "hdf5"
    out.mkdir(parents=True, exist_ok=True)
    for libver in ["earliest", "v108", "v110", "latest"]:
        bounds = libver if libver in ("earliest", "latest") else (libver, libver)
        granule(out / f"atl03_{libver}.h5", libver=bounds)
    granule(out / "atl03_paged.h5", libver=("v110", "v110"), fs_strategy="page", fs_page_size=1 << 20)
    types(out / "types.h5")
    corrupted(out / "types.h5", out.parent / "hdf5_bad")
    # Outside hdf5/: not part of the conformance oracle.
    special(out.parent / "cat" / "special.h5")
    atl06_chunked(out.parent / "index" / "atl06_chunked.h5")
    bad_segments(out / "atl03_v108.h5", out.parent / "hostile" / "atl03_bad_segments.h5")
    huge_dataspace(out.parent / "hostile" / "huge_dataspace.h5")
    print(f"HDF5 fixtures written to {out}")


if __name__ == "__main__":
    main()
