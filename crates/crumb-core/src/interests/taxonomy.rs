//! The Topics API taxonomy, version 2: 469 topics in a tree of 22 roots,
//! each with a stable numeric id and a path from its root
//! (`/Autos & Vehicles/Bicycles & Accessories`). The table is embedded from
//! `crates/crumb-core/data/topics-taxonomy-v2.tsv` (attribution in that
//! folder's README).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The embedded table: `id<TAB>path`, one topic per line after a header.
const TAXONOMY_V2: &str = include_str!("../../data/topics-taxonomy-v2.tsv");

/// A topic's id in the taxonomy (`369` is Bicycles & Accessories).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TopicId(pub u16);

impl fmt::Display for TopicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One topic of the taxonomy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    /// Its id.
    pub id: TopicId,
    /// Its path from the root, `/`-separated and starting with `/`.
    pub path: &'static str,
    /// Its own name: the path's last segment (`Bicycles & Accessories`).
    pub name: &'static str,
    /// The topic one level up, `None` for a root.
    pub parent: Option<TopicId>,
    /// The root of its tree (itself for a root).
    pub root: TopicId,
    /// 0 for a root, 1 for its children, and so on.
    pub depth: usize,
}

impl Topic {
    /// Whether this topic is a root of the taxonomy.
    pub fn is_root(&self) -> bool {
        self.parent.is_none()
    }
}

/// Why a taxonomy table could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TaxonomyError {
    /// A line is not `id<TAB>/path`.
    #[error("taxonomy line {line}: expected `id<TAB>/path`")]
    Malformed {
        /// The 1-based line number.
        line: usize,
    },
    /// An id appears twice.
    #[error("taxonomy line {line}: topic {id} appears twice")]
    Duplicate {
        /// The 1-based line number.
        line: usize,
        /// The repeated id.
        id: u16,
    },
    /// A topic's parent path names no topic of the table.
    #[error("taxonomy line {line}: the parent of `{path}` is not in the table")]
    Orphan {
        /// The 1-based line number.
        line: usize,
        /// The topic's path.
        path: String,
    },
}

/// The whole taxonomy, by id.
#[derive(Debug)]
pub struct Taxonomy {
    topics: BTreeMap<TopicId, Topic>,
}

