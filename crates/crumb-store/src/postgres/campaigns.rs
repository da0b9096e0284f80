//! [`CampaignStore`] on PostgreSQL.

use super::columns::PgRow;
use super::PgStore;
use crate::campaigns::{self, CampaignStore, StoredCampaign, CAMPAIGN_COLUMNS};
use crate::StoreError;

#[async_trait::async_trait]
impl CampaignStore for PgStore {
    async fn insert_campaign(&self, campaign: &StoredCampaign) -> Result<(), StoreError> {
        let c = campaign;
        self.execute(
            &format!("INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[&c.site, &c.id, &c.document, &c.created_at, &c.created_by, &c.updated_at, &c.updated_by],
        )
        .await
        .map(|_| ())
    }

    async fn update_campaign(&self, campaign: &StoredCampaign) -> Result<bool, StoreError> {
        let c = campaign;
        self.execute(
            "UPDATE campaigns SET document = $3, updated_at = $4, updated_by = $5 WHERE site = $1 AND id = $2",
            &[&c.site, &c.id, &c.document, &c.updated_at, &c.updated_by],
        )
        .await
        .map(|changed| changed > 0)
    }

    async fn delete_campaign(&self, site: &str, id: &str) -> Result<bool, StoreError> {
        self.execute("DELETE FROM campaigns WHERE site = $1 AND id = $2", &[&site, &id])
            .await
            .map(|changed| changed > 0)
    }

    async fn stored_campaigns(&self, site: &str) -> Result<Vec<StoredCampaign>, StoreError> {
        self.query_all(
            &format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE site = $1 ORDER BY created_at, id"),
            &[&site],
            |row| campaigns::campaign(&PgRow::record(row)),
        )
        .await
    }
}
