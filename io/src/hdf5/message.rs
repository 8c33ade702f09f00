//! Object header messages: splitting a header into messages, and decoding the ones the reader uses.

use bytes::Bytes;

use super::cursor::Cursor;
use super::dtype::{Dtype, Values};
use super::file::{Hdf5File, ObjectHeader};
use super::{H5Error, H5Result};

pub const DATASPACE: u16 = 0x0001;
pub const LINK_INFO: u16 = 0x0002;
pub const DATATYPE: u16 = 0x0003;
pub const FILL_VALUE_OLD: u16 = 0x0004;
pub const FILL_VALUE: u16 = 0x0005;
pub const LINK: u16 = 0x0006;
pub const LAYOUT: u16 = 0x0008;
pub const FILTER_PIPELINE: u16 = 0x000B;
pub const ATTRIBUTE: u16 = 0x000C;
pub const CONTINUATION: u16 = 0x0010;
pub const SYMBOL_TABLE: u16 = 0x0011;
pub const ATTRIBUTE_INFO: u16 = 0x0015;

/// Message flag: the message is shared (stored elsewhere).
const SHARED: u8 = 0x02;

#[derive(Clone, Debug)]
pub(crate) struct Message {
    pub kind: u16,
    pub flags: u8,
    pub data: Bytes,
}

pub(crate) fn parse_v1_messages(
    body: &Bytes,
    file: &Hdf5File,
    messages: &mut Vec<Message>,
    continuations: &mut Vec<(u64, u64)>,
) -> H5Result<()> {
    let mut c = file.cursor(body);
    while c.remaining() >= 8 {
        let kind = c.u16()?;
        let size = usize::from(c.u16()?);
        let flags = c.u8()?;
        c.skip(3)?;
        let start = c.pos();
        c.skip(size)?;
        push(body.slice(start..start + size), kind, flags, file, messages, continuations)?;
    }
    Ok(())
}

pub(crate) fn parse_v2_messages(
    body: &Bytes,
    header_flags: u8,
    file: &Hdf5File,
    messages: &mut Vec<Message>,
    continuations: &mut Vec<(u64, u64)>,
) -> H5Result<()> {
    let mut c = file.cursor(body);
    let prefix = if header_flags & 0x04 != 0 { 6 } else { 4 };
    while c.remaining() >= prefix {
        let kind = u16::from(c.u8()?);
        let size = usize::from(c.u16()?);
        let flags = c.u8()?;
        if header_flags & 0x04 != 0 {
            c.skip(2)?;
        }
        let start = c.pos();
        c.skip(size)?;
        push(body.slice(start..start + size), kind, flags, file, messages, continuations)?;
    }
    Ok(())
}

fn push(
    data: Bytes,
    kind: u16,
    flags: u8,
    file: &Hdf5File,
    messages: &mut Vec<Message>,
    continuations: &mut Vec<(u64, u64)>,
) -> H5Result<()> {
    if kind == CONTINUATION {
        let mut c = file.cursor(&data);
        let at = c.offset()?.ok_or_else(|| H5Error::malformed("continuation to an undefined address"))?;
        continuations.push((at, c.length()?));
    } else if kind != 0 {
        messages.push(Message { kind, flags, data });
    }
    Ok(())
}

impl ObjectHeader {
    pub fn find(&self, kind: u16) -> Option<&Message> {
        self.messages.iter().find(|m| m.kind == kind)
    }
}

/// Dimensions of a dataspace; `None` for a null dataspace (no elements).
pub(crate) fn dataspace(data: &[u8], file: &Hdf5File) -> H5Result<Option<Vec<u64>>> {
    Ok(dataspace_with_max(data, file)?.map(|(dims, _)| dims))
}

/// Dimensions and maximum dimensions (`u64::MAX` for unlimited) of a dataspace.
pub(crate) fn dataspace_with_max(data: &[u8], file: &Hdf5File) -> H5Result<Option<(Vec<u64>, Vec<u64>)>> {
    let mut c = file.cursor(data);
    let version = c.u8()?;
    let rank = usize::from(c.u8()?);
    let flags = c.u8()?;
    match version {
        1 => c.skip(5)?,
        2 => {
            if c.u8()? == 2 {
                return Ok(None);
            }
        }
        other => return Err(H5Error::unsupported(format!("dataspace message version {other}"))),
    }
    let dims = (0..rank).map(|_| c.length()).collect::<H5Result<Vec<_>>>()?;
    let max = if flags & 1 != 0 {
        (0..rank)
            .map(|_| c.length().map(|m| if m == file_all_ones(file) { u64::MAX } else { m }))
            .collect::<H5Result<Vec<_>>>()?
    } else {
        dims.clone()
    };
    Ok(Some((dims, max)))
}

