//! The script tag, put into the upstream's HTML pages as they stream by.
//!
//! Into a 2xx `text/html` response, `<script src="{prefix}/crumb.js"
//! defer></script>` goes before `</head>` (ASCII case-insensitive), else
//! right after the `<body…>` start tag, else at the very start. The start
//! of the page is held back until that place is found — at most
//! [`HOLD_LIMIT`] bytes (the head of a page is far smaller) — and then
//! everything streams through as it arrives: the body is never buffered
//! whole. A page that already references `{prefix}/crumb.js` before its
//! `</head>` is left alone. A gzip or brotli body is decoded on the way
//! (streaming decoders) and sent as identity; the caller drops
//! `Content-Encoding` and `Content-Length`.
//!
//! The tag is ASCII, so any ASCII-compatible charset (UTF-8, ISO-8859-x,
//! Windows-125x, Shift_JIS…) keeps its bytes: nothing is transcoded. A
//! UTF-16 page ([`Width::of`] its `Content-Type`; a byte order mark decides
//! between little- and big-endian, as the WHATWG Encoding standard's BOM
//! sniffing does) is searched code unit by code unit and gets the tag in
//! UTF-16 of its byte order.
//!
//! What it is not: an HTML parser. A `</head>` inside a comment or a
//! script string before the real one receives the tag there.

use std::io::Write as _;

use axum::body::{Body, Bytes};
use futures_util::StreamExt as _;

/// The most bytes held back while looking for the place of the tag.
pub const HOLD_LIMIT: usize = 64 * 1024;

/// How the upstream encoded the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// No content coding.
    Identity,
    /// `gzip` (RFC 9110 §8.4.1.3).
    Gzip,
    /// `br` (RFC 7932).
    Brotli,
}

impl Encoding {
    /// The coding a `Content-Encoding` value names, if one this module decodes.
    pub fn from_header(value: Option<&[u8]>) -> Option<Encoding> {
        match value.map(|v| v.trim_ascii().to_ascii_lowercase()) {
            None => Some(Encoding::Identity),
            Some(v) if v.is_empty() || v == b"identity" => Some(Encoding::Identity),
            Some(v) if v == b"gzip" || v == b"x-gzip" => Some(Encoding::Gzip),
            Some(v) if v == b"br" => Some(Encoding::Brotli),
            Some(_) => None,
        }
    }
}

/// How a page's characters are laid out in bytes, as far as finding ASCII
/// markup and writing the tag are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// One byte per ASCII character: every ASCII-compatible charset.
    Bytes,
    /// UTF-16, little-endian code units.
    Utf16Le,
    /// UTF-16, big-endian code units.
    Utf16Be,
}

impl Width {
    /// The layout a `Content-Type` names: UTF-16 for a `utf-16`, `utf-16le`
    /// or `utf-16be` charset (plain `utf-16` is little-endian, as the WHATWG
    /// Encoding standard maps the label), one byte per character otherwise.
    pub fn of(content_type: &[u8]) -> Width {
        let lower = content_type.to_ascii_lowercase();
        if lower.windows(8).any(|w| w == b"utf-16be") {
            Width::Utf16Be
        } else if lower.windows(6).any(|w| w == b"utf-16") {
            Width::Utf16Le
        } else {
            Width::Bytes
        }
    }

    /// A byte order mark at the start of `bytes` overrides a UTF-16 label's
    /// byte order (WHATWG Encoding §6, "BOM sniff").
    fn sniffed(self, bytes: &[u8]) -> Width {
        match (self, bytes) {
            (Width::Bytes, _) => Width::Bytes,
            (_, [0xFF, 0xFE, ..]) => Width::Utf16Le,
            (_, [0xFE, 0xFF, ..]) => Width::Utf16Be,
            (width, _) => width,
        }
    }

    /// Bytes per code unit.
    fn unit(self) -> usize {
        match self {
            Width::Bytes => 1,
            Width::Utf16Le | Width::Utf16Be => 2,
        }
    }

    /// ASCII text in this layout.
    fn encode(self, ascii: &[u8]) -> Vec<u8> {
        match self {
            Width::Bytes => ascii.to_vec(),
            Width::Utf16Le => ascii.iter().flat_map(|&b| [b, 0]).collect(),
            Width::Utf16Be => ascii.iter().flat_map(|&b| [0, b]).collect(),
        }
    }

