//! Bounds on what a column chunk's pages make the parquet crate allocate and inflate, checked before it decodes
//! them.
//!
//! The parquet crate sizes each page's output buffer from the header's `uncompressed_page_size` (up to 2 GiB from
//! a few bytes of header), and its gzip, brotli and LZ4-frame decoders read to the end of the stream whatever the
//! header says; a brotli stream a few KB long can expand to gigabytes. Here every page's claim must be one its codec
//! can reach from the page's compressed bytes and stay under a platform cap, and pages of those three codecs are
//! inflated once into a sink, stopping one byte past the claim. That second inflate costs CPU on gzip, brotli and
//! LZ4-frame files only (snappy and zstd, what GeoParquet writers use, decode into buffers of the claimed size).

use std::io::Read;

use parquet::basic::Compression;

use super::thrift_check::{Page, pages};

/// No page of point data comes near this; one that claims more is refused before anything is allocated.
const MAX_PAGE_BYTES: i64 = 1 << 30;

/// Small pages carry a few bytes of framing that a ratio does not cover.
const SLACK_BYTES: i64 = 1024;

/// How many bytes each compressed byte can become, at most, in the codecs whose decoders the parquet crate sizes
/// by the header; `None` where only the platform cap bounds the claim (the decoder stops at the claim, or the stream
/// is inflated here first).
fn max_ratio(codec: Compression) -> Option<i64> {
    match codec {
        // A snappy copy of 64 bytes takes 3.
        Compression::SNAPPY => Some(32),
        // An LZ4 match grows by 255 bytes per length byte.
        Compression::LZ4 | Compression::LZ4_RAW => Some(256),
        // Deflate's longest match, 258 bytes, in under 2 bits: 1032 to 1.
        Compression::GZIP(_) => Some(1032),
        _ => None,
    }
}

/// Checks every page of a column chunk compressed with `codec`.
pub fn check(chunk: &[u8], codec: Compression) -> Result<(), String> {
    for page in pages(chunk)? {
        check_page(chunk, &page, codec)?;
    }
    Ok(())
}

fn check_page(chunk: &[u8], page: &Page, codec: Compression) -> Result<(), String> {
    let at = page.at;
    let (claimed, compressed) = (page.header.uncompressed.unwrap_or(0), page.header.compressed.unwrap_or(0));
    if !(0..=MAX_PAGE_BYTES).contains(&claimed) {
        return Err(format!("page at byte {at} of its column chunk claims {claimed} bytes uncompressed"));
    }
    if codec == Compression::UNCOMPRESSED || !page.header.body_compressed {
        return Ok(());
    }
    let levels = page.header.levels.clamp(0, compressed);
    let (body_claimed, body_compressed) = (claimed.saturating_sub(levels), compressed - levels);
    if let Some(ratio) = max_ratio(codec)
        && body_claimed > body_compressed.saturating_mul(ratio).saturating_add(SLACK_BYTES)
    {
        return Err(format!(
            "page at byte {at} of its column chunk claims {claimed} bytes uncompressed from {compressed} compressed \
             bytes, more than {codec} expands to"
        ));
    }
    let body = chunk.get(page.body.start.saturating_add(levels as usize)..page.body.end).unwrap_or_default();
    let limit = body_claimed as u64;
    let inflated = match codec {
        Compression::GZIP(_) => inflated_size(flate2::read::MultiGzDecoder::new(body), limit),
        Compression::BROTLI(_) => inflated_size(brotli::Decompressor::new(body, 4096), limit),
        Compression::LZ4 => inflated_size(lz4_flex::frame::FrameDecoder::new(body), limit),
        _ => return Ok(()),
    };
    match inflated {
        // The parquet crate reads the LZ4 codec as Hadoop's framing first, then as a frame: a body that is not a
        // frame is left to it (its Hadoop and raw decoders stop at the claim).
        Err(_) if codec == Compression::LZ4 => Ok(()),
        Err(e) => Err(format!("page at byte {at} of its column chunk does not decompress: {e}")),
        Ok(n) if n > limit => Err(format!(
            "page at byte {at} of its column chunk decompresses to more than the {claimed} bytes its header claims"
        )),
        Ok(_) => Ok(()),
    }
}