/// The "unlimited" value of a length field.
fn file_all_ones(file: &Hdf5File) -> u64 {
    if file.length_size >= 8 { u64::MAX } else { (1u64 << (8 * u32::from(file.length_size))) - 1 }
}

/// Decodes a datatype message (its size is returned by the cursor position for attributes).
pub(crate) fn datatype(c: &mut Cursor<'_>) -> H5Result<Dtype> {
    let class_version = c.u8()?;
    let (class, _version) = (class_version & 0x0F, class_version >> 4);
    let bits = [c.u8()?, c.u8()?, c.u8()?];
    let size = c.u32()? as usize;
    match class {
        0 => {
            c.skip(4)?; // bit offset, precision
            let big_endian = bits[0] & 1 != 0;
            let signed = bits[0] & 0x08 != 0;
            if ![1, 2, 4, 8].contains(&size) {
                return Err(H5Error::unsupported(format!("{size}-byte integer type")));
            }
            Ok(Dtype::Int { size, signed, big_endian })
        }
        1 => {
            c.skip(12)?;
            let big_endian = bits[0] & 1 != 0;
            if bits[0] & 0x40 != 0 {
                return Err(H5Error::unsupported("VAX floating-point byte order"));
            }
            if ![4, 8].contains(&size) {
                return Err(H5Error::unsupported(format!("{size}-byte floating-point type")));
            }
            Ok(Dtype::Float { size, big_endian })
        }
        3 => Ok(Dtype::FixedString { size, pad: bits[0] & 0x0F }),
        9 => {
            let kind = bits[0] & 0x0F;
            let base = datatype(c)?;
            if kind == 1 {
                Ok(Dtype::VarString)
            } else {
                Err(H5Error::unsupported(format!("variable-length sequence of {}", base.name())))
            }
        }
        2 => Err(H5Error::unsupported("time datatype")),
        4 => Err(H5Error::unsupported("bitfield datatype")),
        5 => Err(H5Error::unsupported("opaque datatype")),
        6 => Err(H5Error::unsupported("compound datatype")),
        7 => Err(H5Error::unsupported("reference datatype")),
        8 => Err(H5Error::unsupported("enumerated datatype")),
        10 => Err(H5Error::unsupported("array datatype")),
        other => Err(H5Error::unsupported(format!("datatype class {other}"))),
    }
}

pub(crate) fn header_datatype(header: &ObjectHeader, file: &Hdf5File) -> H5Result<Dtype> {
    let message = header.find(DATATYPE).ok_or_else(|| H5Error::malformed("dataset without a datatype message"))?;
    if message.flags & SHARED != 0 {
        return Err(H5Error::unsupported("shared (committed) datatype"));
    }
    datatype(&mut file.cursor(&message.data))
}

/// The fill value bytes, when the file defines one.
pub(crate) fn fill_value(header: &ObjectHeader, file: &Hdf5File) -> H5Result<Option<Vec<u8>>> {
    if let Some(message) = header.find(FILL_VALUE) {
        let mut c = file.cursor(&message.data);
        let version = c.u8()?;
        let defined = match version {
            1 | 2 => {
                c.skip(2)?;
                c.u8()? != 0
            }
            3 => {
                let flags = c.u8()?;
                flags & 0x20 != 0
            }
            other => return Err(H5Error::unsupported(format!("fill value message version {other}"))),
        };
        if defined {
            let size = c.u32()? as usize;
            return Ok(Some(c.take(size)?.to_vec()));
        }
        return Ok(None);
    }
    if let Some(message) = header.find(FILL_VALUE_OLD) {
        let mut c = file.cursor(&message.data);
        let size = c.u32()? as usize;
        return (size > 0).then(|| c.take(size).map(<[u8]>::to_vec)).transpose();
    }
    Ok(None)
}

