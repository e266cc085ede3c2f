//! Media file rows, shared by the store and the ingest transaction.

use crate::dialect::{DbConn, DbStore};
use crate::sql::rows::{self, decode_err};
use crate::sql::{Ts, db_err};
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;
use ventros_app::error::AppResult;
use ventros_app::ports::MediaFileStore;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ContactId, MediaFileId, TenantId};
use ventros_domain::media::{ContactPicture, MediaFile, MediaOrigin, MediaStatus};

const MEDIA_COLS: &str = "id, tenant_id, project_id, origin, message_id, status, mimetype, filename, size, sha256, error, source_url, created_at, updated_at, stored_at";

fn media_row(r: &crate::dialect::DbRow) -> Result<MediaFile, sqlx::Error> {
    let origin: String = r.try_get("origin")?;
    let status: String = r.try_get("status")?;
    Ok(MediaFile {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        origin: MediaOrigin::parse(&origin).map_err(|e| decode_err("origin", e))?,
        message_id: r.try_get::<Option<Uuid>, _>("message_id")?.map(Into::into),
        status: MediaStatus::parse(&status).map_err(|e| decode_err("status", e))?,
        mimetype: r.try_get("mimetype")?,
        filename: r.try_get("filename")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        error: r.try_get("error")?,
        source_url: r.try_get("source_url")?,
        created_at: rows::at(r, "created_at")?,
        updated_at: rows::at(r, "updated_at")?,
        stored_at: rows::opt_at(r, "stored_at")?,
    })
}

pub(crate) async fn insert_media(conn: &mut DbConn, f: &MediaFile) -> AppResult<()> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO media_files ({MEDIA_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    )))
    .bind(f.id.0)
    .bind(f.tenant_id.0)
    .bind(f.project_id.0)
    .bind(f.origin.as_str())
    .bind(f.message_id.map(|m| m.0))
    .bind(f.status.as_str())
    .bind(&f.mimetype)
    .bind(&f.filename)
    .bind(f.size)
    .bind(&f.sha256)
    .bind(&f.error)
    .bind(&f.source_url)
    .bind(Ts(f.created_at))
    .bind(Ts(f.updated_at))
    .bind(f.stored_at.map(Ts))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

fn update_media(f: &MediaFile) -> crate::sql::Query<'_> {
    sqlx::query("UPDATE media_files SET status = $1, mimetype = $2, filename = $3, size = $4, sha256 = $5, error = $6, source_url = $7, updated_at = $8, stored_at = $9 WHERE tenant_id = $10 AND id = $11")
        .bind(f.status.as_str())
        .bind(&f.mimetype)
        .bind(&f.filename)
        .bind(f.size)
        .bind(&f.sha256)
        .bind(&f.error)
        .bind(&f.source_url)
        .bind(Ts(f.updated_at))
        .bind(f.stored_at.map(Ts))
        .bind(f.tenant_id.0)
        .bind(f.id.0)
}

#[async_trait]
impl MediaFileStore for DbStore {
    async fn insert_media_file(&self, f: &MediaFile, events: &[EventEnvelope]) -> AppResult<()> {
        let mut tx = self.write(f.tenant_id).await?;
        insert_media(tx.conn(), f).await?;
        tx.append(events, f.created_at).await?;
        tx.commit().await
    }

    async fn get_media_file(
        &self,
        tenant: TenantId,
        id: MediaFileId,
    ) -> AppResult<Option<MediaFile>> {
        let mut q = crate::sql::select(MEDIA_COLS, "media_files", tenant);
        q.push(" AND id = ").push_bind(id.0);
        self.one(tenant, q.build(), media_row).await
    }

    async fn update_media_file(&self, f: &MediaFile, events: &[EventEnvelope]) -> AppResult<()> {
        self.write_with_events(f.tenant_id, update_media(f), events, f.updated_at)
            .await?;
        Ok(())
    }

    async fn get_contact_picture(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> AppResult<Option<ContactPicture>> {
        let mut q = crate::sql::select(
            "tenant_id, contact_id, file_id, sha256, checked_at",
            "contact_pictures",
            tenant,
        );
        q.push(" AND contact_id = ").push_bind(contact.0);
        self.one(tenant, q.build(), |r| {
            Ok(ContactPicture {
                tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
                contact_id: r.try_get::<Uuid, _>("contact_id")?.into(),
                file_id: r.try_get::<Option<Uuid>, _>("file_id")?.map(Into::into),
                sha256: r.try_get("sha256")?,
                checked_at: rows::at(r, "checked_at")?,
            })
        })
        .await
    }

    async fn save_contact_picture(
        &self,
        p: &ContactPicture,
        new_file: Option<&MediaFile>,
        events: &[EventEnvelope],
    ) -> AppResult<()> {
        let mut tx = self.write(p.tenant_id).await?;
        if let Some(f) = new_file {
            insert_media(tx.conn(), f).await?;
        }
        sqlx::query(
            "INSERT INTO contact_pictures (tenant_id, contact_id, file_id, sha256, checked_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, contact_id) DO UPDATE SET file_id = excluded.file_id, sha256 = excluded.sha256, checked_at = excluded.checked_at",
        )
        .bind(p.tenant_id.0)
        .bind(p.contact_id.0)
        .bind(p.file_id.map(|f| f.0))
        .bind(&p.sha256)
        .bind(Ts(p.checked_at))
        .execute(tx.conn())
        .await
        .map_err(db_err)?;
        tx.append(events, p.checked_at).await?;
        tx.commit().await
    }
}
