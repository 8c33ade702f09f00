//! Decoding the object header messages that describe data: dataspace, datatype, fill value and attributes.

use super::cursor::Cursor;
use super::dtype::{Dtype, Values};
use super::object_header::{ATTRIBUTE, ATTRIBUTE_INFO, DATATYPE, FILL_VALUE, FILL_VALUE_OLD, ObjectHeader};
use super::reader::Reader;
use super::{H5Error, H5Result};

/// Message flag: the message is shared (stored elsewhere).
const SHARED: u8 = 0x02;

/// Dimensions of a dataspace; `None` for a null dataspace (no elements).
pub(crate) fn dataspace(data: &[u8], file: &Reader) -> H5Result<Option<Vec<u64>>> {
    Ok(dataspace_with_max(data, file)?.map(|(dims, _)| dims))
}

/// Dimensions and maximum dimensions (`u64::MAX` for unlimited) of a dataspace.
pub(crate) fn dataspace_with_max(data: &[u8], file: &Reader) -> H5Result<Option<(Vec<u64>, Vec<u64>)>> {
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
            .map(|_| c.length().map(|m| if m == file.all_ones_length() { u64::MAX } else { m }))
            .collect::<H5Result<Vec<_>>>()?
    } else {
        dims.clone()
    };
    Ok(Some((dims, max)))
}

/// Variable-length types nest (a sequence of sequences of …): deeper than this is a crafted file, and each level
/// would be a stack frame.
const MAX_DATATYPE_DEPTH: usize = 8;

/// Decodes a datatype message (its size is returned by the cursor position for attributes).
pub(crate) fn datatype(c: &mut Cursor<'_>) -> H5Result<Dtype> {
    datatype_nested(c, 0)
}

