//! The topics the declaration gives pages: `[[interests.page]]` entries,
//! each a path and the topics of the pages under it. A request's path
//! matches an entry when it is the entry's path or continues it with a
//! whole segment (`/products/bikes` matches `/products/bikes` and
//! `/products/bikes/road-1`, not `/products/bikes-old`); of the entries
//! that match, the most specific (the longest path) wins. `/` matches
//! every page.

use std::collections::HashMap;

use serde::Serialize;

use crate::interests::taxonomy::{Taxonomy, TopicId};

/// One `[[interests.page]]` entry, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageEntry {
    /// The path it covers: `/` and segments, without a trailing slash (or `/` alone).
    pub path: String,
    /// The topics of the pages under it (at least one, each in the taxonomy).
    pub topics: Vec<TopicId>,
}

/// Why an entry cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageTopicsError {
    /// The path does not start with `/`, has a query, fragment, empty
    /// segment or trailing slash.
    #[error("path {path:?} must be / or /segments without a trailing slash, query or fragment")]
    BadPath {
        /// The path as written.
        path: String,
    },
    /// No topic is given.
    #[error("path {path:?}: `topics` lists no topic")]
    NoTopics {
        /// The entry's path.
        path: String,
    },
    /// A topic id is not one of the taxonomy's.
    #[error("path {path:?}: topic {id} is not in the Topics taxonomy v2")]
    UnknownTopic {
        /// The entry's path.
        path: String,
        /// The id as written.
        id: i64,
    },
    /// Two entries have the same path.
    #[error("path {path:?} has two entries")]
    Duplicate {
        /// The path.
        path: String,
    },
}

impl PageEntry {
    /// An entry for `path` with `topics` (ids as written in the file),
    /// checked against the taxonomy.
    pub fn new(path: &str, topics: &[i64], taxonomy: &Taxonomy) -> Result<PageEntry, PageTopicsError> {
        let well_formed = path == "/"
            || (path.starts_with('/')
                && !path.ends_with('/')
                && !path.contains(['?', '#'])
                && !path[1..].split('/').any(str::is_empty));
        if !well_formed {
            return Err(PageTopicsError::BadPath { path: path.to_owned() });
        }
        if topics.is_empty() {
            return Err(PageTopicsError::NoTopics { path: path.to_owned() });
        }
        let mut ids = Vec::new();
        for &id in topics {
            let topic = u16::try_from(id).ok().map(TopicId).filter(|&t| taxonomy.contains(t));
            match topic {
                Some(topic) if !ids.contains(&topic) => ids.push(topic),
                Some(_) => {}
                None => return Err(PageTopicsError::UnknownTopic { path: path.to_owned(), id }),
            }
        }
        Ok(PageEntry { path: path.to_owned(), topics: ids })
    }

