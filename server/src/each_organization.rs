//! Background work that reads across organizations, with a way past a worker down.
//!
//! On Citus a read that spans organizations fails while any worker is down, and with
//! it every organization's due work. A job asks once across all of them; when that
//! fails it asks each organization on its own, so that those on the workers that
//! answer still get their work done (docs/citus.md, "Operations").

use std::future::Future;

use sqlx::PgPool;

/// Runs `work` across every organization (`None`); if that fails, for each
/// organization on its own (`Some(id)`), logging the ones that fail. Returns what
/// each run that succeeded returned. `job` names the work in the logs.
pub async fn across_or_each<T, F, Fut>(
    pool: &PgPool,
    job: &'static str,
    mut work: F,
) -> anyhow::Result<Vec<T>>
where
    F: FnMut(Option<i64>) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let error = match work(None).await {
        Ok(done) => return Ok(vec![done]),
        Err(error) => error,
    };
    tracing::warn!(job, %error, "a pass across organizations failed, passing each on its own");
    let organizations: Vec<i64> = sqlx::query_scalar("SELECT id FROM organizations ORDER BY id")
        .fetch_all(pool)
        .await?;
    let mut done = Vec::with_capacity(organizations.len());
    for organization in organizations {
        match work(Some(organization)).await {
            Ok(one) => done.push(one),
            Err(error) => {
                tracing::warn!(job, organization, %error, "a pass of one organization failed")
            }
        }
    }
    Ok(done)
}
