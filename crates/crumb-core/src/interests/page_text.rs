//! The text of an HTML page the classifier reads: its `<title>`, its
//! `<meta name="keywords">` and its `<h1>`–`<h3>` headings, and the page's
//! own opt-out markers (`data-crumb-no-interests` on `<html>` or `<body>`,
//! `<meta name="crumb-interests" content="none">`; see [`super::opt_out`]).
//!
//! A tolerant scanner, not an HTML parser: it reads tags and their
//! attributes (quoted or not), skips comments and the contents of
//! `<script>`, `<style>`, `<template>` and `<noscript>`, and decodes the
//! common character references (`&amp;`, `&#8217;`, `&#x2019;` …); it does
//! not build a tree, run scripts, or follow the HTML standard's error
//! recovery, so text a browser would move or drop may be read here.

use super::classifier::PageText;
use super::opt_out::OptOut;

/// The most headings read from one page.
pub const MAX_HEADINGS: usize = 64;
/// The most characters kept of a title, heading or keyword list.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// What the scanner found in a page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScannedPage {
    /// Title, keywords and headings (the path is left empty: the caller knows it).
    pub text: PageText,
    /// The page's own opt-out marker, if it has one.
    pub opt_out: Option<OptOut>,
}

/// Reads `html`.
pub fn scan(html: &str) -> ScannedPage {
    let mut page = ScannedPage::default();
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    let mut heading: Option<(String, String)> = None;
    while let Some(offset) = html[at..].find('<') {
        let start = at + offset;
        if let Some((_, text)) = heading.as_mut() {
            text.push_str(&html[at..start]);
        }
        let rest = &lower[start..];
        if rest.starts_with("<!--") {
            at = lower[start + 4..].find("-->").map_or(html.len(), |end| start + 4 + end + 3);
            continue;
        }
        let close = tag_close(html, start);
        let tag = &html[start + 1..close];
        at = (close + 1).min(html.len());
        if let Some(closing) = tag.strip_prefix('/') {
            let name = closing.trim().to_ascii_lowercase();
            if heading.as_ref().is_some_and(|(open, _)| *open == name) {
                if let Some((_, text)) = heading.take() {
                    push_heading(&mut page.text.headings, &text);
                }
            }
            continue;
        }
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        let (name, attributes) = split_tag(tag);
        match name.as_str() {
            "script" | "style" | "template" | "noscript" | "textarea" | "title" => {
                let close = format!("</{name}");
                let stop = lower[at..].find(&close).map_or(html.len(), |i| at + i);
                if name == "title" && page.text.title.is_empty() {
                    page.text.title = clean(&html[at..stop]);
                }
                at = if stop < html.len() { (tag_close(html, stop) + 1).min(html.len()) } else { stop };
            }
            "h1" | "h2" | "h3" => {
                if let Some((_, text)) = heading.take() {
                    push_heading(&mut page.text.headings, &text);
                }
                heading = Some((name, String::new()));
            }
            "meta" => {
                let value = |key: &str| attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned());
                let meta_name = value("name").unwrap_or_default().to_ascii_lowercase();
                let content = value("content").unwrap_or_default();
                if meta_name == "keywords" && page.text.keywords.is_empty() {
                    page.text.keywords = clean(&content);
                } else if meta_name == "crumb-interests" && content.eq_ignore_ascii_case("none") {
                    page.opt_out.get_or_insert(OptOut::Meta);
                }
            }
            "html" | "body" if attributes.iter().any(|(k, _)| k == "data-crumb-no-interests") => {
                page.opt_out.get_or_insert(OptOut::Attribute { element: name });
            }
            _ => {}
        }
    }
    if let Some((_, mut text)) = heading.take() {
        text.push_str(&html[at.min(html.len())..]);
        push_heading(&mut page.text.headings, &text);
    }
    page
}

/// Where the `>` that ends the tag starting at `start` is (quotes
/// respected), or the end of the text: a character boundary either way.
fn tag_close(html: &str, start: usize) -> usize {
    let mut quote = None;
    for (index, byte) in html.bytes().enumerate().skip(start + 1) {
        match (quote, byte) {
            (None, b'"' | b'\'') => quote = Some(byte),
            (Some(open), _) if open == byte => quote = None,
            (None, b'>') => return index,
            _ => {}
        }
    }
    html.len()
}

