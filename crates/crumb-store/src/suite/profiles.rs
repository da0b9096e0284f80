//! Checks of [`ProfileStore`](crate::ProfileStore): interest observations
//! counted per epoch and topic, the visitor's choices, erasure, retention.

use std::sync::Arc;

use crate::ads::AdShown;
use crate::profiles::{
    GatheredObservation, GatheredShown, InterestObservation, ProfileBatch, ProfileChoices, ProfileDeletion, Removal,
    RemovedTopic,
};
use crate::Store;

const WEEK: i64 = 7 * 24 * 60 * 60 * 1000;
/// Epoch 100 of the profiles below began here (an arbitrary instant).
const START: i64 = 1_700_000_000_000;

fn seen(epoch: i64, topic: u16, count: u64, first_seen: i64, last_seen: i64) -> InterestObservation {
    let epoch_start = START + (epoch - 100) * WEEK;
    InterestObservation { epoch, epoch_start, topic, count, first_seen, last_seen }
}

/// Pages are counted per (profile, epoch, topic); a topic named twice in
/// one page counts once; sites and profiles are kept apart; reads start at
/// an epoch and come by epoch then topic.
pub async fn interests_counted_per_epoch_and_topic(store: Arc<dyn Store>) {
    let (site, profile) = ("pr-1", 7);
    store.record_interests(site, profile, 100, START, &[369, 1, 369], START + 10).await.unwrap();
    store.record_interests(site, profile, 100, START, &[369], START + 5).await.unwrap();
    store.record_interests(site, profile, 100, START, &[369], START + 20).await.unwrap();
    store.record_interests(site, profile, 101, START + WEEK, &[1], START + WEEK + 1).await.unwrap();
    store.record_interests(site, profile, 101, START + WEEK, &[], START + WEEK + 2).await.unwrap();
    store.record_interests(site, -profile, 100, START, &[2], START).await.unwrap();
    store.record_interests("pr-1-other", profile, 100, START, &[3], START).await.unwrap();

    let all = store.interest_observations(site, profile, i64::MIN).await.unwrap();
    assert_eq!(
        all,
        [
            seen(100, 1, 1, START + 10, START + 10),
            seen(100, 369, 3, START + 5, START + 20),
            seen(101, 1, 1, START + WEEK + 1, START + WEEK + 1),
        ]
    );
    assert_eq!(store.interest_observations(site, profile, 101).await.unwrap(), all[2..]);
    assert_eq!(store.interest_observations(site, -profile, i64::MIN).await.unwrap(), [seen(100, 2, 1, START, START)]);
    assert!(store.interest_observations(site, 8, i64::MIN).await.unwrap().is_empty(), "an unknown profile");
    assert_eq!(store.profile_choices(site, 8).await.unwrap(), ProfileChoices::default());
}

