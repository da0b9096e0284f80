//! Interests: what the pages of a site are about, in the terms of the
//! Topics API taxonomy (version 2, 469 topics), for interest-based
//! advertising with consent and for understanding visitors' interests.
//!
//! - [`taxonomy`]: the topics, their ids and their place in the tree.
//! - [`pages`]: the topics the declaration (`[[interests.page]]`) gives a path.
//! - [`opt_out`]: whether a page forbids interest computation
//!   (`Permissions-Policy: browsing-topics=()`, `data-crumb-no-interests`).
//! - [`page_text`]: the text of an HTML page the classifier reads.
//! - [`classifier`]: the built-in keyword classifier that proposes topics.
//! - [`assign`]: which of these wins for a page (opt-out, declaration, proposal).

pub mod assign;
pub mod classifier;
pub mod opt_out;
pub mod page_text;
pub mod pages;
pub mod taxonomy;

pub use classifier::{Classifier, PageText, Proposal};
pub use pages::{PageTopics, PageTopicsError};
pub use taxonomy::{Taxonomy, TaxonomyError, Topic, TopicId};
