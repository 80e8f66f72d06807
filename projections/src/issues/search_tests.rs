//! The issue search statement on a real Postgres, over rows written straight into the
//! read-model tables.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, DurationRound, Utc};
use faultline_domain::search::{parse, AssigneeFilter, Filter, IssueSort};
use sqlx::PgPool;

use super::search::{build, search, stats, Assignees, Cursor, Search, SearchScope, StatsPeriod};

const ORG: i64 = 3;
const PROJECT: i64 = 7;
const OTHER_PROJECT: i64 = 8;
const ME: i64 = 10;

/// An issue row; `Default` is an unresolved `error` seen once, first and last an hour ago.
#[derive(Clone)]
struct Seed {
    id: i64,
    org_id: i64,
    project_id: i64,
    title: &'static str,
    culprit: &'static str,
    level: &'static str,
    status: &'static str,
    substatus: Option<&'static str>,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    times_seen: i64,
    user_count: i64,
}

impl Seed {
    fn new(id: i64) -> Seed {
        let hour_ago = Utc::now() - Duration::hours(1);
        Seed {
            id,
            org_id: ORG,
            project_id: PROJECT,
            title: "Error",
            culprit: "app in main",
            level: "error",
            status: "unresolved",
            substatus: None,
            first_seen: hour_ago,
            last_seen: hour_ago,
            times_seen: 1,
            user_count: 0,
        }
    }
}

async fn setup(pool: &PgPool) {
    sqlx::query(
        "INSERT INTO projects (id, org_id, slug, name, platform, date_created)
         VALUES ($1, $3, 'backend', 'Backend', 'python', now()),
                ($2, $3, 'frontend', 'Frontend', NULL, now()),
                (9, 99, 'elsewhere', 'Elsewhere', NULL, now())",
    )
    .bind(PROJECT)
    .bind(OTHER_PROJECT)
    .bind(ORG)
    .execute(pool)
    .await
    .unwrap();
}

async fn insert(pool: &PgPool, seed: Seed) {
    sqlx::query(
        "INSERT INTO issues (id, stream_id, project_id, org_id, short_number, hash, title, culprit,
                             metadata, issue_type, level, platform, status, substatus,
                             first_seen, last_seen, times_seen, user_count)
         VALUES ($1, 'issue-' || $1, $2, $3, $1, 'h' || $1, $4, $5, '{}', 'error', $6, 'python',
                 $7, $8, $9, $10, $11, $12)",
    )
    .bind(seed.id)
    .bind(seed.project_id)
    .bind(seed.org_id)
    .bind(seed.title)
    .bind(seed.culprit)
    .bind(seed.level)
    .bind(seed.status)
    .bind(seed.substatus)
    .bind(seed.first_seen)
    .bind(seed.last_seen)
    .bind(seed.times_seen)
    .bind(seed.user_count)
    .execute(pool)
    .await
    .unwrap();
}

async fn tag(pool: &PgPool, issue_id: i64, key: &str, value: &str) {
    sqlx::query(
        "INSERT INTO issue_tag_values (issue_id, key, value, times_seen, first_seen, last_seen, org_id)
         SELECT $1, $2, $3, 1, now(), now(), org_id FROM issues WHERE id = $1",
    )
    .bind(issue_id)
    .bind(key)
    .bind(value)
    .execute(pool)
    .await
    .unwrap();
}

async fn exec(pool: &PgPool, sql: &str) {
    sqlx::query(sql).execute(pool).await.unwrap();
}

fn scope() -> SearchScope {
    SearchScope {
        org_id: ORG,
        project_ids: None,
        environments: Vec::new(),
        user_id: Some(ME),
    }
}

/// The ids matching `query` in `scope`, in date order, as a set.
async fn matching_in(pool: &PgPool, query: &str, scope: &SearchScope) -> BTreeSet<i64> {
    let query = parse(query, Utc::now()).unwrap();
    let page = search(
        pool,
        &Search {
            query: &query,
            sort: IssueSort::Date,
            scope,
            cursor: None,
            limit: 100,
        },
    )
    .await
    .unwrap();
    page.rows.iter().map(|r| r.id).collect()
}