/// A paused profile records nothing until resumed; a topic removed for good
/// is no longer counted, one removed from an epoch still is; removals are
/// listed by topic, for good first, and a second removal keeps the first's time.
pub async fn interest_choices(store: Arc<dyn Store>) {
    let (site, profile) = ("pr-2", 42);
    store.set_profile_paused(site, profile, true, 1000).await.unwrap();
    store.set_profile_paused(site, profile, true, 2000).await.unwrap();
    store.record_interests(site, profile, 100, START, &[5], START).await.unwrap();
    assert!(store.interest_observations(site, profile, i64::MIN).await.unwrap().is_empty(), "paused: nothing counted");
    assert_eq!(store.profile_choices(site, profile).await.unwrap().paused_since, Some(1000));
    store.set_profile_paused(site, profile, false, 3000).await.unwrap();
    assert_eq!(store.profile_choices(site, profile).await.unwrap().paused_since, None);

    let epoch_100 = Removal::Epoch { epoch: 100, epoch_start: START };
    store.remove_interest_topic(site, profile, 9, Removal::ForGood, 10).await.unwrap();
    store.remove_interest_topic(site, profile, 9, Removal::ForGood, 11).await.unwrap();
    store.remove_interest_topic(site, profile, 9, epoch_100, 12).await.unwrap();
    store.remove_interest_topic(site, profile, 5, epoch_100, 13).await.unwrap();
    store
        .remove_interest_topic(site, profile, 5, Removal::Epoch { epoch: 99, epoch_start: START - WEEK }, 14)
        .await
        .unwrap();
    store.record_interests(site, profile, 100, START, &[5, 9], START + 1).await.unwrap();
    assert_eq!(
        store.interest_observations(site, profile, i64::MIN).await.unwrap(),
        [seen(100, 5, 1, START + 1, START + 1)],
        "9 was removed for good, 5 only from epochs"
    );
    let removed = |topic, epoch, removed_at| RemovedTopic { topic, epoch, removed_at };
    assert_eq!(
        store.profile_choices(site, profile).await.unwrap(),
        ProfileChoices {
            paused_since: None,
            removed: vec![
                removed(5, Some(99), 14),
                removed(5, Some(100), 13),
                removed(9, None, 10),
                removed(9, Some(100), 12)
            ],
        }
    );
    assert_eq!(store.profile_choices(site, profile + 1).await.unwrap(), ProfileChoices::default(), "its own profile");
    // Both read together, as an answer reads them.
    let together = store.profile_for_answer(site, profile, 100).await.unwrap();
    let apart = (
        store.profile_choices(site, profile).await.unwrap(),
        store.interest_observations(site, profile, 100).await.unwrap(),
    );
    assert_eq!(together, apart);
    assert_eq!(together.0.removed.len(), 4);
    assert_eq!(together.1.len(), 1);
    assert_eq!(store.profile_for_answer(site, profile, 101).await.unwrap().1, []);
}

/// Erasing a profile deletes its observations and choices, and no one else's.
pub async fn interest_profile_erased(store: Arc<dyn Store>) {
    let (site, profile, other) = ("pr-3", 1, 2);
    for who in [profile, other] {
        store.record_interests(site, who, 100, START, &[1, 2], START).await.unwrap();
        store.record_interests(site, who, 101, START + WEEK, &[1], START + WEEK).await.unwrap();
        store.remove_interest_topic(site, who, 3, Removal::ForGood, 1).await.unwrap();
        store.remove_interest_topic(site, who, 1, Removal::Epoch { epoch: 100, epoch_start: START }, 1).await.unwrap();
        store.set_profile_paused(site, who, true, 2).await.unwrap();
    }
    let deleted = store.erase_profile(site, profile, START + 3).await.unwrap();
    assert_eq!(deleted, ProfileDeletion { observations: 3, choices: 3, ads_shown: 0 });
    assert!(store.interest_observations(site, profile, i64::MIN).await.unwrap().is_empty());
    assert_eq!(store.profile_choices(site, profile).await.unwrap(), ProfileChoices::default());
    assert_eq!(store.interest_observations(site, other, i64::MIN).await.unwrap().len(), 3, "the other profile stays");
    assert_eq!(store.profile_choices(site, other).await.unwrap().removed.len(), 2);
    assert_eq!(
        store.erase_profile(site, profile, START + 4).await.unwrap(),
        ProfileDeletion::default(),
        "nothing left"
    );
    // Recording works again afterwards: the pause went with the profile.
    store.record_interests(site, profile, 102, START + 2 * WEEK, &[4], START + 2 * WEEK).await.unwrap();
    assert_eq!(store.interest_observations(site, profile, i64::MIN).await.unwrap().len(), 1);
}