    /// One byte per code unit of `bytes` (whole units only): the unit
    /// itself when it is ASCII, else 0xFF, which no markup this module
    /// looks for contains. Offsets in it times [`Width::unit`] are offsets
    /// in `bytes`.
    fn project(self, bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
        let ascii = |low: u8, high: u8| if high == 0 && low < 0x80 { low } else { 0xFF };
        match self {
            Width::Bytes => std::borrow::Cow::Borrowed(bytes),
            Width::Utf16Le => bytes.chunks_exact(2).map(|u| ascii(u[0], u[1])).collect(),
            Width::Utf16Be => bytes.chunks_exact(2).map(|u| ascii(u[1], u[0])).collect(),
        }
    }
}

/// Whether a `Content-Type` is HTML.
pub fn is_html(content_type: &[u8]) -> bool {
    let lower = content_type.to_ascii_lowercase();
    let media = lower.split(|b| *b == b';').next().unwrap_or_default();
    media.trim_ascii() == b"text/html"
}

enum Decoder {
    Identity,
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Vec<u8>>>),
}

impl Decoder {
    fn decode(&mut self, chunk: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Decoder::Identity => Ok(chunk.to_vec()),
            Decoder::Gzip(decoder) => {
                decoder.write_all(chunk)?;
                decoder.flush()?;
                Ok(std::mem::take(decoder.get_mut()))
            }
            Decoder::Brotli(decoder) => {
                decoder.write_all(chunk)?;
                decoder.flush()?;
                Ok(std::mem::take(decoder.get_mut()))
            }
        }
    }

    fn finish(&mut self) -> std::io::Result<Vec<u8>> {
        match self {
            Decoder::Identity => Ok(Vec::new()),
            Decoder::Gzip(decoder) => {
                decoder.try_finish()?;
                Ok(std::mem::take(decoder.get_mut()))
            }
            Decoder::Brotli(decoder) => {
                decoder.close()?;
                Ok(std::mem::take(decoder.get_mut()))
            }
        }
    }
}

/// Where the tag goes, once known.
#[derive(Debug, PartialEq, Eq)]
enum Place {
    /// Not known yet: hold on.
    Undecided,
    /// At this offset of what is held.
    At(usize),
    /// Nowhere: the page has the tag already.
    Nowhere,
}

/// The streaming injector for one response body.
pub struct Injector {
    /// The tag, as ASCII; written in `width` when it goes in.
    tag: Vec<u8>,
    marker: Vec<u8>,
    held: Vec<u8>,
    decided: bool,
    decoder: Decoder,
    width: Width,
}

impl Injector {
    /// An injector for crumb under `prefix`, decoding `encoding`, for a
    /// page laid out as `width`.
    pub fn new(prefix: &str, encoding: Encoding, width: Width) -> Self {
        let decoder = match encoding {
            Encoding::Identity => Decoder::Identity,
            Encoding::Gzip => Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(Vec::new()))),
            Encoding::Brotli => {
                Decoder::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(Vec::new(), 4096)))
            }
        };
        Injector {
            tag: format!("<script src=\"{prefix}/crumb.js\" defer></script>").into_bytes(),
            marker: format!("{prefix}/crumb.js").to_ascii_lowercase().into_bytes(),
            held: Vec::new(),
            decided: false,
            decoder,
            width,
        }
    }

    /// Takes the next chunk of the body; returns what may go out now.
    pub fn push(&mut self, chunk: &[u8]) -> std::io::Result<Vec<u8>> {
        let decoded = self.decoder.decode(chunk)?;
        if self.decided {
            return Ok(decoded);
        }
        self.held.extend_from_slice(&decoded);
        Ok(self.release(false))
    }

    /// The body ended; returns the rest.
    pub fn finish(&mut self) -> std::io::Result<Vec<u8>> {
        let rest = self.decoder.finish()?;
        if self.decided {
            return Ok(rest);
        }
        self.held.extend_from_slice(&rest);
        Ok(self.release(true))
    }

    fn release(&mut self, end: bool) -> Vec<u8> {
        if self.width != Width::Bytes && self.held.len() < 2 && !end {
            return Vec::new();
        }
        self.width = self.width.sniffed(&self.held);
        let place = match place_of_tag(&self.width.project(&self.held), &self.marker, end) {
            Place::Undecided if self.held.len() > HOLD_LIMIT => Place::At(0),
            // After a byte order mark, not before it.
            Place::At(0) if self.width != Width::Bytes && self.held.get(..2).is_some_and(is_bom) => Place::At(1),
            place => place,
        };
        match place {
            Place::Undecided => Vec::new(),
            Place::Nowhere => {
                self.decided = true;
                std::mem::take(&mut self.held)
            }
            Place::At(unit) => {
                self.decided = true;
                let mut out = std::mem::take(&mut self.held);
                let offset = unit * self.width.unit();
                out.splice(offset..offset, self.width.encode(&self.tag));
                out
            }
        }
    }
}

