//! Where the reactor's reads of ingested events go: keys of `ingested_events`
//! (organization, project, position) grouped by organization, so that each read names
//! its organization and, on Citus, reaches the one worker that holds it rather than
//! every worker (a worker down would stop every organization's alerts).

use std::collections::BTreeMap;

use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection};

/// The projects and positions of one organization's ingested events, as the arrays a
/// read binds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Keys {
    pub projects: Vec<i64>,
    pub positions: Vec<i64>,
}

/// `keys` (organization, project, position) by organization.
pub(super) fn by_organization(
    keys: impl IntoIterator<Item = (i64, i64, i64)>,
) -> BTreeMap<i64, Keys> {
    let mut grouped: BTreeMap<i64, Keys> = BTreeMap::new();
    for (organization, project, position) in keys {
        let group = grouped.entry(organization).or_default();
        group.projects.push(project);
        group.positions.push(position);
    }
    grouped
}

/// The condition on `ingested_events` that reads one group: `$1` the organization,
/// `$2` and `$3` its projects and positions.
const ONE_ORGANIZATION: &str = "organization_id = $1
    AND (project_id, position) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[]))";

/// `columns` of the ingested events at `keys` (organization, project, position): one
/// statement per organization, each naming it.
pub(super) async fn read<T>(
    conn: &mut PgConnection,
    columns: &str,
    keys: impl IntoIterator<Item = (i64, i64, i64)>,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let statement = format!("SELECT {columns} FROM ingested_events WHERE {ONE_ORGANIZATION}");
    let mut rows = Vec::new();
    for (organization, group) in by_organization(keys) {
        let read: Vec<T> = sqlx::query_as(&statement)
            .bind(organization)
            .bind(group.projects)
            .bind(group.positions)
            .fetch_all(&mut *conn)
            .await?;
        rows.extend(read);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_two_organizations_make_two_groups_in_their_order() {
        let grouped = by_organization([(2, 20, 5), (1, 10, 6), (2, 21, 7)]);

        assert_eq!(
            grouped.into_iter().collect::<Vec<_>>(),
            [
                (
                    1,
                    Keys {
                        projects: vec![10],
                        positions: vec![6]
                    }
                ),
                (
                    2,
                    Keys {
                        projects: vec![20, 21],
                        positions: vec![5, 7]
                    }
                ),
            ]
        );
    }
}