/// Retention deletes the epochs (observations and per-epoch removals) that
/// began at or before the cut-off, of every profile of the site, and keeps
/// later epochs, removals for good, pauses and other sites.
pub async fn interest_epochs_purged(store: Arc<dyn Store>) {
    let site = "pr-4";
    // Profile 1's epochs start at START + 100·WEEK…; profile 2's an hour later.
    let hour = 3_600_000;
    for (profile, offset) in [(1, 0), (2, hour)] {
        for epoch in 100..104 {
            let start = START + (epoch - 100) * WEEK + offset;
            store.record_interests(site, profile, epoch, start, &[10, 11], start + 1).await.unwrap();
            store
                .remove_interest_topic(site, profile, 10, Removal::Epoch { epoch, epoch_start: start }, start)
                .await
                .unwrap();
        }
        store.remove_interest_topic(site, profile, 12, Removal::ForGood, 1).await.unwrap();
    }
    store.record_interests("pr-4-other", 1, 100, START, &[10], START).await.unwrap();

    // Up to profile 1's epoch 101 start: profile 1 loses 100 and 101, profile 2 only 100.
    let purged = store.purge_interest_epochs(site, START + WEEK).await.unwrap();
    assert_eq!(purged, ProfileDeletion { observations: 6, choices: 3, ads_shown: 0 });
    let epochs = |rows: Vec<InterestObservation>| rows.iter().map(|o| o.epoch).collect::<Vec<_>>();
    assert_eq!(epochs(store.interest_observations(site, 1, i64::MIN).await.unwrap()), [102, 102, 103, 103]);
    assert_eq!(epochs(store.interest_observations(site, 2, i64::MIN).await.unwrap()), [101, 101, 102, 102, 103, 103]);
    let choices = store.profile_choices(site, 1).await.unwrap();
    assert_eq!(choices.removed.iter().map(|r| r.epoch).collect::<Vec<_>>(), [Some(102), Some(103), None]);
    assert_eq!(store.interest_observations("pr-4-other", 1, i64::MIN).await.unwrap().len(), 1, "another site");
    assert_eq!(store.purge_interest_epochs(site, START + WEEK).await.unwrap(), ProfileDeletion::default());
}

