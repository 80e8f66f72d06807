//! `file_blobs`: uploaded bytes by SHA-1, with the organizations that uploaded them.

use sqlx::{PgConnection, PgPool};

/// Stores `bytes` (whose SHA-1 the caller checked is `checksum`) for `org_id`. A blob
/// another upload already stored is not written again, only marked as fresh (so garbage
/// collection leaves it to the upload that is using it); the organization becomes one
/// of its owners.
pub async fn put(
    conn: &mut PgConnection,
    org_id: i64,
    checksum: &str,
    bytes: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH blob AS (
             INSERT INTO file_blobs (checksum, size, data) VALUES ($2, $3, $4)
             ON CONFLICT (checksum) DO UPDATE SET created_at = now()
         )
         INSERT INTO file_blob_owners (org_id, checksum) VALUES ($1, $2)
         ON CONFLICT (org_id, checksum) DO UPDATE SET created_at = now()",
    )
    .bind(org_id)
    .bind(checksum)
    .bind(bytes.len() as i64)
    .bind(bytes)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which of `checksums` `org_id` has not uploaded, in the order given.
pub async fn missing(
    pool: &PgPool,
    org_id: i64,
    checksums: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let owned: Vec<String> = sqlx::query_scalar(
        "SELECT checksum FROM file_blob_owners WHERE org_id = $1 AND checksum = ANY($2)",
    )
    .bind(org_id)
    .bind(checksums)
    .fetch_all(pool)
    .await?;
    let mut missing: Vec<String> = checksums
        .iter()
        .filter(|c| !owned.contains(c))
        .cloned()
        .collect();
    missing.dedup();
    Ok(missing)
}

/// The bytes of `checksums` joined in order, if `org_id` owns every one; `None` if one
/// is missing or the total passes `max_size`.
pub async fn concat(
    pool: &PgPool,
    org_id: i64,
    checksums: &[String],
    max_size: u64,
) -> Result<Option<Vec<u8>>, Concat> {
    let sizes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT b.checksum, b.size FROM file_blobs b
         JOIN file_blob_owners o ON o.checksum = b.checksum AND o.org_id = $1
         WHERE b.checksum = ANY($2)",
    )
    .bind(org_id)
    .bind(checksums)
    .fetch_all(pool)
    .await?;
    let mut total = 0u64;
    for checksum in checksums {
        match sizes.iter().find(|(c, _)| c == checksum) {
            Some((_, size)) => total += *size as u64,
            None => return Ok(None),
        }
    }
    if total > max_size {
        return Err(Concat::TooLarge(total));
    }
    let mut out = Vec::with_capacity(total as usize);
    for checksum in checksums {
        let data: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT data FROM file_blobs WHERE checksum = $1")
                .bind(checksum)
                .fetch_optional(pool)
                .await?;
        // Collected meanwhile (another process's retention pass): upload it again.
        let Some(data) = data else { return Ok(None) };
        out.extend_from_slice(&data);
    }
    Ok(Some(out))
}

/// Why chunks could not be joined.
#[derive(Debug, thiserror::Error)]
pub enum Concat {
    /// The store failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The bundle would be larger than allowed.
    #[error("bundle of {0} bytes exceeds the size limit")]
    TooLarge(u64),
}

/// Old blobs looked at per round of [`collect_garbage`].
const GARBAGE_BATCH: i64 = 5_000;

/// Removes blobs older than `min_age_hours` that no bundle file uses: chunks once
/// their bundle is assembled, and the files of deleted bundles. Returns how many.
/// Each round lists a batch of old blobs, then those of them that files use, in
/// statements of their own: on Citus the files live on the workers and the blobs on
/// the coordinator. A bundle assembled meanwhile uses blobs younger than the grace.
pub async fn collect_garbage(pool: &PgPool, min_age_hours: i32) -> Result<u64, sqlx::Error> {
    let mut removed = 0;
    let mut after = String::new();
    loop {
        let old: Vec<String> = sqlx::query_scalar(
            "SELECT checksum FROM file_blobs
              WHERE created_at < now() - make_interval(hours => $1) AND checksum > $2
              ORDER BY checksum LIMIT $3",
        )
        .bind(min_age_hours)
        .bind(&after)
        .bind(GARBAGE_BATCH)
        .fetch_all(pool)
        .await?;
        let Some(last) = old.last() else {
            return Ok(removed);
        };
        after = last.clone();
        let used: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT file_checksum FROM artifact_bundle_files
              WHERE file_checksum = ANY($1)",
        )
        .bind(&old)
        .fetch_all(pool)
        .await?;
        let done = sqlx::query(
            "DELETE FROM file_blobs
              WHERE checksum = ANY($1) AND checksum <> ALL($2)
                AND created_at < now() - make_interval(hours => $3)",
        )
        .bind(&old)
        .bind(&used)
        .bind(min_age_hours)
        .execute(pool)
        .await?;
        removed += done.rows_affected();
    }
}
