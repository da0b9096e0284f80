//! The conformance suite every backend must pass (cargo feature
//! `conformance`): one check per behaviour of the [`Store`] traits, each a
//! function that panics when the store under test gets it wrong.
//!
//! [`conformance_tests!`](crate::conformance_tests) expands to one
//! `#[tokio::test]` per check, so a failure names its check and hides none
//! of the others; `tests/sqlite.rs` and `tests/postgres.rs` run it on a fresh
//! store per check. [`run`] runs every check on one store, in order, for a
//! crate that builds its own store and wants a single test.
//!
//! Every check uses its own sites, ids and e-mails, so checks can share a
//! store too (as [`run`] does). A new check goes in one of the modules and
//! in the list of [`__conformance!`](crate::__conformance), which both the
//! tests and [`run`] read.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // test code: a failed unwrap is a failed check

mod accounts;
mod ads;
mod analytics;
mod campaigns;
mod consent;
mod profiles;
mod value_limit;

use std::sync::Arc;

pub use accounts::*;
pub use ads::*;
pub use analytics::*;
pub use campaigns::*;
pub use consent::*;
pub use profiles::*;
pub use value_limit::*;

use crate::Store;

/// Runs every check against `store`, which must be empty, in the order of
/// the list; panics at the first failure, after printing the check's name.
pub async fn run(store: Arc<dyn Store>) {
    eprintln!("suite: {} backend", store.backend());
    crate::__conformance!(@list run [store]);
}

/// Expands to one `#[tokio::test]` per check of the [suite](crate::suite),
/// named after the check. `$runner` is an async function that takes the
/// check (an `async fn(Arc<dyn Store>)`), gives it a fresh store and cleans
/// up after it, or returns without running it when its backend is missing:
///
/// ```ignore
/// async fn on_a_fresh_store<F: std::future::Future<Output = ()>>(check: impl FnOnce(Arc<dyn Store>) -> F) {
///     check(Arc::new(SqliteStore::open_in_memory().unwrap())).await;
/// }
/// crumb_store::conformance_tests!(on_a_fresh_store);
/// ```
///
/// Needs `tokio` (with `macros` and `rt-multi-thread`) in the calling crate.
#[macro_export]
macro_rules! conformance_tests {
    ($runner:path) => {
        $crate::__conformance!(@list tests [$runner]);
    };
}

/// The list of checks, and what [`conformance_tests!`] and [`run`] make of it.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance {
    (@list $mode:ident [$($arg:tt)*]) => {
        $crate::__conformance!(@$mode [$($arg)*]
            schema_is_current
            connections_are_counted
            rate_windows_add_up_across_callers
            consent_round_trip
            list_and_text_round_trip
            duplicates_refused
            history_in_order
            counts_per_site
            consent_decisions_per_day
            visitors_new_and_returning
            visitors_out_of_order
            forget_visitor
            gateway_sightings_add_up
            concurrent_visits_counted_exactly
            concurrent_appends
            accounts_round_trip
            admin_accounts_listed
            account_updates
            sessions
            remember_tokens
            concurrent_rotations_one_wins
            devices
            login_throttle
            attempts_counted_and_refused
            concurrent_attempts_admit_at_most_the_free_ones
            delete_account_leaves_nothing
            rows_need_an_account
            analytics_events_round_trip
            analytics_rollups_equal_raw_counts
            analytics_cross_device_and_purge
            analytics_forget_a_visitor
            analytics_open_visits
            analytics_funnel_events
            analytics_shared_salt
            analytics_values_beyond_the_limit_fold_into_other
            interests_counted_per_epoch_and_topic
            interest_choices
            interest_profile_erased
            gathered_batches_written_unless_erased
            profile_changes_noted
            interest_epochs_purged
            ad_counters_add_up
            ads_shown_logged_erased_and_purged
            campaigns_round_trip
            campaigns_updated_and_deleted
        );
    };
    (@tests [$runner:path] $($check:ident)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                $runner($crate::suite::$check).await;
            }
        )*
    };
    (@run [$store:ident] $($check:ident)*) => {
        $(
            eprintln!("suite: {}", stringify!($check));
            $crate::suite::$check(::std::sync::Arc::clone(&$store)).await;
        )*
    };
}
