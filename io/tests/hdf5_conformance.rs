//! Every dataset of every file under ../shared/data/hdf5 either reads exactly what h5py reads (bit-exact:
//! SHA-256 of the little-endian values; strings equal) or fails with `unsupported HDF5 feature: …`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use floe_io::IoError;
use floe_io::hdf5::Hdf5File;
use floe_io::source::StoreLocation;
use serde_json::Value;
use sha2::{Digest, Sha256};

async fn open(path: &std::path::Path) -> floe_io::Result<Hdf5File> {
    let location = StoreLocation::parse(path.to_str().unwrap())?;
    let source = location.open(&location.path, path.display().to_string()).await?;
    Hdf5File::open(Arc::new(source)).await
}

#[tokio::test]
async fn every_dataset_matches_h5py_or_is_reported_unsupported() {
    let oracle: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixtures().join("oracle_hdf5.json")).unwrap()).unwrap();
    let root = common::shared_geoparquet().join("../hdf5");
    let (mut total, mut identical, mut unsupported) = (0, 0, 0);
    // Datasets h5py itself cannot read: nothing to compare against.
    let mut unverifiable = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for (name, datasets) in oracle.as_object().unwrap() {
        let datasets = datasets.as_object().unwrap();
        if datasets.contains_key("__open_error__") {
            continue;
        }
        let path = match name.strip_prefix("generated/") {
            Some(generated) => common::fixtures().join("hdf5").join(generated),
            None => root.join(name),
        };
        let file = match open(&path).await {
            Ok(file) => file,
            Err(IoError::Unsupported { what, .. }) => {
                total += datasets.len();
                unsupported += datasets.len();
                *reasons.entry(what).or_default() += datasets.len();
                continue;
            }
            Err(e) => {
                total += datasets.len();
                mismatches.push(format!("{name}: cannot open: {e}"));
                continue;
            }
        };
        for (path, expected) in datasets {
            total += 1;
            let result = file.read_path(path).await;
            match (result, expected) {
                (Err(IoError::Unsupported { what, .. }), _) => {
                    unsupported += 1;
                    *reasons.entry(what).or_default() += 1;
                }
                (Err(e), expected) if expected.get("error").is_some() => {
                    mismatches
                        .push(format!("{name}{path}: h5py cannot read it either ({}), Floe: {e}", expected["error"]));
                }
                (Err(e), _) => mismatches.push(format!("{name}{path}: {e}")),
                (Ok(_), expected) if expected.get("error").is_some() => {
                    unverifiable.push(format!("{name}{path} (h5py: {})", expected["error"]));
                }
                (Ok(values), expected) => {
                    let ok = if let Some(hash) = expected.get("sha256").and_then(Value::as_str) {
                        values.to_le_bytes().is_some_and(|bytes| format!("{:x}", Sha256::digest(&bytes)) == hash)
                    } else if let Some(strings) = expected.get("strings").and_then(Value::as_array) {
                        let want: Vec<&str> = strings.iter().filter_map(Value::as_str).collect();
                        let got = values.to_strings();
                        got.len() == want.len() && got.iter().zip(&want).all(|(a, b)| a == b)
                    } else {
                        false
                    };
                    if ok {
                        identical += 1;
                    } else {
                        mismatches.push(format!("{name}{path}: values differ from h5py ({})", expected["dtype"]));
                    }
                }
            }
        }
    }
    let summary = format!("{identical} of {total} datasets identical, {unsupported} unsupported");
    println!("{summary}");
    // `./scripts/test` prints this at the end (cargo captures the output of passing tests).
    std::fs::write(common::fixtures().join("hdf5_conformance.txt"), format!("HDF5 conformance: {summary}\n")).unwrap();
    for dataset in &unverifiable {
        println!("  unverifiable (h5py cannot read it, Floe can): {dataset}");
    }
    for (what, count) in &reasons {
        println!("  unsupported: {what}: {count}");
    }
    for mismatch in &mismatches {
        println!("  MISMATCH {mismatch}");
    }
    assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
    assert_eq!(identical + unsupported + unverifiable.len(), total);
}