    /// Whether the entry covers `path`: the same path, or one that
    /// continues it with a whole segment.
    pub fn covers(&self, path: &str) -> bool {
        self.path == "/"
            || path.strip_prefix(self.path.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

/// Every `[[interests.page]]` entry of a declaration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageTopics {
    entries: Vec<PageEntry>,
    /// Each entry's index by its path, so that a lookup costs one probe
    /// per segment of the request's path, whatever the number of entries.
    #[serde(skip)]
    by_path: HashMap<String, usize>,
}

impl PageTopics {
    /// The entries, refused if two have the same path.
    pub fn new(entries: Vec<PageEntry>) -> Result<PageTopics, PageTopicsError> {
        let mut by_path = HashMap::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            if by_path.insert(entry.path.clone(), index).is_some() {
                return Err(PageTopicsError::Duplicate { path: entry.path.clone() });
            }
        }
        Ok(PageTopics { entries, by_path })
    }

    /// The entries, in the declaration's order.
    pub fn entries(&self) -> &[PageEntry] {
        &self.entries
    }

    /// The entry that gives `path` its topics: of those that cover it, the
    /// longest; `None` when none does. A query or fragment after the path
    /// is ignored.
    pub fn entry_for(&self, path: &str) -> Option<&PageEntry> {
        let mut candidate = path.split(['?', '#']).next().unwrap_or_default();
        // The entries that cover a path are the path itself and its
        // prefixes that end before a `/`: tried longest first, `/` last.
        loop {
            if let Some(&index) = self.by_path.get(candidate) {
                return self.entries.get(index);
            }
            match candidate.rfind('/') {
                Some(end) if end > 0 => candidate = &candidate[..end],
                _ => return self.by_path.get("/").and_then(|&index| self.entries.get(index)),
            }
        }
    }

    /// The declared topics of `path` (see [`PageTopics::entry_for`]).
    pub fn topics_for(&self, path: &str) -> Option<&[TopicId]> {
        self.entry_for(path).map(|entry| entry.topics.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(entries: &[(&str, &[i64])]) -> PageTopics {
        let taxonomy = Taxonomy::v2();
        PageTopics::new(entries.iter().map(|(p, t)| PageEntry::new(p, t, taxonomy).unwrap()).collect()).unwrap()
    }

    #[test]
    fn a_path_matches_its_entry_and_the_pages_under_it_by_whole_segments() {
        let pages = declared(&[("/products/bikes", &[369])]);
        assert_eq!(pages.topics_for("/products/bikes"), Some(&[TopicId(369)][..]));
        assert_eq!(pages.topics_for("/products/bikes/road-1"), Some(&[TopicId(369)][..]));
        assert_eq!(pages.topics_for("/products/bikes/"), Some(&[TopicId(369)][..]));
        assert_eq!(pages.topics_for("/products/bikes?colour=red"), Some(&[TopicId(369)][..]));
        assert_eq!(pages.topics_for("/products/bikes-old"), None);
        assert_eq!(pages.topics_for("/products"), None);
        assert_eq!(pages.topics_for("/Products/bikes"), None, "paths are case-sensitive (RFC 3986 §6.2.2.1)");
    }

    #[test]
    fn the_indexed_lookup_agrees_with_the_definition() {
        // The definition: of the entries that cover the path, the longest.
        let paths = ["/", "/a", "/a/b", "/a/b/c", "/ab", "/a/bc", "/b", "/b/a", "/a/b/"];
        let pages = declared(&[("/a", &[1]), ("/a/b", &[350]), ("/b/a", &[351]), ("/ab", &[352])]);
        let rooted = declared(&[("/", &[1]), ("/a/b/c", &[350]), ("/b", &[351])]);
        for pages in [&pages, &rooted] {
            for path in paths.iter().flat_map(|p| [p.to_string(), format!("{p}?q=1"), format!("{p}/x#f")]) {
                let bare = path.split(['?', '#']).next().unwrap();
                let expected =
                    pages.entries.iter().filter(|entry| entry.covers(bare)).max_by_key(|entry| entry.path.len());
                assert_eq!(pages.entry_for(&path), expected, "{path}");
            }
        }
    }

    #[test]
    fn the_most_specific_entry_wins_whatever_the_order() {
        let pages = declared(&[("/", &[289]), ("/products/bikes/road", &[310]), ("/products/bikes", &[369])]);
        assert_eq!(pages.topics_for("/products/bikes/road/carbon"), Some(&[TopicId(310)][..]));
        assert_eq!(pages.topics_for("/products/bikes/gravel"), Some(&[TopicId(369)][..]));
        assert_eq!(pages.topics_for("/about"), Some(&[TopicId(289)][..]), "/ covers every page");
        assert_eq!(declared(&[]).topics_for("/"), None);
    }

    #[test]
    fn entries_are_checked() {
        let taxonomy = Taxonomy::v2();
        for bad in ["products", "/products/", "//x", "/a//b", "/a?b=1", ""] {
            assert_eq!(
                PageEntry::new(bad, &[369], taxonomy),
                Err(PageTopicsError::BadPath { path: bad.into() }),
                "{bad:?}"
            );
        }
        assert_eq!(PageEntry::new("/x", &[], taxonomy), Err(PageTopicsError::NoTopics { path: "/x".into() }));
        for id in [9999, -1, 70000, 0] {
            assert_eq!(
                PageEntry::new("/x", &[369, id], taxonomy),
                Err(PageTopicsError::UnknownTopic { path: "/x".into(), id })
            );
        }
        assert_eq!(PageEntry::new("/x", &[369, 369], taxonomy).map(|e| e.topics.len()), Ok(1), "a repeat is one");
        let twice =
            vec![PageEntry::new("/x", &[369], taxonomy).unwrap(), PageEntry::new("/x", &[310], taxonomy).unwrap()];
        assert_eq!(PageTopics::new(twice), Err(PageTopicsError::Duplicate { path: "/x".into() }));
    }
}