impl Taxonomy {
    /// Version 2 of the taxonomy, as embedded in the binary.
    pub fn v2() -> &'static Taxonomy {
        static V2: OnceLock<Taxonomy> = OnceLock::new();
        V2.get_or_init(|| match Taxonomy::parse(TAXONOMY_V2) {
            Ok(taxonomy) => taxonomy,
            // The table is a constant of the build, and the unit test
            // `the_embedded_table_reads` reads it: it cannot fail here.
            Err(error) => unreachable!("the embedded taxonomy does not read: {error}"),
        })
    }

    /// A table of `id<TAB>/path` lines after a header line. A topic's
    /// parent is the topic whose path is its path without the last
    /// segment; it must come in the table (in any order).
    pub fn parse(text: &'static str) -> Result<Taxonomy, TaxonomyError> {
        let mut by_path: BTreeMap<&'static str, (usize, TopicId)> = BTreeMap::new();
        let mut rows = Vec::new();
        for (index, line) in text.lines().enumerate().skip(1) {
            let number = index + 1;
            if line.trim().is_empty() {
                continue;
            }
            let (id, path) = line.split_once('\t').ok_or(TaxonomyError::Malformed { line: number })?;
            let id: u16 = id.trim().parse().map_err(|_| TaxonomyError::Malformed { line: number })?;
            let path = path.trim();
            if !path.starts_with('/') || path.len() < 2 || path.ends_with('/') {
                return Err(TaxonomyError::Malformed { line: number });
            }
            if by_path.insert(path, (number, TopicId(id))).is_some() || rows.iter().any(|&(_, seen, _)| seen == id) {
                return Err(TaxonomyError::Duplicate { line: number, id });
            }
            rows.push((number, id, path));
        }
        let mut topics = BTreeMap::new();
        for &(line, id, path) in &rows {
            // `rfind` finds the leading '/' at least: paths start with one.
            let cut = path.rfind('/').unwrap_or(0);
            let name = &path[cut + 1..];
            let parent = if cut == 0 {
                None
            } else {
                let parent_path = &path[..cut];
                match by_path.get(parent_path) {
                    Some(&(_, parent)) => Some(parent),
                    None => return Err(TaxonomyError::Orphan { line, path: path.to_owned() }),
                }
            };
            let depth = path.matches('/').count() - 1;
            let root_path = match path[1..].find('/') {
                Some(end) => &path[..end + 1],
                None => path,
            };
            let root = match by_path.get(root_path) {
                Some(&(_, root)) => root,
                None => return Err(TaxonomyError::Orphan { line, path: path.to_owned() }),
            };
            topics.insert(TopicId(id), Topic { id: TopicId(id), path, name, parent, root, depth });
        }
        Ok(Taxonomy { topics })
    }

    /// The topic with this id, if the taxonomy has one.
    pub fn get(&self, id: TopicId) -> Option<&Topic> {
        self.topics.get(&id)
    }

    /// Whether the taxonomy has a topic with this id.
    pub fn contains(&self, id: TopicId) -> bool {
        self.topics.contains_key(&id)
    }

    /// Every topic, by id.
    pub fn topics(&self) -> impl Iterator<Item = &Topic> {
        self.topics.values()
    }

    /// The roots, by id.
    pub fn roots(&self) -> impl Iterator<Item = &Topic> {
        self.topics.values().filter(|topic| topic.is_root())
    }

    /// How many topics the taxonomy has.
    pub fn len(&self) -> usize {
        self.topics.len()
    }

    /// Whether the taxonomy has no topic (never true of [`Taxonomy::v2`]).
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// `ancestor` is `topic` or one of the topics above it.
    pub fn is_within(&self, topic: TopicId, ancestor: TopicId) -> bool {
        let mut current = self.get(topic);
        while let Some(t) = current {
            if t.id == ancestor {
                return true;
            }
            current = t.parent.and_then(|parent| self.get(parent));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_reads() {
        let taxonomy = Taxonomy::parse(TAXONOMY_V2).expect("the embedded table reads");
        assert_eq!(taxonomy.len(), 469);
        assert_eq!(taxonomy.roots().count(), 22);
    }

    #[test]
    fn a_topic_knows_its_parent_root_and_name() {
        let taxonomy = Taxonomy::v2();
        let bikes = taxonomy.get(TopicId(369)).expect("topic 369");
        assert_eq!(bikes.path, "/Autos & Vehicles/Bicycles & Accessories");
        assert_eq!(bikes.name, "Bicycles & Accessories");
        let autos = taxonomy.get(bikes.parent.expect("a parent")).expect("the parent");
        assert_eq!(autos.path, "/Autos & Vehicles");
        assert_eq!((autos.depth, bikes.depth, bikes.root), (0, 1, autos.id));
        assert!(taxonomy.is_within(bikes.id, autos.id));
        assert!(!taxonomy.is_within(autos.id, bikes.id));
        assert!(taxonomy.get(TopicId(0)).is_none());
    }

    #[test]
    fn a_malformed_duplicate_or_orphan_row_is_refused() {
        assert_eq!(Taxonomy::parse("id\tpath\nx\t/A\n").unwrap_err(), TaxonomyError::Malformed { line: 2 });
        assert_eq!(Taxonomy::parse("id\tpath\n1\tA\n").unwrap_err(), TaxonomyError::Malformed { line: 2 });
        assert_eq!(
            Taxonomy::parse("id\tpath\n1\t/A\n1\t/B\n").unwrap_err(),
            TaxonomyError::Duplicate { line: 3, id: 1 }
        );
        assert_eq!(
            Taxonomy::parse("id\tpath\n1\t/A\n2\t/B/C\n").unwrap_err(),
            TaxonomyError::Orphan { line: 3, path: "/B/C".into() }
        );
    }
}
