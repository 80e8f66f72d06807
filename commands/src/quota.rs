//! The shared counter behind the global per-project rate limit: each process leases
//! slices of a project's quota for a window from Postgres, so the limit holds across
//! every `faultline serve` on one database while the per-event path stays in memory
//! (the lease cache is `faultline_api::routes::ingest::ProjectLimiter`).

use sqlx::PgPool;

/// Takes up to `wanted` events from `project_id`'s quota of `limit` for the window
/// starting at `window_start` (unix seconds); returns how many were granted (0 when
/// the window is used up). Atomic: concurrent leases never grant more than `limit`
/// in total.
pub async fn lease(
    pool: &PgPool,
    project_id: i64,
    window_start: i64,
    wanted: i64,
    limit: i64,
) -> Result<i64, sqlx::Error> {
    // In ON CONFLICT DO UPDATE every SET expression sees the old row, so last_grant
    // records exactly what this statement added.
    sqlx::query_scalar(
        "INSERT INTO project_quotas AS q (project_id, window_start, used, last_grant)
         VALUES ($1, $2, LEAST($3, $4), LEAST($3, $4))
         ON CONFLICT (project_id, window_start) DO UPDATE
            SET last_grant = LEAST($3, GREATEST($4 - q.used, 0)),
                used = q.used + LEAST($3, GREATEST($4 - q.used, 0))
         RETURNING last_grant",
    )
    .bind(project_id)
    .bind(window_start)
    .bind(wanted)
    .bind(limit)
    .fetch_one(pool)
    .await
}

/// Deletes `project_id`'s counters of windows that started before `before`.
pub async fn forget_before(pool: &PgPool, project_id: i64, before: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM project_quotas WHERE project_id = $1 AND window_start < $2")
        .bind(project_id)
        .bind(before)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test(migrations = "../migrations")]
    async fn leases_are_granted_until_the_window_is_used_up(pool: PgPool) {
        assert_eq!(lease(&pool, 1, 60, 4, 10).await.unwrap(), 4);
        assert_eq!(lease(&pool, 1, 60, 4, 10).await.unwrap(), 4);
        assert_eq!(lease(&pool, 1, 60, 4, 10).await.unwrap(), 2);
        assert_eq!(lease(&pool, 1, 60, 4, 10).await.unwrap(), 0);
        assert_eq!(lease(&pool, 1, 120, 4, 10).await.unwrap(), 4);
        assert_eq!(lease(&pool, 2, 60, 4, 10).await.unwrap(), 4);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn concurrent_leases_never_grant_more_than_the_limit(pool: PgPool) {
        let leases = (0..40).map(|_| lease(&pool, 7, 0, 3, 50));
        let granted: i64 = futures::future::join_all(leases)
            .await
            .into_iter()
            .map(Result::unwrap)
            .sum();
        assert_eq!(granted, 50);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn old_windows_are_forgotten(pool: PgPool) {
        lease(&pool, 1, 0, 1, 10).await.unwrap();
        lease(&pool, 1, 60, 1, 10).await.unwrap();
        forget_before(&pool, 1, 60).await.unwrap();
        let windows: Vec<i64> =
            sqlx::query_scalar("SELECT window_start FROM project_quotas ORDER BY 1")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(windows, vec![60]);
    }
}