/// A decoded attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    Numbers(Vec<f64>),
    Integers(Vec<i64>),
    Strings(Vec<String>),
    Unsupported(String),
}

impl std::fmt::Display for AttributeValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn list<T: std::fmt::Display + std::fmt::Debug>(
            f: &mut std::fmt::Formatter<'_>,
            items: &[T],
            quote: bool,
        ) -> std::fmt::Result {
            let shown: Vec<String> =
                items.iter().take(8).map(|v| if quote { format!("{v:?}") } else { v.to_string() }).collect();
            let more = if items.len() > 8 { format!(", … ({} values)", items.len()) } else { String::new() };
            if items.len() == 1 { write!(f, "{}", shown[0]) } else { write!(f, "[{}{more}]", shown.join(", ")) }
        }
        match self {
            AttributeValue::Numbers(v) => list(f, v, false),
            AttributeValue::Integers(v) => list(f, v, false),
            AttributeValue::Strings(v) => list(f, v, true),
            AttributeValue::Unsupported(what) => write!(f, "<{what}>"),
        }
    }
}

/// All attributes of an object: compact messages and the dense store.
pub(crate) async fn attributes(file: &Hdf5File, header: &ObjectHeader) -> H5Result<Vec<(String, AttributeValue)>> {
    let mut out = Vec::new();
    for message in header.messages.iter().filter(|m| m.kind == ATTRIBUTE) {
        out.push(attribute(file, &message.data).await?);
    }
    if let Some(info) = header.find(ATTRIBUTE_INFO) {
        let mut c = file.cursor(&info.data);
        c.u8()?;
        let flags = c.u8()?;
        if flags & 1 != 0 {
            c.skip(2)?;
        }
        if let Some(heap) = c.offset()? {
            let btree = c.offset()?;
            for object in super::heap::dense_objects(file, heap, btree).await? {
                out.push(attribute(file, &object).await?);
            }
        }
    }
    Ok(out)
}

async fn attribute(file: &Hdf5File, data: &[u8]) -> H5Result<(String, AttributeValue)> {
    let mut c = file.cursor(data);
    let version = c.u8()?;
    let flags = c.u8()?;
    let name_size = usize::from(c.u16()?);
    let type_size = usize::from(c.u16()?);
    let space_size = usize::from(c.u16()?);
    if version == 3 {
        c.skip(1)?;
    }
    let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
    let name_bytes = c.take(pad(name_size))?;
    let name = String::from_utf8_lossy(name_bytes.split(|b| *b == 0).next().unwrap_or_default()).into_owned();
    let type_bytes = c.take(pad(type_size))?;
    let space_bytes = c.take(pad(space_size))?;
    if flags & 0x03 != 0 {
        return Ok((name, AttributeValue::Unsupported("shared datatype or dataspace".into())));
    }
    let dtype = match datatype(&mut file.cursor(type_bytes)) {
        Ok(dtype) => dtype,
        Err(H5Error::Unsupported(what)) => return Ok((name, AttributeValue::Unsupported(what))),
        Err(e) => return Err(e),
    };
    let count = dataspace(space_bytes, file)?
        .map_or(Some(0), |dims| dims.iter().try_fold(1u64, |acc, d| acc.checked_mul(*d)))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| H5Error::malformed("attribute dataspace too large"))?;
    let bytes = c.take(c.remaining().min(count.saturating_mul(dtype.size())))?;
    // An attribute cannot hold more elements than its bytes.
    let count = count.min(bytes.len() / dtype.size().max(1));
    let values = super::dtype::decode_values(file, &dtype, bytes, count as usize).await?;
    Ok((name, attribute_value(values)))
}

/// An attribute's decoded values as the small set of kinds attributes are shown as.
fn attribute_value(values: Values) -> AttributeValue {
    match values {
        Values::F32(v) => AttributeValue::Numbers(v.into_iter().map(f64::from).collect()),
        Values::F64(v) => AttributeValue::Numbers(v),
        Values::Str(v) => AttributeValue::Strings(v),
        Values::U64(v) => AttributeValue::Integers(v.into_iter().map(|x| x as i64).collect()),
        other => AttributeValue::Integers(other.to_strings().iter().filter_map(|s| s.parse().ok()).collect()),
    }
}