/// A node's gathered batch adds to the rows as single pages would (also
/// not for a paused profile or a topic removed for good) and logs its ads
/// shown; nothing of a profile erased at or after it is written, whichever
/// erasure is later counts, and the note goes with the purged epochs.
pub async fn gathered_batches_written_unless_erased(store: Arc<dyn Store>) {
    let (site, profile, other, paused) = ("pr-5", 1, 2, 3);
    let page = |profile, topic, count, first_seen, last_seen| GatheredObservation {
        profile,
        pages: InterestObservation { epoch: 100, epoch_start: START, topic, count, first_seen, last_seen },
    };
    let ad = |profile, at| GatheredShown {
        profile,
        at,
        campaign: "bikes".into(),
        basis: "interests".into(),
        topic: Some(369),
    };
    let shown = |at| AdShown { at, campaign: "bikes".into(), basis: "interests".into(), topic: Some(369) };
    store.record_interests(site, profile, 100, START, &[369], START + 30).await.unwrap();
    store.remove_interest_topic(site, profile, 9, Removal::ForGood, START).await.unwrap();
    store.set_profile_paused(site, paused, true, START).await.unwrap();
    let batch = ProfileBatch {
        observations: vec![
            page(profile, 369, 3, START + 10, START + 20),
            page(profile, 1, 2, START + 40, START + 50),
            page(profile, 9, 1, START + 40, START + 40),
            page(paused, 1, 1, START + 40, START + 40),
        ],
        shown: vec![ad(profile, START + 15), ad(other, START + 16)],
    };
    store.write_profile_batch(site, &batch).await.unwrap();
    store.write_profile_batch(site, &ProfileBatch::default()).await.unwrap();
    assert_eq!(
        store.interest_observations(site, profile, i64::MIN).await.unwrap(),
        [seen(100, 1, 2, START + 40, START + 50), seen(100, 369, 4, START + 10, START + 30)],
        "added to the page recorded singly; 9 was removed for good"
    );
    assert!(store.interest_observations(site, paused, i64::MIN).await.unwrap().is_empty(), "paused");
    assert_eq!(store.ads_shown_to(site, profile, 0).await.unwrap(), [shown(START + 15)]);

    // Erased at START + 100: a batch from before then, or of that very
    // instant, brings nothing back; one from after it is a new profile.
    store.erase_profile(site, profile, START + 100).await.unwrap();
    store.erase_profile(site, profile, START + 60).await.unwrap();
    let late = ProfileBatch {
        observations: vec![
            page(profile, 369, 5, START + 80, START + 120),
            page(profile, 2, 1, START + 100, START + 100),
            page(profile, 3, 1, START + 101, START + 101),
            page(other, 369, 1, START + 50, START + 50),
        ],
        shown: vec![ad(profile, START + 90), ad(profile, START + 100), ad(profile, START + 200), ad(other, START + 50)],
    };
    store.write_profile_batch(site, &late).await.unwrap();
    assert_eq!(
        store.interest_observations(site, profile, i64::MIN).await.unwrap(),
        [seen(100, 3, 1, START + 101, START + 101)],
        "the later of the two erasures holds"
    );
    assert_eq!(store.ads_shown_to(site, profile, 0).await.unwrap(), [shown(START + 200)]);
    assert_eq!(store.interest_observations(site, other, i64::MIN).await.unwrap().len(), 1, "no one else's");
    assert_eq!(store.ads_shown_to(site, other, 0).await.unwrap(), [shown(START + 50), shown(START + 16)]);
    assert!(store.interest_observations("pr-5-other", profile, i64::MIN).await.unwrap().is_empty());

    // Retention purges the note with the epochs.
    store.purge_interest_epochs(site, START + 100).await.unwrap();
    let after_purge = ProfileBatch { observations: vec![page(profile, 4, 1, START + 90, START + 90)], shown: vec![] };
    store.write_profile_batch(site, &after_purge).await.unwrap();
    assert_eq!(
        store.interest_observations(site, profile, i64::MIN).await.unwrap(),
        [seen(100, 4, 1, START + 90, START + 90)],
        "the purge took epoch 100 and the note; a row from before the erasure is written now"
    );
}

/// Every change of a profile's choices notes its time (the latest one
/// kept); reads list the profiles changed since a time, of one site; the
/// notes go with the purged epochs.
pub async fn profile_changes_noted(store: Arc<dyn Store>) {
    let site = "pr-6";
    assert!(store.profiles_changed_since(site, 0).await.unwrap().is_empty());
    store.remove_interest_topic(site, 1, 5, Removal::ForGood, START + 10).await.unwrap();
    store
        .remove_interest_topic(site, 2, 5, Removal::Epoch { epoch: 100, epoch_start: START }, START + 20)
        .await
        .unwrap();
    store.set_profile_paused(site, 3, true, START + 30).await.unwrap();
    store.set_profile_paused(site, 4, false, START + 40).await.unwrap();
    store.erase_profile(site, 5, START + 50).await.unwrap();
    store.set_profile_paused("pr-6-other", 6, true, START + 60).await.unwrap();
    let changed = |since| {
        let store = Arc::clone(&store);
        async move {
            let mut profiles = store.profiles_changed_since(site, since).await.unwrap();
            profiles.sort_unstable();
            profiles
        }
    };
    assert_eq!(changed(START).await, [1, 2, 3, 4, 5]);
    assert_eq!(changed(START + 30).await, [3, 4, 5], "at or after");
    assert_eq!(changed(START + 51).await, Vec::<i64>::new());
    // An earlier time given later does not move the note back.
    store.set_profile_paused(site, 5, true, START + 70).await.unwrap();
    store.set_profile_paused(site, 5, false, START + 65).await.unwrap();
    assert_eq!(changed(START + 70).await, [5]);
    store.purge_interest_epochs(site, START + 40).await.unwrap();
    assert_eq!(changed(0).await, [5], "purged with the epochs: only 5 changed after the cut-off");
}
