//! Guards for the files Floe writes (`floe subset`, `floe render`, the viewer's exports): an output is never one
//! of the inputs, and an existing file is replaced only when the user said so.

use std::path::Path;

/// Why an output path cannot be written.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The output is one of the inputs (the same file, or a hard link or symlink to it).
    IsInput(String),
    /// The output exists and replacing it was not asked for.
    Exists,
    /// The output names a directory.
    IsDirectory,
}

impl Refusal {
    /// The message for the command line, where `--force` is how to replace a file.
    pub fn cli_message(&self, out: &Path) -> String {
        let out = out.display();
        match self {
            Self::IsInput(input) => format!(
                "{out}: this output is the input {input} (the same file); writing it would destroy the input: \
                 choose another output path"
            ),
            Self::Exists => format!("{out} exists: pass --force to replace it"),
            Self::IsDirectory => format!("{out} is a directory: give a file name to write"),
        }
    }
}

/// A command that selected nothing: not a failure to read, but not what the user asked for either. `floe`
/// exits with [`EmptyOutput::EXIT_CODE`] so scripts can tell it from an error.
#[derive(Debug)]
pub struct EmptyOutput(pub String);

impl EmptyOutput {
    pub const EXIT_CODE: i32 = 3;
}

impl std::fmt::Display for EmptyOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EmptyOutput {}

/// Checks that `out` may be written: not one of `inputs` (local paths; URLs and `sample` are skipped), not a
/// directory, and not an existing file unless `replace`.
pub fn check(out: &Path, inputs: &[&str], replace: bool) -> Result<(), Refusal> {
    let Ok(out_meta) = std::fs::metadata(out) else {
        // Nothing there (or nothing reachable through a dangling symlink): no input can be destroyed.
        return Ok(());
    };
    if out_meta.is_dir() {
        return Err(Refusal::IsDirectory);
    }
    for input in inputs {
        if input.contains("://") {
            continue;
        }
        if let Ok(input_meta) = std::fs::metadata(input)
            && same_file(out, &out_meta, Path::new(input), &input_meta)
        {
            return Err(Refusal::IsInput((*input).to_owned()));
        }
    }
    if !replace {
        return Err(Refusal::Exists);
    }
    Ok(())
}

/// Whether two paths name one file: the same device and inode (which also catches hard links and symlinks).
#[cfg(unix)]
fn same_file(_: &Path, a: &std::fs::Metadata, _: &Path, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &Path, _: &std::fs::Metadata, b: &Path, _: &std::fs::Metadata) -> bool {
    matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_is_never_an_output_even_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("granule.h5");
        std::fs::write(&input, b"data").unwrap();
        let hard = dir.path().join("hard.h5");
        std::fs::hard_link(&input, &hard).unwrap();
        let soft = dir.path().join("soft.h5");
        std::os::unix::fs::symlink(&input, &soft).unwrap();
        let name = input.to_str().unwrap();
        for out in [&input, &hard, &soft] {
            assert_eq!(check(out, &[name], true), Err(Refusal::IsInput(name.to_owned())), "{}", out.display());
        }
        let other = dir.path().join("other.parquet");
        assert_eq!(check(&other, &[name], false), Ok(()));
        std::fs::write(&other, b"old").unwrap();
        assert_eq!(check(&other, &[name], false), Err(Refusal::Exists));
        assert_eq!(check(&other, &[name], true), Ok(()));
        assert_eq!(check(dir.path(), &[name], true), Err(Refusal::IsDirectory));
        assert_eq!(
            Refusal::Exists.cli_message(Path::new("out.parquet")),
            "out.parquet exists: pass --force to replace it"
        );
    }
}
