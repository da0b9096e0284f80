//! Interest profiles (issue 20): what is recorded when a visitor with
//! marketing consent reads a page about some topics, and which topics the
//! site may use for them — the Topics API's mechanism, run on the server.
//!
//! - [`keys`]: the profile key (a keyed hash of the browser's or the linked
//!   account's id) and the keyed pseudorandom function;
//! - [`epoch`]: weekly epochs, each profile with its own offset, and retention;
//! - [`top`]: an epoch's five top topics (root priority, then pages; padding);
//! - [`select`]: the answer to a placement (one topic per each of the last
//!   three epochs, 5% noise, the caller filter, removals);
//! - [`service`]: what the HTTP layer calls (record, answer, view, remove,
//!   pause, erase, export);
//! - [`jobs`]: deleting epochs after four weeks.
//!
//! The rules and figures are in `docs/interests.md` ("Profiles").

pub mod epoch;
pub mod jobs;
pub mod keys;
pub mod select;
pub mod service;
pub mod top;

pub use epoch::{EpochClock, EPOCH_MILLIS, RETENTION_MILLIS};
pub use keys::{ProfileKey, ProfileKeys, ProfileSource};
pub use select::{ReturnedTopic, NOISE_RATE};
pub use service::{Consenting, NotConsenting, ProfileError, ProfileView, Profiles};
pub use top::{EpochTopic, TopicPool, PRIORITIZED_ROOTS, TOP_TOPICS};
