//! [`CampaignStore`] on SQLite.

use rusqlite::params;

use super::{backend_error, query_all, SqliteStore};
use crate::campaigns::{self, CampaignStore, StoredCampaign, CAMPAIGN_COLUMNS};
use crate::StoreError;

#[async_trait::async_trait]
impl CampaignStore for SqliteStore {
    async fn insert_campaign(&self, campaign: &StoredCampaign) -> Result<(), StoreError> {
        let c = campaign.clone();
        self.with(move |connection| {
            connection
                .execute(
                    &format!("INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                    params![c.site, c.id, c.document, c.created_at, c.created_by, c.updated_at, c.updated_by],
                )
                .map(|_| ())
                .map_err(backend_error)
        })
        .await
    }

    async fn update_campaign(&self, campaign: &StoredCampaign) -> Result<bool, StoreError> {
        let c = campaign.clone();
        self.with(move |connection| {
            connection
                .execute(
                    "UPDATE campaigns SET document = ?3, updated_at = ?4, updated_by = ?5 WHERE site = ?1 AND id = ?2",
                    params![c.site, c.id, c.document, c.updated_at, c.updated_by],
                )
                .map(|changed| changed > 0)
                .map_err(backend_error)
        })
        .await
    }

    async fn delete_campaign(&self, site: &str, id: &str) -> Result<bool, StoreError> {
        let (site, id) = (site.to_owned(), id.to_owned());
        self.with(move |connection| {
            connection
                .execute("DELETE FROM campaigns WHERE site = ?1 AND id = ?2", params![site, id])
                .map(|changed| changed > 0)
                .map_err(backend_error)
        })
        .await
    }

    async fn stored_campaigns(&self, site: &str) -> Result<Vec<StoredCampaign>, StoreError> {
        let site = site.to_owned();
        self.read(move |connection| {
            query_all(
                connection,
                &format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE site = ?1 ORDER BY created_at, id"),
                params![site],
                |row| campaigns::campaign(row),
            )
        })
        .await
    }
}