fn datatype_nested(c: &mut Cursor<'_>, depth: usize) -> H5Result<Dtype> {
    if depth > MAX_DATATYPE_DEPTH {
        return Err(H5Error::malformed(format!("datatypes nest more than {MAX_DATATYPE_DEPTH} levels deep")));
    }
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
            let base = datatype_nested(c, depth + 1)?;
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

pub(crate) fn header_datatype(header: &ObjectHeader, file: &Reader) -> H5Result<Dtype> {
    let message = header.find(DATATYPE).ok_or_else(|| H5Error::malformed("dataset without a datatype message"))?;
    if message.flags & SHARED != 0 {
        return Err(H5Error::unsupported("shared (committed) datatype"));
    }
    datatype(&mut file.cursor(&message.data))
}

/// The fill value bytes, when the file defines one.
pub(crate) fn fill_value(header: &ObjectHeader, file: &Reader) -> H5Result<Option<Vec<u8>>> {
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
pub(crate) async fn attributes(file: &Reader, header: &ObjectHeader) -> H5Result<Vec<(String, AttributeValue)>> {
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

async fn attribute(file: &Reader, data: &[u8]) -> H5Result<(String, AttributeValue)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::object_header::Message;
    use crate::hdf5::reader::tests::reader_over;

    fn header(messages: Vec<(u16, Vec<u8>)>) -> ObjectHeader {
        ObjectHeader {
            messages: messages.into_iter().map(|(kind, data)| Message { kind, flags: 0, data: data.into() }).collect(),
        }
    }

    #[test]
    fn dataspace_versions_and_unlimited_dimensions() {
        let file = reader_over(Vec::new());
        let mut v1 = vec![1, 1, 1, 0, 0, 0, 0, 0];
        v1.extend(10u64.to_le_bytes());
        v1.extend(u64::MAX.to_le_bytes());
        assert_eq!(dataspace_with_max(&v1, &file).unwrap(), Some((vec![10], vec![u64::MAX])));
        let mut v2 = vec![2, 2, 0, 1];
        v2.extend(3u64.to_le_bytes());
        v2.extend(4u64.to_le_bytes());
        assert_eq!(dataspace(&v2, &file).unwrap(), Some(vec![3, 4]));
        assert_eq!(dataspace(&[2, 0, 0, 2], &file).unwrap(), None, "null dataspace");
        assert_eq!(
            dataspace(&[3, 0, 0, 0], &file).unwrap_err().to_string(),
            "unsupported: dataspace message version 3"
        );
    }

    #[test]
    fn nested_variable_length_types_are_bounded() {
        // A sequence of a sequence of … 1000 levels deep: an error at level 9, not 1000 stack frames.
        let mut bytes = Vec::new();
        for _ in 0..1000 {
            bytes.extend_from_slice(&[0x19, 0, 0, 0, 16, 0, 0, 0]);
        }
        let error = datatype(&mut Cursor::new(&bytes, 8, 8)).unwrap_err();
        assert_eq!(error.to_string(), "datatypes nest more than 8 levels deep");
    }

    #[test]
    fn datatype_classes() {
        let decode = |bytes: &[u8]| datatype(&mut Cursor::new(bytes, 8, 8));
        let int = [0x10, 0x08, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0];
        assert_eq!(decode(&int).unwrap(), Dtype::Int { size: 4, signed: true, big_endian: false });
        let mut float = vec![0x11, 0x21, 0x3f, 0, 8, 0, 0, 0];
        float.extend([0; 12]);
        assert_eq!(decode(&float).unwrap(), Dtype::Float { size: 8, big_endian: true });
        assert_eq!(decode(&[0x13, 0, 0, 0, 10, 0, 0, 0]).unwrap(), Dtype::FixedString { size: 10, pad: 0 });
        assert_eq!(decode(&[0x16, 0, 0, 0, 16, 0, 0, 0]).unwrap_err().to_string(), "unsupported: compound datatype");
        assert_eq!(
            decode(&[0x10, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]).unwrap_err().to_string(),
            "unsupported: 3-byte integer type"
        );
    }

    #[test]
    fn fill_value_versions() {
        let file = reader_over(Vec::new());
        let v2 = header(vec![(FILL_VALUE, vec![2, 1, 1, 1, 4, 0, 0, 0, 0xff, 0xff, 0x7f, 0x7f])]);
        assert_eq!(fill_value(&v2, &file).unwrap(), Some(vec![0xff, 0xff, 0x7f, 0x7f]));
        let v3 = header(vec![(FILL_VALUE, vec![3, 0x20, 2, 0, 0, 0, 7, 0])]);
        assert_eq!(fill_value(&v3, &file).unwrap(), Some(vec![7, 0]));
        let undefined = header(vec![(FILL_VALUE, vec![3, 0x00])]);
        assert_eq!(fill_value(&undefined, &file).unwrap(), None);
    }

    #[test]
    fn compact_attributes_decode_numbers_and_strings() {
        // Version 1 attribute messages: name, datatype and dataspace each padded to 8 bytes.
        fn attribute_message(name: &str, datatype: &[u8], value: &[u8]) -> Vec<u8> {
            let name = format!("{name}\0");
            let pad = |n: usize| n.div_ceil(8) * 8;
            let mut m = vec![1, 0];
            m.extend((name.len() as u16).to_le_bytes());
            m.extend((datatype.len() as u16).to_le_bytes());
            m.extend(8u16.to_le_bytes());
            for part in [name.as_bytes(), datatype] {
                let mut padded = part.to_vec();
                padded.resize(pad(part.len()), 0);
                m.extend(padded);
            }
            m.extend([1, 0, 0, 0, 0, 0, 0, 0]); // scalar dataspace
            m.extend(value);
            m
        }
        let mut float = vec![0x11, 0x20, 0x3f, 0, 8, 0, 0, 0];
        float.extend([0; 12]);
        let string = [0x13, 0, 0, 0, 4, 0, 0, 0];
        let object = header(vec![
            (ATTRIBUTE, attribute_message("scale", &float, &2.5f64.to_le_bytes())),
            (ATTRIBUTE, attribute_message("units", &string, b"m\0\0\0")),
        ]);
        let found = futures::executor::block_on(attributes(&reader_over(Vec::new()), &object)).unwrap();
        assert_eq!(
            found,
            vec![
                ("scale".to_owned(), AttributeValue::Numbers(vec![2.5])),
                ("units".to_owned(), AttributeValue::Strings(vec!["m".into()])),
            ]
        );
    }
}
