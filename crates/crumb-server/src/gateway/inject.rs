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
//! Windows-125x, Shift_JIS…) keeps its bytes: nothing is transcoded. UTF-16
//! pages are not touched ([`is_utf16`]).
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

/// Whether a `Content-Type` names UTF-16 (whose bytes the ASCII tag would corrupt).
pub fn is_utf16(content_type: &[u8]) -> bool {
    content_type.to_ascii_lowercase().windows(6).any(|w| w == b"utf-16")
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
    tag: Vec<u8>,
    marker: Vec<u8>,
    held: Vec<u8>,
    decided: bool,
    decoder: Decoder,
}

impl Injector {
    /// An injector for crumb under `prefix`, decoding `encoding`.
    pub fn new(prefix: &str, encoding: Encoding) -> Self {
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
        let place = match place_of_tag(&self.held, &self.marker, end) {
            Place::Undecided if self.held.len() > HOLD_LIMIT => Place::At(0),
            place => place,
        };
        match place {
            Place::Undecided => Vec::new(),
            Place::Nowhere => {
                self.decided = true;
                std::mem::take(&mut self.held)
            }
            Place::At(offset) => {
                self.decided = true;
                let mut out = std::mem::take(&mut self.held);
                out.splice(offset..offset, self.tag.iter().copied());
                out
            }
        }
    }
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
        let mut injector = Injector::new("/_crumb", encoding);
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
        let mut injector = Injector::new("/_crumb", Encoding::Gzip);
        let pushed = injector.push(b"this is not gzip at all");
        assert!(pushed.is_err() || injector.finish().is_err());
    }

    #[test]
    fn a_page_without_any_landmark_is_held_only_up_to_the_limit() {
        let mut injector = Injector::new("/_crumb", Encoding::Identity);
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
