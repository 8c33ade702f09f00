//! Files written whole or not at all: every output Floe writes (GeoParquet, PNG, GeoJSON) goes through here.

use crate::error::{IoError, Result};

/// Writes `bytes` as the whole file at `path`, atomically (see [`write_file_atomically`]); returns its size.
pub fn write_bytes_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<u64> {
    let location = path.display().to_string();
    let written = write_file_atomically(path, |out| {
        std::io::Write::write_all(out, bytes).map_err(|e| IoError::Write {
            location,
            message: e.to_string(),
            source: Some(Box::new(e)),
        })
    })?;
    Ok(written.1)
}

/// Temporary files being written now: what an interrupted run (Ctrl-C, SIGTERM) removes before it exits.
#[cfg(not(target_arch = "wasm32"))]
static PENDING: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Removes every temporary file a write in progress holds: called by the CLI's interrupt handler just before the
/// process exits, so an interrupted run leaves neither a partial output nor a stray temporary file.
#[cfg(not(target_arch = "wasm32"))]
pub fn remove_pending_files() {
    if let Ok(pending) = PENDING.lock() {
        for path in pending.iter() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A temporary file listed in [`PENDING`] while it lives.
#[cfg(not(target_arch = "wasm32"))]
struct Pending(std::path::PathBuf);

#[cfg(not(target_arch = "wasm32"))]
impl Pending {
    fn new(path: &std::path::Path) -> Self {
        if let Ok(mut pending) = PENDING.lock() {
            pending.push(path.to_path_buf());
        }
        Self(path.to_path_buf())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Drop for Pending {
    fn drop(&mut self) {
        if let Ok(mut pending) = PENDING.lock() {
            pending.retain(|p| *p != self.0);
        }
    }
}

/// Writes a file atomically: `write` fills a temporary file (an unpredictable name from `tempfile`, created
/// exclusively in `path`'s directory, so a planted symlink is never followed), which is synced and renamed to
/// `path` only once complete; the directory is synced too, so the rename survives a crash. An interrupted write
/// never leaves a file that looks finished. Returns what `write` returned and the file's size.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_file_atomically<T>(
    path: &std::path::Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<T>,
) -> Result<(T, u64)> {
    let location = path.display().to_string();
    let failed = |message: String| IoError::Write { location: location.clone(), message, source: None };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    // Dropping `temp` on any early return removes the temporary file. Its name is listed as pending before the file
    // exists: an interrupt between the two would otherwise leave it behind (seen in the SIGINT test under load).
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .make_in(&directory, |path| {
            let pending = Pending::new(path);
            let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(path)?;
            Ok((file, pending))
        })
        .map_err(|e| failed(format!("cannot create a temporary file in {}: {e}", directory.display())))?;
    let ((temp_file, _pending), temp_path) = temp.into_parts();
    let mut out = std::io::BufWriter::new(temp_file);
    let written = write(&mut out)?;
    let file = out.into_inner().map_err(|e| failed(e.error().to_string()))?;
    file.sync_all().map_err(|e| failed(e.to_string()))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    drop(file);
    temp_path.persist(path).map_err(|e| failed(format!("cannot move the finished file into place: {}", e.error)))?;
    // Syncing the directory makes the rename durable; some file systems cannot sync a directory, and the file
    // itself is already complete, so a failure here is not worth failing the write for.
    if let Ok(dir) = std::fs::File::open(&directory) {
        let _ = dir.sync_all();
    }
    Ok((written, bytes))
}
