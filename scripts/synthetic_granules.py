"""Synthetic ICESat-2 granules for the benchmarks (scripts/bench_subset.py, scripts/bench_hdf5.py): six beams,
gzip 6 chunks of 10,000 rows (so at least 200,000 rows per beam: the segment index must fill a chunk), written
once to a temporary name and renamed, then reused."""
from pathlib import Path

import h5py
import numpy as np

BEAMS = ["gt1l", "gt1r", "gt2l", "gt2r", "gt3l", "gt3r"]
GZ = dict(chunks=(10_000,), compression="gzip", compression_opts=6)


def _write_once(path: Path, fill):
    """Calls fill(h5py.File) on a temporary file renamed to `path`, unless `path` exists."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    try:
        with h5py.File(tmp, "w", libver=("v108", "v108")) as f:
            f.create_dataset("ancillary_data/atlas_sdp_gps_epoch", data=np.array([1198800018.0]))
            fill(f)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.rename(path)
    return path


def atl06(path: Path, segments: int) -> Path:
    """ATL06 land-ice segments running 60° → 80° N near 45° W (over Greenland), 5 % of h_li as fill values."""
    def fill(f):
        rng = np.random.default_rng(6)
        f.attrs["short_name"] = np.bytes_("ATL06")
        f.create_dataset("orbit_info/rgt", data=np.array([1234], np.int16))
        f.create_dataset("orbit_info/cycle_number", data=np.array([15], np.int8))
        for i, gt in enumerate(BEAMS):
            g = f.create_group(f"{gt}/land_ice_segments")
            f[gt].attrs["atlas_beam_type"] = np.bytes_("strong" if gt.endswith("l") else "weak")
            f[gt].attrs["atlas_spot_number"] = np.bytes_(str(i + 1))
            t = np.linspace(0.0, 1.0, segments)
            g.create_dataset("latitude", data=60.0 + 20.0 * t, **GZ)
            g.create_dataset("longitude", data=-45.3 + 0.5 * t + 0.1 * i, **GZ)
            g.create_dataset("delta_time", data=1.2e8 + 300 * t, **GZ)
            h = (1500 + 300 * np.sin(30 * t) + rng.normal(0, 2, segments)).astype(np.float32)
            h[rng.random(segments) < 0.05] = np.float32(3.4028235e38)
            g.create_dataset("h_li", data=h, fillvalue=np.float32(3.4028235e38), **GZ)
            g["h_li"].attrs["_FillValue"] = np.float32(3.4028235e38)
            g.create_dataset("h_li_sigma", data=np.abs(rng.normal(0.1, 0.05, segments)).astype(np.float32), **GZ)
            g.create_dataset("atl06_quality_summary", data=(rng.random(segments) < 0.2).astype(np.int8), **GZ)
    return _write_once(path, fill)


def atl03(path: Path, photons: int) -> Path:
    """ATL03 photons running 60° → 80° S near 44° W, with the 20 m geolocation segment index (20 photons each)."""
    def fill(f):
        rng = np.random.default_rng(3)
        f.attrs["short_name"] = np.bytes_("ATL03")
        for i, gt in enumerate(BEAMS):
            f.create_group(gt).attrs["atlas_beam_type"] = np.bytes_("strong" if gt.endswith("r") else "weak")
            h = f.create_group(f"{gt}/heights")
            t = np.linspace(0.0, 1.0, photons)
            lat = -60.0 - 20.0 * t + rng.normal(0, 1e-5, photons)
            lon = -45.0 + 2.0 * t + 0.03 * i + rng.normal(0, 1e-5, photons)
            h.create_dataset("lat_ph", data=lat, **GZ)
            h.create_dataset("lon_ph", data=lon, **GZ)
            starts = np.arange(0, photons, 20)
            geo = f.create_group(f"{gt}/geolocation")
            geo.create_dataset("ph_index_beg", data=(starts + 1).astype(np.int64), **GZ)
            geo.create_dataset("segment_ph_cnt", data=np.full(starts.size, 20, np.int32), **GZ)
            geo.create_dataset("reference_photon_lat", data=lat[starts], **GZ)
            geo.create_dataset("reference_photon_lon", data=lon[starts], **GZ)
            h.create_dataset("h_ph", data=(1500 + 300 * np.sin(30 * t) + rng.normal(0, 2, photons)).astype(np.float32), **GZ)
            h.create_dataset("delta_time", data=1.2e8 + 400 * t, **GZ)
            h.create_dataset("quality_ph", data=np.zeros(photons, np.int8), shuffle=True, **GZ)
    return _write_once(path, fill)
