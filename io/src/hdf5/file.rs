//! The top of the reader: an open HDF5 file. Paths are resolved through groups, object headers are parsed once
//! and cached, and datasets (`dataset.rs`) and attributes are read from here.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::H5Result;
use super::group::{self, Link};
use super::message::{self, AttributeValue};
use super::object_header::{NodeKind, ObjectHeader};
use super::reader::Reader;
use crate::error::{IoError, Result};
use crate::source::ByteSource;

/// One entry of a tree walk.
#[derive(Clone, Debug)]
pub struct Node {
    pub path: String,
    pub kind: NodeKind,
    pub address: u64,
}

pub struct Hdf5File {
    pub location: Arc<str>,
    pub(super) reader: Reader,
    root: u64,
    pub superblock_version: u8,
    headers: Mutex<HashMap<u64, Arc<ObjectHeader>>>,
}

impl std::fmt::Debug for Hdf5File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hdf5File").field("location", &self.location).finish_non_exhaustive()
    }
}

impl Hdf5File {
    /// Finds and reads the superblock.
    pub async fn open(source: Arc<dyn ByteSource>) -> Result<Self> {
        let location: Arc<str> = source.location().into();
        let (reader, superblock) = Reader::open(source).await.map_err(|e| e.at(&location, "superblock"))?;
        Ok(Self {
            location,
            reader,
            root: superblock.root,
            superblock_version: superblock.version,
            headers: Mutex::default(),
        })
    }

    pub fn byte_source(&self) -> &Arc<dyn ByteSource> {
        self.reader.source()
    }

    /// The object header at `address`, parsed once.
    pub(super) async fn object_header(&self, address: u64) -> H5Result<Arc<ObjectHeader>> {
        if let Some(header) = self.headers.lock().ok().and_then(|h| h.get(&address).cloned()) {
            return Ok(header);
        }
        let header = Arc::new(ObjectHeader::read(&self.reader, address).await?);
        if let Ok(mut headers) = self.headers.lock() {
            headers.insert(address, Arc::clone(&header));
        }
        Ok(header)
    }

    /// Resolves `/a/b/c` to an object header address.
    pub async fn resolve(&self, path: &str) -> Result<u64> {
        let mut address = self.root;
        let mut walked = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let links = self.links_of(address, if walked.is_empty() { "/" } else { &walked }).await?;
            walked.push('/');
            walked.push_str(part);
            let link = links
                .into_iter()
                .find(|l| l.name == part)
                .ok_or_else(|| IoError::NotFound { location: self.location.to_string(), object: walked.clone() })?;
            address = link
                .address
                .ok_or_else(|| super::H5Error::unsupported("soft or external link").at(&self.location, &walked))?;
        }
        Ok(address)
    }

    pub(super) async fn links_of(&self, address: u64, path: &str) -> Result<Vec<Link>> {
        let header = self.object_header(address).await.map_err(|e| e.at(&self.location, path))?;
        group::links(&self.reader, &header).await.map_err(|e| e.at(&self.location, path))
    }

    /// Every group and dataset, depth first, each object once (hard-link cycles are cut).
    pub async fn walk(&self) -> Result<Vec<Node>> {
        self.walk_from(self.root, String::new(), Node { path: "/".into(), kind: NodeKind::Group, address: self.root })
            .await
    }

    /// Every group and dataset under the group at `path` (the group itself first), depth first.
    pub async fn walk_under(&self, path: &str) -> Result<Vec<Node>> {
        let address = self.resolve(path).await?;
        let root = path.trim_end_matches('/').to_owned();
        self.walk_from(address, root.clone(), Node { path: root, kind: NodeKind::Group, address }).await
    }

    async fn walk_from(&self, address: u64, prefix: String, first: Node) -> Result<Vec<Node>> {
        let mut out = vec![first];
        let mut seen = HashSet::from([address]);
        let mut stack = vec![(address, prefix)];
        while let Some((address, path)) = stack.pop() {
            let mut links = self.links_of(address, if path.is_empty() { "/" } else { &path }).await?;
            links.sort_by(|a, b| b.name.cmp(&a.name));
            for link in links {
                let child = format!("{path}/{}", link.name);
                let Some(target) = link.address else {
                    out.push(Node { path: child, kind: NodeKind::Other, address: 0 });
                    continue;
                };
                let header = self.object_header(target).await.map_err(|e| e.at(&self.location, &child))?;
                let kind = header.kind();
                out.push(Node { path: child.clone(), kind: kind.clone(), address: target });
                if kind == NodeKind::Group && seen.insert(target) {
                    stack.push((target, child));
                }
            }
        }
        Ok(out)
    }

    /// Attributes of the object at `path`.
    pub async fn attributes(&self, path: &str) -> Result<Vec<(String, AttributeValue)>> {
        let address = self.resolve(path).await?;
        let header = self.object_header(address).await.map_err(|e| e.at(&self.location, path))?;
        message::attributes(&self.reader, &header).await.map_err(|e| e.at(&self.location, path))
    }
}