/// A tag's lower-case name and its attributes (lower-case names, decoded values).
fn split_tag(tag: &str) -> (String, Vec<(String, String)>) {
    let tag = tag.trim_end_matches('/');
    let name_end = tag.find(|c: char| c.is_ascii_whitespace() || c == '/').unwrap_or(tag.len());
    let name = tag[..name_end].to_ascii_lowercase();
    let mut attributes = Vec::new();
    let mut rest = &tag[name_end..];
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            break;
        }
        let key_end = rest.find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/').unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, remainder) = match after.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let close = inner.find(quote).unwrap_or(inner.len());
                    (&inner[..close], inner.get(close + 1..).unwrap_or_default())
                }
                _ => {
                    let end = after.find(|c: char| c.is_ascii_whitespace()).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            rest = remainder;
            decode(value)
        } else {
            String::new()
        };
        if key.is_empty() {
            break;
        }
        attributes.push((key, value));
    }
    (name, attributes)
}

/// Adds a heading's text (its inner tags dropped) unless there are enough.
fn push_heading(headings: &mut Vec<String>, inner: &str) {
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = clean(&text);
    if !text.is_empty() && headings.len() < MAX_HEADINGS {
        headings.push(text);
    }
}

/// Character references decoded, white space collapsed, at most [`MAX_TEXT_CHARS`].
fn clean(raw: &str) -> String {
    let decoded = decode(raw);
    let collapsed = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(MAX_TEXT_CHARS).collect()
}

/// The common character references of HTML decoded; others left as written.
fn decode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').filter(|&end| end <= 10);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let char = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => match name.strip_prefix('#') {
                    Some(hex) if hex.starts_with(['x', 'X']) => u32::from_str_radix(&hex[1..], 16).ok(),
                    Some(decimal) => decimal.parse().ok(),
                    None => None,
                }
                .and_then(char::from_u32),
            };
            char.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, length)) => {
                out.push(c);
                rest = &rest[length..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_keywords_and_headings_are_read_and_scripts_skipped() {
        let page = scan(
            "<!doctype html><html lang=en><head><title>Road  Bikes &amp; Helmets</title>\
             <meta content=\"bikes, cycling\" name=\"Keywords\"><script>var t = '<h1>no</h1>';</script>\
             <style>h1 { color: red }</style></head><body><!-- <h2>hidden</h2> -->\
             <h1 class=big>Carbon <em>road</em> bikes</h1><p>text</p><H2>Frames</H2><h3>Wheels &#8217;25</h3>\
             <h4>not read</h4></body></html>",
        );
        assert_eq!(page.text.title, "Road Bikes & Helmets");
        assert_eq!(page.text.keywords, "bikes, cycling");
        assert_eq!(page.text.headings, ["Carbon road bikes", "Frames", "Wheels \u{2019}25"]);
        assert_eq!(page.opt_out, None);
    }

    #[test]
    fn the_page_s_own_markers_opt_it_out() {
        assert_eq!(
            scan("<html data-crumb-no-interests><title>x</title>").opt_out,
            Some(OptOut::Attribute { element: "html".into() })
        );
        assert_eq!(
            scan("<body class='a' DATA-CRUMB-NO-INTERESTS=\"\">").opt_out,
            Some(OptOut::Attribute { element: "body".into() })
        );
        assert_eq!(scan("<meta name=\"crumb-interests\" content=\"None\">").opt_out, Some(OptOut::Meta));
        assert_eq!(scan("<meta name=\"crumb-interests\" content=\"all\">").opt_out, None);
        assert_eq!(scan("<div data-crumb-no-interests>").opt_out, None, "only <html> or <body>");
    }

    #[test]
    fn broken_html_is_read_as_far_as_it_goes() {
        let page = scan("<title>Open <h1>Unclosed heading <b>bold");
        assert_eq!(page.text.title, "Open <h1>Unclosed heading <b>bold");
        assert_eq!(scan("<h1>Unclosed <b>bold").text.headings, ["Unclosed bold"]);
        assert_eq!(scan("<meta name=keywords content=a&b>").text.keywords, "a&b");
        assert_eq!(scan("").text, PageText::default());
        let sample = "<html data-x='é'><title>Crème &amp; brûlée</title><!-- é --><script>é</script>\
                      <meta name=keywords content=\"tarte, café\"><h1>Café <b>noir</b></h1><h2>Thé&#233;</h2>";
        let whole = scan(sample);
        assert_eq!(whole.text.headings, ["Café noir", "Théé"]);
        // Every prefix, cut at any character, reads without a panic and finds no more than the whole.
        for (cut, _) in sample.char_indices() {
            let part = scan(&sample[..cut]);
            assert!(part.text.headings.len() <= whole.text.headings.len(), "{cut}");
            assert!(part.text.title.chars().count() <= sample.chars().count(), "{cut}");
        }
        assert_eq!(scan("<h2>Café</h2><title>Crème brûlée</title>").text.headings, ["Café"]);
        assert_eq!(scan("<h2>Café</h2><title>Crème brûlée</title>").text.title, "Crème brûlée");
        assert_eq!(scan("<").text, PageText::default());
    }
}
