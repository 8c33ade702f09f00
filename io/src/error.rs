//! The one error type of `floe-io`: every variant names the file (or URL) and what was wrong with it.

/// Errors from opening and reading point data.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The source could not be reached or read (missing file, unreachable host, HTTP 403/404…).
    #[error("{location}: cannot read: {message}")]
    Source { location: String, message: String },

    /// An object store (local disk, HTTP(S), S3) could not give the bytes: the message in words, the store's
    /// error kept as the source. Its text is complete: printers stop at this error, not at its sources.
    #[cfg(not(target_arch = "wasm32"))]
    #[error("{location}: cannot read: {message}")]
    Store {
        location: String,
        message: String,
        #[source]
        source: Box<object_store::Error>,
    },

    /// An output file could not be written (no permission, disk full, a missing directory…).
    #[error("{location}: cannot write: {message}")]
    Write {
        location: String,
        message: String,
        /// The I/O or parquet error behind it, when there is one (the message already says it for people).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The input is not data Floe reads: an empty file, neither HDF5 nor Parquet, a directory of granules.
    #[error("{location}: {message}")]
    Format { location: String, message: String },

    /// A valid HDF5 file that is not one of the ICESat-2 products Floe reads.
    #[error(
        "{location}: {what}, not an ICESat-2 product Floe reads (ATL03, ATL06, ATL08); `floe info --tree` lists \
         its groups and datasets, `floe cat` prints any dataset"
    )]
    NotAGranule { location: String, what: String },

    /// The bytes are not a (readable) Parquet file.
    #[error("{location}: not a readable Parquet file: {message}")]
    Parquet {
        location: String,
        message: String,
        /// The parquet crate's error, kept for code (the message already says it for people).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The GeoParquet `geo` metadata is malformed.
    #[error("{location}: invalid GeoParquet metadata: {message}")]
    GeoMetadata { location: String, message: String },

    /// No geometry column and no recognisable lon/lat columns.
    #[error(
        "{location}: no geometry found: the file has no GeoParquet `geo` metadata and none of the \
         column pairs longitude/latitude, lon/lat, lon_ph/lat_ph, x/y (columns: {columns})"
    )]
    MissingGeometry { location: String, columns: String },

    /// Coordinates in a reference system Floe cannot draw without reprojection.
    #[error(
        "{location}: unsupported CRS {crs} on column `{column}`: Floe reads geographic lon/lat \
         (OGC:CRS84, EPSG:4326, EPSG:7912); reproject the file first"
    )]
    UnsupportedCrs { location: String, column: String, crs: String },

    /// A geometry value that cannot be decoded.
    #[error("{location}: bad geometry in column `{column}`, row {row}: {message}")]
    Geometry { location: String, column: String, row: usize, message: String },

    /// A requested column does not exist or has a type that cannot be used.
    #[error("{location}: column `{column}`: {message}")]
    Column {
        location: String,
        column: String,
        message: String,
        /// The arrow error behind it, when there is one (the message already says it for people).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// An HDF5 file whose structures are broken (truncated, bad signature, inconsistent sizes).
    #[error("{location}: bad HDF5 data in {object}: {message}")]
    Hdf5 { location: String, object: String, message: String },

    /// A path that names no group or dataset of an HDF5 file.
    #[error("{location}: no group or dataset {object}")]
    NotFound { location: String, object: String },

    /// A valid HDF5 file using something this reader does not implement.
    #[error("{location}: unsupported HDF5 feature: {what} in {object}")]
    Unsupported { location: String, object: String, what: String },

    /// An area-of-interest file that cannot be used.
    #[error("{location}: not a usable area of interest: {message}")]
    Aoi { location: String, message: String },

    /// Something the caller asked for is malformed (a filter, a URL).
    #[error("{0}")]
    Invalid(String),

    /// A reader's worker stopped on a panic (a bug in Floe): the read fails instead of ending short.
    #[error("{location}: reading stopped on an internal error ({message}); the read is incomplete")]
    Panicked { location: String, message: String },

    /// Loading was cancelled by the user.
    #[error("{location}: cancelled")]
    Cancelled { location: String },
}

pub type Result<T, E = IoError> = std::result::Result<T, E>;

/// The text a panic carried (`panic!("…")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

thread_local! {
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True while this thread runs code whose panics Floe catches and reports as errors (the parquet crate's decoder on
/// malformed data): a panic hook can keep quiet about those instead of printing a crash report for a bad file.
pub fn panic_is_caught() -> bool {
    CATCHING.with(std::cell::Cell::get)
}

/// Runs `f` marked as one whose panics are caught (see [`panic_is_caught`]).
pub(crate) fn catching<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            CATCHING.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(CATCHING.with(|c| c.replace(true)));
    f()
}
