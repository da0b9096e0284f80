//! The campaign form's topic picker: every topic of the Topics taxonomy
//! v2 as a checkbox named `topic_{id}`, grouped under its root topic, so
//! that an administrator chooses target topics without knowing their ids
//! or exact names. The form's text field still takes ids and names; a
//! campaign targets what is typed there and what is ticked here.
//!
//! Editing a campaign ticks its topics (the text field is left empty), so
//! that unticking one removes it.

use std::collections::BTreeSet;

use crumb_core::interests::{Taxonomy, TopicId};

/// The prefix of a checkbox's name; the rest is the topic's id.
const FIELD_PREFIX: &str = "topic_";

/// One root topic with every topic under it, in the taxonomy's order.
pub struct Group {
    /// The root topic's name.
    pub name: &'static str,
    /// The root topic's id (for the group's element id).
    pub id: u16,
    /// How many of the group's topics are ticked.
    pub ticked: usize,
    /// The root topic itself first, then the topics under it.
    pub topics: Vec<Choice>,
}

/// One checkbox.
pub struct Choice {
    /// The topic's id.
    pub id: u16,
    /// The topic's name.
    pub name: &'static str,
    /// Its depth below the root (0 for the root), for the indent.
    pub depth: usize,
    /// Ticked.
    pub ticked: bool,
}

/// Every topic, grouped by root, with `ticked` ticked.
pub fn groups(ticked: &BTreeSet<u16>) -> Vec<Group> {
    let taxonomy = Taxonomy::v2();
    taxonomy
        .roots()
        .map(|root| {
            let mut under: Vec<_> = taxonomy.topics().filter(|t| t.root == root.id).collect();
            // Tree order: a topic, then the topics under it (by each step of
            // the path, so "Vehicles (By Type)" does not come between
            // "Vehicles" and the topics under it).
            under.sort_by(|a, b| a.path.split('/').cmp(b.path.split('/')));
            let topics: Vec<Choice> = under
                .into_iter()
                .map(|t| Choice {
                    id: t.id.0,
                    name: t.name,
                    depth: t.depth - root.depth,
                    ticked: ticked.contains(&t.id.0),
                })
                .collect();
            Group { name: root.name, id: root.id.0, ticked: topics.iter().filter(|c| c.ticked).count(), topics }
        })
        .collect()
}

/// The topics a posted form ticked: its `topic_{id}` fields that name a
/// topic of the taxonomy (any other is ignored, as an unknown field is).
pub fn ticked_in(form: &serde_json::Value) -> BTreeSet<u16> {
    let Some(fields) = form.as_object() else { return BTreeSet::new() };
    fields
        .keys()
        .filter_map(|name| name.strip_prefix(FIELD_PREFIX)?.parse::<u16>().ok())
        .filter(|id| Taxonomy::v2().contains(TopicId(*id)))
        .collect()
}

/// What the text field held, with the ticked topics' ids added: the
/// campaign's topics as [`crumb_core::ads::managed::CampaignForm`] reads
/// them (a topic both typed and ticked counts once). The ids go after a
/// `;`, so that a typed name with commas in it ("Trucks, Vans & SUVs")
/// stays one entry.
pub fn with_ticked(typed: &str, ticked: &BTreeSet<u16>) -> String {
    let typed = typed.trim();
    let ids = ticked.iter().map(u16::to_string);
    if typed.is_empty() {
        ids.collect::<Vec<_>>().join("; ")
    } else {
        std::iter::once(typed.to_owned()).chain(ids).collect::<Vec<_>>().join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_once_under_its_root() {
        let groups = groups(&BTreeSet::from([369]));
        let taxonomy = Taxonomy::v2();
        assert_eq!(groups.len(), taxonomy.roots().count());
        assert_eq!(groups.iter().map(|g| g.topics.len()).sum::<usize>(), taxonomy.len());
        for group in &groups {
            assert_eq!(group.topics[0].id, group.id, "the root first");
            assert_eq!(group.topics[0].depth, 0);
            assert!(group.topics[1..].iter().all(|c| c.depth > 0));
            // Each topic comes right after its parent or its parent's other descendants.
            for (n, choice) in group.topics.iter().enumerate().skip(1) {
                let parent = taxonomy.get(TopicId(choice.id)).and_then(|t| t.parent).expect("a parent");
                let at = group.topics.iter().position(|c| c.id == parent.0).expect("parent in the group");
                assert!(at < n, "{} after its parent", choice.name);
                assert!(group.topics[at + 1..n].iter().all(|c| c.depth > group.topics[at].depth), "{}", choice.name);
            }
        }
        let ticked: Vec<(&str, u16)> =
            groups.iter().flat_map(|g| g.topics.iter().filter(|c| c.ticked).map(|c| (g.name, c.id))).collect();
        let bikes = taxonomy.get(TopicId(369)).expect("topic 369");
        assert_eq!(ticked, [(taxonomy.get(bikes.root).expect("its root").name, 369)]);
        assert_eq!(groups.iter().map(|g| g.ticked).sum::<usize>(), 1);
    }

    #[test]
    fn ticked_fields_name_topics_and_join_the_typed_ones() {
        let form = serde_json::json!({
            "topics": "Cooking & Recipes", "topic_369": "1", "topic_1": "on",
            "topic_9999": "1", "topic_x": "1", "topics_": "1", "name": "n"
        });
        let ticked = ticked_in(&form);
        assert_eq!(ticked, BTreeSet::from([1, 369]), "unknown ids and other fields are not topics");
        assert_eq!(with_ticked(" Cooking & Recipes ", &ticked), "Cooking & Recipes; 1; 369");
        assert_eq!(with_ticked("", &ticked), "1; 369");
        assert_eq!(with_ticked("", &BTreeSet::new()), "");
    }
}
