//! `faultline state`.

use faultline_domain::artifact_bundle::ArtifactBundle;
use faultline_domain::issue::Issue;
use faultline_domain::organization::Organization;
use faultline_domain::project::Project;
use faultline_domain::release::Release;
use faultline_domain::user::User;
use faultline_projections::history::resolve::stream_id;
use faultline_projections::history::state::as_of;
use sqlx::PgPool;

use super::args::{AggregateArg, StateArgs};

/// Prints `{aggregate_type, aggregate_id, as_of, events, sequence, last_recorded_at,
/// state}` as pretty JSON.
pub async fn run(pool: &PgPool, args: StateArgs) -> anyhow::Result<()> {
    let aggregate_type = args.aggregate.aggregate_type();
    let stream = stream_id(pool, aggregate_type, &args.id).await?;
    let folded = match args.aggregate {
        AggregateArg::Organization => {
            serde_json::to_value(as_of::<Organization>(pool, &stream, args.as_of).await?)?
        }
        AggregateArg::Project => {
            serde_json::to_value(as_of::<Project>(pool, &stream, args.as_of).await?)?
        }
        AggregateArg::Issue => {
            serde_json::to_value(as_of::<Issue>(pool, &stream, args.as_of).await?)?
        }
        AggregateArg::User => {
            serde_json::to_value(as_of::<User>(pool, &stream, args.as_of).await?)?
        }
        AggregateArg::ArtifactBundle => {
            serde_json::to_value(as_of::<ArtifactBundle>(pool, &stream, args.as_of).await?)?
        }
        AggregateArg::Release => {
            serde_json::to_value(as_of::<Release>(pool, &stream, args.as_of).await?)?
        }
    };
    println!("{}", serde_json::to_string_pretty(&folded)?);
    Ok(())
}
