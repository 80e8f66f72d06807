//! (3) Seeding before the queries: many small events into many issues through the
//! envelope endpoint, never by writing read-model rows.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sqlx::PgPool;

use crate::cli::{Args, Sizes};
use crate::load::{self, LoadOptions, LoadResult, Visible};
use crate::payload::{self, Size, Templates};
use crate::progress::log;
use crate::server::{Project, Server};

/// Sends the seed and waits until it is visible.
pub async fn run(
    args: &Args,
    srv: &Server,
    pool: &PgPool,
    project: &Project,
    sizes: &Sizes,
) -> anyhow::Result<(LoadResult, Visible)> {
    log(format!(
        "seed: {} events into {} issues through the envelope endpoint",
        sizes.seed_events, sizes.seed_issues
    ));
    let templates = Arc::new(Templates::build(sizes.seed_issues, 4, Size::Small));
    let marks = load::marks(pool, project.id).await?;
    let make: load::Maker = {
        let key = project.public_key.clone();
        Arc::new(move |i| {
            let (event_id, json) = templates.render(i);
            let bytes = Bytes::from(payload::envelope(&event_id, &json, &key));
            load::Body { event_id, bytes }
        })
    };
    let options = LoadOptions {
        concurrency: args.concurrency,
        retry_overload: true,
        sample_every: (sizes.seed_events / 1000).max(1),
        gzip: false,
        progress: Some(Duration::from_secs(15)),
    };
    let (result, start) = load::run(&srv.url, project, sizes.seed_events, make, &options).await;
    log(format!(
        "seed: {}; waiting for the read model",
        result.summary(1)
    ));
    let timeout = Duration::from_secs(args.visible_timeout);
    let visible = load::wait_visible(pool, &marks, &result, start, timeout).await?;
    Ok((result, visible))
}