fn is_bom(bytes: &[u8]) -> bool {
    bytes == [0xFF, 0xFE] || bytes == [0xFE, 0xFF]
}

/// The first `needle` (lower-case ASCII) in `hay`, ASCII case-insensitive.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|window| window.eq_ignore_ascii_case(needle))
}

/// The first start or end tag `<name` (`needle`) followed by `>`, `/` or
/// white space (so `</head` does not match `</header>`); `None` also when
/// the byte after it has not arrived yet.
fn find_tag(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = find(&hay[from..], needle) {
        let at = from + found;
        match hay.get(at + needle.len()) {
            Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') => return Some(at),
            Some(_) => from = at + 1,
            None => return None,
        }
    }
    None
}

fn place_of_tag(held: &[u8], marker: &[u8], end: bool) -> Place {
    let head_end = find_tag(held, b"</head");
    let tagged = find(held, marker);
    if let Some(tagged) = tagged {
        if head_end.is_none_or(|head_end| tagged < head_end) {
            return Place::Nowhere;
        }
    }
    if let Some(head_end) = head_end {
        return Place::At(head_end);
    }
    if let Some(body) = find_tag(held, b"<body") {
        if let Some(close) = held[body..].iter().position(|b| *b == b'>') {
            return Place::At(body + close + 1);
        }
    }
    if end {
        Place::At(0)
    } else {
        Place::Undecided
    }
}