async fn matching(pool: &PgPool, query: &str) -> BTreeSet<i64> {
    matching_in(pool, query, &scope()).await
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

/// The ids of one page, in order, and the page.
async fn page(
    pool: &PgPool,
    query: &str,
    sort: IssueSort,
    cursor: Option<Cursor>,
    limit: i64,
) -> super::search::SearchPage {
    let query = parse(query, Utc::now()).unwrap();
    search(
        pool,
        &Search {
            query: &query,
            sort,
            scope: &scope(),
            cursor,
            limit,
        },
    )
    .await
    .unwrap()
}

fn ids(page: &super::search::SearchPage) -> Vec<i64> {
    page.rows.iter().map(|r| r.id).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn status_filters_follow_status_and_the_derived_substatus(pool: PgPool) {
    setup(&pool).await;
    let ten_days_ago = Utc::now() - Duration::days(10);
    insert(&pool, Seed::new(1)).await;
    insert(
        &pool,
        Seed {
            first_seen: ten_days_ago,
            ..Seed::new(2)
        },
    )
    .await;
    insert(
        &pool,
        Seed {
            first_seen: ten_days_ago,
            substatus: Some("regressed"),
            ..Seed::new(3)
        },
    )
    .await;
    insert(
        &pool,
        Seed {
            status: "resolved",
            ..Seed::new(4)
        },
    )
    .await;
    insert(
        &pool,
        Seed {
            status: "ignored",
            ..Seed::new(5)
        },
    )
    .await;

    assert_eq!(matching(&pool, "is:unresolved").await, set(&[1, 2, 3]));
    assert_eq!(matching(&pool, "is:resolved").await, set(&[4]));
    assert_eq!(matching(&pool, "is:ignored").await, set(&[5]));
    assert_eq!(matching(&pool, "is:archived").await, set(&[5]));
    assert_eq!(matching(&pool, "is:regressed").await, set(&[3]));
    assert_eq!(matching(&pool, "is:new").await, set(&[1]));
    assert_eq!(matching(&pool, "is:ongoing").await, set(&[2]));
    assert_eq!(matching(&pool, "is:for_review").await, set(&[1, 3]));
    assert_eq!(matching(&pool, "!is:unresolved").await, set(&[4, 5]));
    assert_eq!(matching(&pool, "!is:regressed").await, set(&[1, 2, 4, 5]));
    assert_eq!(matching(&pool, "is:unresolved !is:new").await, set(&[2, 3]));
    assert_eq!(matching(&pool, "").await, set(&[1, 2, 3, 4, 5]));
}

#[sqlx::test(migrations = "../migrations")]
async fn assignment_and_bookmark_filters_read_the_workflow_columns(pool: PgPool) {
    setup(&pool).await;
    for id in 1..=5 {
        insert(&pool, Seed::new(id)).await;
    }
    exec(
        &pool,
        "INSERT INTO members (id, org_id, user_id, email, role, date_created) VALUES
            (1, 3, 10, 'me@example.com', 'member', now()),
            (2, 3, 11, 'Jane@Example.com', 'member', now()),
            (3, 99, 12, 'jane@example.com', 'member', now())",
    )
    .await;
    exec(
        &pool,
        "INSERT INTO teams (id, org_id, slug, name, date_created) VALUES
            (50, 3, 'backend', 'Backend', now()), (51, 99, 'backend', 'Backend', now())",
    )
    .await;
    exec(
        &pool,
        "UPDATE issues SET assignee_user_id = CASE id WHEN 1 THEN 10 WHEN 2 THEN 11 WHEN 5 THEN 12 END,
                           assignee_team_id = CASE id WHEN 3 THEN 50 END",
    )
    .await;
    exec(
        &pool,
        "INSERT INTO issue_bookmarks (issue_id, user_id, org_id)
         SELECT id, 9 + id, org_id FROM issues WHERE id IN (1, 2)",
    )
    .await;

    assert_eq!(matching(&pool, "is:assigned").await, set(&[1, 2, 3, 5]));
    assert_eq!(matching(&pool, "is:unassigned").await, set(&[4]));
    assert_eq!(matching(&pool, "assigned:none").await, set(&[4]));
    assert_eq!(matching(&pool, "assigned:me").await, set(&[1]));
    assert_eq!(matching(&pool, "!assigned:me").await, set(&[2, 3, 4, 5]));
    assert_eq!(
        matching(&pool, "assigned:jane@example.com").await,
        set(&[2]),
        "by the member's email in this organization, case-insensitively"
    );
    assert_eq!(matching(&pool, "assigned:#backend").await, set(&[3]));
    assert_eq!(
        matching(&pool, "!assigned:#backend").await,
        set(&[1, 2, 4, 5])
    );
    assert_eq!(matching(&pool, "bookmarks:me").await, set(&[1]));
    assert_eq!(matching(&pool, "bookmarks:none").await, set(&[3, 4, 5]));
    assert_eq!(matching(&pool, "!bookmarks:me").await, set(&[2, 3, 4, 5]));

    let anonymous = SearchScope {
        user_id: None,
        ..scope()
    };
    assert_eq!(
        matching_in(&pool, "assigned:me", &anonymous).await,
        set(&[])
    );
    assert_eq!(
        matching_in(&pool, "bookmarks:me", &anonymous).await,
        set(&[])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn level_release_environment_and_tag_filters_match_any_value(pool: PgPool) {
    setup(&pool).await;
    insert(&pool, Seed::new(1)).await;
    insert(
        &pool,
        Seed {
            level: "fatal",
            ..Seed::new(2)
        },
    )
    .await;
    insert(
        &pool,
        Seed {
            level: "warning",
            ..Seed::new(3)
        },
    )
    .await;
    for (id, key, value) in [
        (1, "release", "1.0"),
        (1, "environment", "production"),
        (1, "browser", "Firefox"),
        (2, "release", "2.0"),
        (2, "environment", "staging"),
        (2, "browser", "Mobile Safari"),
    ] {
        tag(&pool, id, key, value).await;
    }

    assert_eq!(matching(&pool, "level:[error,fatal]").await, set(&[1, 2]));
    assert_eq!(matching(&pool, "!level:error").await, set(&[2, 3]));
    assert_eq!(matching(&pool, "release:1.0").await, set(&[1]));
    assert_eq!(matching(&pool, "release:[1.0,2.0]").await, set(&[1, 2]));
    assert_eq!(matching(&pool, "!release:1.0").await, set(&[2, 3]));
    assert_eq!(matching(&pool, "environment:staging").await, set(&[2]));
    assert_eq!(matching(&pool, "!environment:staging").await, set(&[1, 3]));
    assert_eq!(matching(&pool, "browser:Firefox").await, set(&[1]));
    assert_eq!(
        matching(&pool, r#"browser:"Mobile Safari""#).await,
        set(&[2])
    );
    assert_eq!(matching(&pool, "tags[browser]:Firefox").await, set(&[1]));
    assert_eq!(matching(&pool, "!browser:Firefox").await, set(&[2, 3]));
    assert_eq!(
        matching(&pool, "browser:[Firefox,Chrome] level:error").await,
        set(&[1])
    );

    let production = SearchScope {
        environments: vec!["production".into(), "qa".into()],
        ..scope()
    };
    assert_eq!(matching_in(&pool, "", &production).await, set(&[1]));
}

#[sqlx::test(migrations = "../migrations")]
async fn counters_ids_and_dates_compare_with_each_operator(pool: PgPool) {
    setup(&pool).await;
    let now = Utc::now();
    for (id, times, users, first_days, last_hours) in [
        (1, 5, 1, 1, 1),
        (2, 50, 10, 10, 30),
        (3, 500, 100, 30, 24 * 20),
    ] {
        insert(
            &pool,
            Seed {
                times_seen: times,
                user_count: users,
                first_seen: now - Duration::days(first_days),
                last_seen: now - Duration::hours(last_hours),
                ..Seed::new(id)
            },
        )
        .await;
    }

    assert_eq!(matching(&pool, "times_seen:>10").await, set(&[2, 3]));
    assert_eq!(matching(&pool, "times_seen:<=50").await, set(&[1, 2]));
    assert_eq!(matching(&pool, "times_seen:50").await, set(&[2]));
    assert_eq!(matching(&pool, "!times_seen:50").await, set(&[1, 3]));
    assert_eq!(matching(&pool, "user_count:>=10").await, set(&[2, 3]));
    assert_eq!(matching(&pool, "user_count:<10").await, set(&[1]));
    assert_eq!(matching(&pool, "issue.id:2").await, set(&[2]));
    assert_eq!(matching(&pool, "issue.id:>1").await, set(&[2, 3]));
    assert_eq!(matching(&pool, "firstSeen:-7d").await, set(&[1]));
    assert_eq!(matching(&pool, "firstSeen:+7d").await, set(&[2, 3]));
    assert_eq!(matching(&pool, "lastSeen:-24h").await, set(&[1]));
    assert_eq!(matching(&pool, "!lastSeen:-24h").await, set(&[2, 3]));
    let cut = (now - Duration::days(15)).format("%Y-%m-%dT%H:%M:%S");
    assert_eq!(
        matching(&pool, &format!("firstSeen:<{cut}")).await,
        set(&[3])
    );
    assert_eq!(
        matching(&pool, &format!("lastSeen:>={cut}")).await,
        set(&[1, 2])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn every_free_text_term_must_occur_in_title_or_culprit_literally(pool: PgPool) {
    setup(&pool).await;
    for (id, title, culprit) in [
        (1, "ValueError: 100% broken", "shop.views in checkout"),
        (2, "KeyError: user_id", "shop.views in cart"),
        (3, "KeyError: userXid", "shop.api in checkout"),
        (4, "TypeError: 1000 items", "worker in run"),
    ] {
        insert(
            &pool,
            Seed {
                title,
                culprit,
                ..Seed::new(id)
            },
        )
        .await;
    }

    assert_eq!(matching(&pool, "valueerror").await, set(&[1]));
    assert_eq!(matching(&pool, "100%").await, set(&[1]), "% is literal");
    assert_eq!(matching(&pool, "user_id").await, set(&[2]), "_ is literal");
    assert_eq!(matching(&pool, "checkout").await, set(&[1, 3]));
    assert_eq!(matching(&pool, "KeyError checkout").await, set(&[3]));
    assert_eq!(matching(&pool, r#""shop.views in""#).await, set(&[1, 2]));
    assert_eq!(matching(&pool, r"back\slash").await, set(&[]));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_search_sees_only_its_organization_and_projects(pool: PgPool) {
    setup(&pool).await;
    insert(&pool, Seed::new(1)).await;
    insert(
        &pool,
        Seed {
            project_id: OTHER_PROJECT,
            ..Seed::new(2)
        },
    )
    .await;
    insert(
        &pool,
        Seed {
            org_id: 99,
            project_id: 9,
            ..Seed::new(3)
        },
    )
    .await;

    assert_eq!(matching(&pool, "").await, set(&[1, 2]));
    let one_project = SearchScope {
        project_ids: Some(vec![OTHER_PROJECT, 9]),
        ..scope()
    };
    assert_eq!(matching_in(&pool, "", &one_project).await, set(&[2]));
}

#[sqlx::test(migrations = "../migrations")]
async fn each_sort_orders_by_its_column_then_id_descending(pool: PgPool) {
    setup(&pool).await;
    let now = Utc::now();
    for (id, first_h, last_h, times, users) in [
        (1, 50, 1, 10, 3),
        (2, 10, 5, 30, 1),
        (3, 30, 3, 20, 3),
        (4, 40, 1, 30, 2),
    ] {
        insert(
            &pool,
            Seed {
                first_seen: now - Duration::hours(first_h),
                last_seen: now - Duration::hours(last_h),
                times_seen: times,
                user_count: users,
                ..Seed::new(id)
            },
        )
        .await;
    }

    let pool = &pool;
    let order = |sort| async move { ids(&page(pool, "", sort, None, 10).await) };
    assert_eq!(order(IssueSort::Date).await, vec![4, 1, 3, 2]);
    assert_eq!(order(IssueSort::New).await, vec![2, 3, 4, 1]);
    assert_eq!(order(IssueSort::Freq).await, vec![4, 2, 3, 1]);
    assert_eq!(order(IssueSort::User).await, vec![3, 1, 4, 2]);
}

/// Walks every page of `sort` with `limit`, calling `between` after each page.
async fn walk<F, Fut>(pool: &PgPool, sort: IssueSort, limit: i64, mut between: F) -> Vec<i64>
where
    F: FnMut(usize, Vec<i64>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut seen = Vec::new();
    let mut cursor = None;
    for n in 0.. {
        let found = page(pool, "is:unresolved", sort, cursor, limit).await;
        assert!(found.rows.len() as i64 <= limit);
        seen.extend(ids(&found));
        if !found.has_next {
            break;
        }
        cursor = Some(found.next);
        between(n, seen.clone()).await;
    }
    seen
}

#[sqlx::test(migrations = "../migrations")]
async fn keyset_pages_list_each_issue_once_while_others_move_and_arrive(pool: PgPool) {
    setup(&pool).await;
    let now = Utc::now();
    // Ties on every sort value, and sub-millisecond last_seen differences.
    for id in 1..=9 {
        insert(
            &pool,
            Seed {
                last_seen: now - Duration::minutes(id / 2) - Duration::microseconds(id % 2 * 7),
                first_seen: now - Duration::hours(id / 3),
                times_seen: 100 - (id / 3) * 10,
                user_count: id % 2,
                ..Seed::new(id)
            },
        )
        .await;
    }
    for sort in IssueSort::ALL {
        let mut next_id = 100;
        let mut seen = walk(&pool, sort, 2, |n, listed| {
            let pool = pool.clone();
            next_id += 1;
            let new_id = next_id;
            async move {
                // An issue already listed moves to the top, and a new issue arrives.
                sqlx::query(
                    "UPDATE issues SET last_seen = now(), first_seen = now(),
                            times_seen = times_seen + 1000, user_count = user_count + 1000
                      WHERE id = $1",
                )
                .bind(listed[0])
                .execute(&pool)
                .await
                .unwrap();
                let mut fresh = Seed::new(new_id);
                fresh.last_seen = Utc::now();
                fresh.first_seen = Utc::now();
                fresh.times_seen = 5000 + n as i64;
                fresh.user_count = 5000;
                insert(&pool, fresh).await;
            }
        })
        .await;
        let listed = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), listed, "{sort}: no issue twice");
        let originals: Vec<i64> = seen.iter().copied().filter(|id| *id < 100).collect();
        assert_eq!(originals, (1..=9).collect::<Vec<_>>(), "{sort}: no gaps");
        sqlx::query("DELETE FROM issues WHERE id >= 100")
            .execute(&pool)
            .await
            .unwrap();
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_previous_cursor_returns_the_page_before(pool: PgPool) {
    setup(&pool).await;
    for id in 1..=5 {
        insert(
            &pool,
            Seed {
                times_seen: 10 * id,
                ..Seed::new(id)
            },
        )
        .await;
    }
    let first = page(&pool, "", IssueSort::Freq, None, 2).await;
    assert_eq!(ids(&first), vec![5, 4]);
    assert!(!first.has_previous);
    assert!(first.has_next);
    let second = page(&pool, "", IssueSort::Freq, Some(first.next), 2).await;
    assert_eq!(ids(&second), vec![3, 2]);
    assert!(second.has_previous);
    let third = page(&pool, "", IssueSort::Freq, Some(second.next), 2).await;
    assert_eq!(ids(&third), vec![1]);
    assert!(!third.has_next);
    let back = page(&pool, "", IssueSort::Freq, Some(third.previous), 2).await;
    assert_eq!(ids(&back), vec![3, 2]);
    assert!(back.has_previous);
    let start = page(&pool, "", IssueSort::Freq, Some(back.previous), 2).await;
    assert_eq!(ids(&start), vec![5, 4]);
    assert!(!start.has_previous);
    assert!(start.has_next);
}

#[test]
fn cursors_print_the_sort_value_and_id_and_parse_back() {
    let date = Cursor::parse("1767225600123.456:42:0", IssueSort::Date).unwrap();
    assert_eq!(date.value, 1_767_225_600_123_456);
    assert_eq!(date.id, 42);
    assert!(!date.is_prev);
    assert_eq!(date.to_string(), "1767225600123.456:42:0");
    let whole = Cursor::parse("1767225600123:7:1", IssueSort::New).unwrap();
    assert_eq!(whole.value, 1_767_225_600_123_000);
    assert_eq!(whole.to_string(), "1767225600123:7:1");
    assert_eq!(
        Cursor::parse("1767225600123.4:7:1", IssueSort::Date)
            .unwrap()
            .value,
        1_767_225_600_123_400
    );
    let freq = Cursor::parse("120:9:0", IssueSort::Freq).unwrap();
    assert_eq!((freq.value, freq.id), (120, 9));
    assert_eq!(freq.to_string(), "120:9:0");
    for bad in ["", "garbage", "1:2", "1:2:3", "1:x:0", "1.5:2:0", "1:2:0:0"] {
        assert_eq!(Cursor::parse(bad, IssueSort::Freq), None, "{bad}");
    }
    for bad in ["-1:2:0", "1.2345:2:0", "1.x:2:0", "x:2:0"] {
        assert_eq!(Cursor::parse(bad, IssueSort::Date), None, "{bad}");
    }
}

#[test]
fn user_values_reach_the_statement_only_as_parameters() {
    let evil = "x'); DROP TABLE issues; --";
    let mut query = parse(
        &format!(r#"level:"{evil}" browser:"{evil}" "{evil}""#),
        Utc::now(),
    )
    .unwrap();
    query.filters.push(Filter::AssignedTo {
        negated: false,
        target: AssigneeFilter::Team(evil.into()),
    });
    query.filters.push(Filter::AssignedTo {
        negated: true,
        target: AssigneeFilter::Email(evil.into()),
    });
    let scope = SearchScope {
        environments: vec![evil.into()],
        ..scope()
    };
    let statement = build(
        &Search {
            query: &query,
            sort: IssueSort::Date,
            scope: &scope,
            cursor: None,
            limit: 25,
        },
        &Assignees::default(),
    );
    assert!(!statement.sql().contains("DROP"), "{}", statement.sql());
}

#[sqlx::test(migrations = "../migrations")]
async fn stats_count_events_per_bucket_for_each_issue(pool: PgPool) {
    setup(&pool).await;
    insert(&pool, Seed::new(1)).await;
    insert(&pool, Seed::new(2)).await;
    let now = Utc::now().duration_trunc(Duration::hours(1)).unwrap() + Duration::minutes(30);
    for (n, (issue, ago)) in [
        (1, Duration::minutes(1)),
        (1, Duration::minutes(2)),
        (1, Duration::hours(5)),
        (1, Duration::hours(30)),
        (2, Duration::days(3)),
    ]
    .into_iter()
    .enumerate()
    {
        sqlx::query(
            "INSERT INTO issue_events (event_id, project_id, issue_id, position, timestamp, received,
                                       org_id)
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(format!("e{n}"))
        .bind(PROJECT)
        .bind(issue)
        .bind(n as i64)
        .bind(now - ago)
        .bind(ORG)
        .execute(&pool)
        .await
        .unwrap();
    }

    let day = stats(&pool, ORG, &[1, 2], StatsPeriod::Day, now)
        .await
        .unwrap();
    let buckets = StatsPeriod::Day.buckets(now);
    assert_eq!(buckets.len(), 24);
    let one = &day[&1];
    assert_eq!(one.len(), 24);
    assert_eq!(one.iter().map(|(_, c)| c).sum::<i64>(), 3);
    assert_eq!(one[23], (buckets[23].timestamp(), 2));
    assert_eq!(day[&2].iter().map(|(_, c)| c).sum::<i64>(), 0);

    let weeks = stats(&pool, ORG, &[1, 2], StatsPeriod::TwoWeeks, now)
        .await
        .unwrap();
    assert_eq!(weeks[&1].len(), 14);
    assert_eq!(weeks[&1].iter().map(|(_, c)| c).sum::<i64>(), 4);
    assert_eq!(weeks[&2].iter().map(|(_, c)| c).sum::<i64>(), 1);
    assert!(weeks[&1].windows(2).all(|w| w[1].0 - w[0].0 == 86_400));
}
