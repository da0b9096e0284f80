//! Interests: what the pages of a site are about, in the terms of the
//! Topics API taxonomy (version 2, 469 topics), for interest-based
//! advertising with consent and for understanding visitors' interests.
//!
//! - [`taxonomy`]: the topics, their ids and their place in the tree.

pub mod taxonomy;

pub use taxonomy::{Taxonomy, TaxonomyError, Topic, TopicId};
