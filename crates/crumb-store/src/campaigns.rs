//! Campaigns managed on `/admin`: one record per campaign and site, its
//! fields a JSON document the domain writes and checks
//! (`crumb_core::ads::managed`), with who created and last changed it.
//! The store neither reads nor checks the document.

use serde::Serialize;

use crate::{StoreError, UnixMillis};

/// A stored campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredCampaign {
    /// The site it belongs to.
    pub site: String,
    /// Its id (unique per site).
    pub id: String,
    /// Its fields, as a JSON document of the domain's.
    pub document: String,
    /// When it was created.
    pub created_at: UnixMillis,
    /// The admin (user id) who created it.
    pub created_by: String,
    /// When it was last changed (its creation, if never).
    pub updated_at: UnixMillis,
    /// The admin (user id) who last changed it.
    pub updated_by: String,
}

/// Durable campaigns (a supertrait of [`crate::Store`]).
#[async_trait::async_trait]
pub trait CampaignStore: Send + Sync {
    /// Stores a new campaign; [`StoreError::Duplicate`] if the site has one
    /// with this id.
    async fn insert_campaign(&self, campaign: &StoredCampaign) -> Result<(), StoreError>;

    /// Replaces the document of the campaign with `campaign`'s site and id,
    /// with its `updated_at` and `updated_by` (the creation stays as it
    /// was). Returns whether there was one.
    async fn update_campaign(&self, campaign: &StoredCampaign) -> Result<bool, StoreError>;

    /// Deletes a campaign. Returns whether there was one.
    async fn delete_campaign(&self, site: &str, id: &str) -> Result<bool, StoreError>;

    /// The site's campaigns, oldest first (then by id).
    async fn stored_campaigns(&self, site: &str) -> Result<Vec<StoredCampaign>, StoreError>;
}

/// `campaigns`' columns, in [`campaign`]'s order.
pub(crate) const CAMPAIGN_COLUMNS: &str = "site, id, document, created_at, created_by, updated_at, updated_by";

/// A `campaigns` row ([`CAMPAIGN_COLUMNS`]).
pub(crate) fn campaign(row: &impl crate::rows::Columns) -> Result<StoredCampaign, StoreError> {
    Ok(StoredCampaign {
        site: row.text(0)?,
        id: row.text(1)?,
        document: row.text(2)?,
        created_at: row.int(3)?,
        created_by: row.text(4)?,
        updated_at: row.int(5)?,
        updated_by: row.text(6)?,
    })
}