/// `body` with the tag put in by `injector`, streamed.
pub fn wrap(body: Body, injector: Injector) -> Body {
    let stream =
        futures_util::stream::unfold((body.into_data_stream(), Some(injector)), |(mut inner, injector)| async move {
            let mut injector = injector?;
            loop {
                let out = match inner.next().await {
                    Some(Ok(chunk)) => match injector.push(&chunk) {
                        Ok(out) if out.is_empty() => continue,
                        Ok(out) => Ok(Bytes::from(out)),
                        Err(error) => return Some((Err(error), (inner, None))),
                    },
                    Some(Err(error)) => return Some((Err(std::io::Error::other(error)), (inner, None))),
                    None => return Some((injector.finish().map(Bytes::from), (inner, None))),
                };
                return Some((out, (inner, Some(injector))));
            }
        });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn run(chunks: &[&[u8]], encoding: Encoding) -> Vec<u8> {
        let mut injector = Injector::new("/_crumb", encoding, Width::Bytes);
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend(injector.push(chunk).unwrap());
        }
        out.extend(injector.finish().unwrap());
        out
    }

    const TAG: &str = "<script src=\"/_crumb/crumb.js\" defer></script>";

    #[test]
    fn the_tag_goes_before_the_head_end_even_split_across_chunks() {
        let out =
            run(&[b"<!doctype html><HEAD><title>x</title></HE", b"AD><body>", b"hi</body></html>"], Encoding::Identity);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("<!doctype html><HEAD><title>x</title>{TAG}</HEAD><body>hi</body></html>")
        );
    }

    #[test]
    fn without_a_head_end_after_the_body_start_else_at_the_start() {
        let out = run(&[b"<header>x</header><bo", b"dy class=a>text"], Encoding::Identity);
        assert_eq!(String::from_utf8(out).unwrap(), format!("<header>x</header><body class=a>{TAG}text"));
        let out = run(&[b"just text"], Encoding::Identity);
        assert_eq!(String::from_utf8(out).unwrap(), format!("{TAG}just text"));
    }

    #[test]
    fn a_tagged_page_is_left_alone_and_bytes_of_other_charsets_are_kept() {
        let page = format!("<head>{}</head><body></body>", TAG.replace("/_crumb", "/_CRUMB"));
        assert_eq!(run(&[page.as_bytes()], Encoding::Identity), page.as_bytes());
        let latin1 = b"<head><title>Caf\xe9</title></head>";
        let out = run(&[latin1], Encoding::Identity);
        assert!(out.ends_with(b"Caf\xe9</title><script src=\"/_crumb/crumb.js\" defer></script></head>"));
    }

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let units = (bom.then_some(0xFEFF)).into_iter().chain(text.encode_utf16());
        units.flat_map(|u| if big_endian { u.to_be_bytes() } else { u.to_le_bytes() }).collect()
    }

    #[test]
    fn utf16_pages_get_the_tag_in_utf16_of_their_byte_order() {
        let page = "<head><title>Café ☕</title></head><body>x</body>";
        let expected = page.replace("</head>", &format!("{TAG}</head>"));
        for (label, big_endian, bom) in [
            (b"text/html; charset=utf-16le".as_slice(), false, false),
            (b"text/html; charset=UTF-16BE", true, false),
            (b"text/html; charset=utf-16", false, true),
            (b"text/html; charset=utf-16", true, true),
        ] {
            let width = Width::of(label);
            assert_ne!(width, Width::Bytes);
            let bytes = utf16(page, big_endian, bom);
            let mut injector = Injector::new("/_crumb", Encoding::Identity, width);
            let mut out = Vec::new();
            // Odd chunks: a code unit split across two of them.
            for chunk in bytes.chunks(5) {
                out.extend(injector.push(chunk).unwrap());
            }
            out.extend(injector.finish().unwrap());
            assert_eq!(out, utf16(&expected, big_endian, bom), "{}", String::from_utf8_lossy(label));
        }
        // No landmark: after the byte order mark, not before it.
        let mut injector = Injector::new("/_crumb", Encoding::Identity, Width::Utf16Le);
        let mut out = injector.push(&utf16("text", false, true)).unwrap();
        out.extend(injector.finish().unwrap());
        assert_eq!(out, utf16(&format!("{TAG}text"), false, true));
        assert_eq!(Width::of(b"text/html; charset=utf-8"), Width::Bytes);
    }

    #[test]
    fn gzip_bodies_are_decoded_and_injected() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"<!doctype html><head></head><body>x</body></html>").unwrap();
        let compressed = encoder.finish().unwrap();
        let (a, b) = compressed.split_at(7);
        let out = run(&[a, b], Encoding::Gzip);
        assert_eq!(String::from_utf8(out).unwrap(), format!("<!doctype html><head>{TAG}</head><body>x</body></html>"));
    }

    #[test]
    fn brotli_bodies_are_decoded_and_injected() {
        let mut compressed = Vec::new();
        {
            let mut encoder = brotli::CompressorWriter::new(&mut compressed, 4096, 5, 22);
            encoder.write_all(b"<!doctype html><head></head><body>x</body></html>").unwrap();
        }
        let chunks: Vec<&[u8]> = compressed.chunks(3).collect();
        let out = run(&chunks, Encoding::Brotli);
        assert_eq!(String::from_utf8(out).unwrap(), format!("<!doctype html><head>{TAG}</head><body>x</body></html>"));
    }

    #[test]
    fn a_corrupt_gzip_body_is_an_error_not_a_panic() {
        let mut injector = Injector::new("/_crumb", Encoding::Gzip, Width::Bytes);
        let pushed = injector.push(b"this is not gzip at all");
        assert!(pushed.is_err() || injector.finish().is_err());
    }

    #[test]
    fn a_page_without_any_landmark_is_held_only_up_to_the_limit() {
        let mut injector = Injector::new("/_crumb", Encoding::Identity, Width::Bytes);
        let filler = vec![b'a'; HOLD_LIMIT / 2];
        assert!(injector.push(&filler).unwrap().is_empty());
        let out = injector.push(&filler).unwrap();
        assert!(out.is_empty());
        let out = injector.push(b"b").unwrap();
        assert_eq!(out.len(), HOLD_LIMIT + 1 + TAG.len());
        assert!(out.starts_with(TAG.as_bytes()));
        assert_eq!(injector.push(b"tail").unwrap(), b"tail");
    }
}