/// Inflates into a sink, stopping one byte past `limit`.
fn inflated_size(decoder: impl Read, limit: u64) -> std::io::Result<u64> {
    std::io::copy(&mut decoder.take(limit.saturating_add(1)), &mut std::io::sink())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A data page header (type 0) with these sizes, then `body`.
    fn page(uncompressed: i64, body: &[u8]) -> Vec<u8> {
        fn varint(mut n: u64, out: &mut Vec<u8>) {
            while n >= 0x80 {
                out.push(n as u8 | 0x80);
                n >>= 7;
            }
            out.push(n as u8);
        }
        let zigzag = |n: i64| ((n << 1) ^ (n >> 63)) as u64;
        let mut bytes = vec![0x15, 0x00, 0x15];
        varint(zigzag(uncompressed), &mut bytes);
        bytes.push(0x15);
        varint(zigzag(body.len() as i64), &mut bytes);
        bytes.push(0x00);
        bytes.extend_from_slice(body);
        bytes
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn claims_beyond_the_codec_or_the_cap_are_refused() {
        let gzip_codec = Compression::GZIP(Default::default());
        assert_eq!(
            check(&page(2_000_000_000, &[0; 100]), Compression::ZSTD(Default::default())).unwrap_err(),
            "page at byte 0 of its column chunk claims 2000000000 bytes uncompressed"
        );
        assert_eq!(
            check(&page(100_000, &[0; 100]), Compression::SNAPPY).unwrap_err(),
            "page at byte 0 of its column chunk claims 100000 bytes uncompressed from 100 compressed bytes, more \
             than SNAPPY expands to"
        );
        assert_eq!(check(&page(4224, &[0; 100]), Compression::SNAPPY), Ok(()));
        assert_eq!(
            check(&page(-1, &[0; 100]), Compression::SNAPPY).unwrap_err(),
            "page at byte 0 of its column chunk claims -1 bytes uncompressed"
        );
        let zeros = gzip(&[0; 100_000]);
        assert_eq!(check(&page(100_000, &zeros), gzip_codec), Ok(()));
        assert_eq!(
            check(&[page(100_000, &zeros), page(99_999, &zeros)].concat(), gzip_codec).unwrap_err(),
            format!(
                "page at byte {} of its column chunk decompresses to more than the 99999 bytes its header claims",
                page(100_000, &zeros).len()
            )
        );
        assert_eq!(
            check(&page(10, b"this is not a gzip stream"), gzip_codec).unwrap_err(),
            "page at byte 0 of its column chunk does not decompress: invalid gzip header"
        );
        // Uncompressed pages are handed over as they are: nothing to bound.
        assert_eq!(check(&page(5000, &[0; 100]), Compression::UNCOMPRESSED), Ok(()));
    }

    #[test]
    fn a_brotli_bomb_is_stopped_at_its_claim() {
        // 64 MiB of zeros in a few hundred bytes of brotli, in a page that claims 1 MiB.
        let mut bomb = Vec::new();
        {
            let mut encoder = brotli::CompressorWriter::new(&mut bomb, 4096, 5, 22);
            let zeros = vec![0u8; 1 << 20];
            for _ in 0..64 {
                encoder.write_all(&zeros).unwrap();
            }
        }
        assert!(bomb.len() < 4096, "{}", bomb.len());
        let codec = Compression::BROTLI(Default::default());
        assert_eq!(
            check(&page(1 << 20, &bomb), codec).unwrap_err(),
            "page at byte 0 of its column chunk decompresses to more than the 1048576 bytes its header claims"
        );
        assert_eq!(check(&page(64 << 20, &bomb), codec), Ok(()));
    }
}
