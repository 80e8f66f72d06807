//! A release and a deploy as Sentry's release serializer shows them.

use faultline_projections::releases::queries::{
    CommitRow, DeployRow, ReleaseProject, ReleaseRow, RepositoryRow,
};
use serde_json::{json, Value};

use crate::json::date;

/// A deploy.
pub fn deploy_json(deploy: &DeployRow) -> Value {
    json!({
        "id": deploy.id.to_string(),
        "environment": deploy.environment,
        "name": deploy.name,
        "url": deploy.url,
        "dateStarted": deploy.date_started.map(date),
        "dateFinished": date(deploy.date_finished),
    })
}

/// Sentry's parse of a version: `package@version+build` names a package, a version
/// and a build; anything else is a bare version.
pub fn version_info(version: &str) -> Value {
    let (package, rest) = match version.split_once('@') {
        Some((package, rest)) if !package.is_empty() && !rest.is_empty() => (Some(package), rest),
        _ => (None, version),
    };
    let (raw, build) = match rest.split_once('+') {
        Some((raw, build)) => (raw, Some(build)),
        None => (rest, None),
    };
    let build_hash =
        (rest.len() == 40 && rest.bytes().all(|b| b.is_ascii_hexdigit())).then_some(rest);
    let mut parsed = json!({"raw": rest});
    if let Ok(semver) = semver::Version::parse(rest) {
        parsed = json!({
            "raw": rest,
            "major": semver.major,
            "minor": semver.minor,
            "patch": semver.patch,
            "pre": (!semver.pre.is_empty()).then(|| semver.pre.to_string()),
            "buildCode": build,
            "components": 3,
        });
    }
    json!({
        "package": package,
        "version": parsed,
        "description": short_version(version, raw, build),
        "buildHash": build_hash,
    })
}

/// What Sentry shows as a version's short form: the version without its package, a
/// commit hash cut to 12 characters.
fn short_version(version: &str, raw: &str, build: Option<&str>) -> String {
    let short = match build {
        Some(build) => format!("{raw} ({build})"),
        None => raw.to_owned(),
    };
    if version.len() == 40 && version.bytes().all(|b| b.is_ascii_hexdigit()) {
        return version[..12].to_owned();
    }
    short
}

/// A repository a release named. Faultline links no code host: the provider says so,
/// and the name is the id.
pub fn repository_json(name: &str, date_created: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    json!({
        "id": name,
        "name": name,
        "url": null,
        "provider": {"id": "faultline", "name": "Unlinked"},
        "status": "active",
        "dateCreated": date_created.map(date),
        "integrationId": null,
        "externalSlug": null,
        "externalId": null,
    })
}

/// A repository row.
pub fn repository_row_json(row: &RepositoryRow) -> Value {
    repository_json(&row.name, Some(row.date_created))
}

/// A commit author as Sentry shows one without a matching user.
fn author_json(commit: &CommitRow) -> Value {
    match (&commit.author_name, &commit.author_email) {
        (None, None) => Value::Null,
        (name, email) => json!({"name": name, "email": email}),
    }
}

/// A commit of a release.
pub fn commit_json(commit: &CommitRow, release: &ReleaseRow) -> Value {
    json!({
        "id": commit.id,
        "message": commit.message,
        "dateCreated": date(commit.committed_at.unwrap_or(release.date_created)),
        "repository": commit.repository.as_deref().map(|name| repository_json(name, None)),
        "author": author_json(commit),
        "pullRequest": null,
        "suspectCommitType": "",
    })
}

/// The files the commits of a release changed, one entry per commit and file.
pub fn commit_files_json(commits: &[CommitRow]) -> Value {
    let mut files = Vec::new();
    for commit in commits {
        for pair in commit.files.as_array().into_iter().flatten() {
            files.push(json!({
                "id": format!("{}:{}", commit.id, pair[0].as_str().unwrap_or_default()),
                "filename": pair[0],
                "type": pair[1],
                "commitMessage": commit.message,
                "author": author_json(commit),
                "repoName": commit.repository,
            }));
        }
    }
    Value::Array(files)
}

/// An issue's first or last release: the release's own record when the release was
/// created, else what the issue's `release` tag value knows of it.
pub fn issue_release_json(
    tag: &faultline_projections::issues::queries::TagValueRow,
    release: Option<&ReleaseRow>,
) -> Value {
    let info = version_info(&tag.value);
    json!({
        "id": release.map(|r| r.id),
        "version": tag.value,
        "shortVersion": info["description"],
        "versionInfo": info,
        "ref": release.and_then(|r| r.reference.clone()),
        "url": release.and_then(|r| r.url.clone()),
        "status": release.map_or("open", |r| r.status.as_str()),
        "dateCreated": date(release.map_or(tag.first_seen, |r| r.date_created)),
        "dateReleased": release.and_then(|r| r.date_released).map(date),
        "firstEvent": date(tag.first_seen),
        "lastEvent": date(tag.last_seen),
    })
}

/// A release with its projects (what the issues read model knows of the release in
/// each), its latest deploy and its commits.
pub fn release_json(
    release: &ReleaseRow,
    projects: &[ReleaseProject],
    last_deploy: Option<&DeployRow>,
    commits: &[CommitRow],
) -> Value {
    let mut authors: Vec<Value> = Vec::new();
    for commit in commits {
        let author = author_json(commit);
        if !author.is_null() && !authors.contains(&author) {
            authors.push(author);
        }
    }
    let info = version_info(&release.version);
    let first_event = projects.iter().filter_map(|p| p.first_event).min();
    let last_event = projects.iter().filter_map(|p| p.last_event).max();
    json!({
        "id": release.id,
        "version": release.version,
        "shortVersion": info["description"],
        "versionInfo": info,
        "ref": release.reference,
        "url": release.url,
        "status": release.status,
        "dateCreated": date(release.date_created),
        "dateReleased": release.date_released.map(date),
        "dateStarted": release.date_started.map(date),
        "owner": null,
        "data": {},
        "commitCount": commits.len(),
        "lastCommit": commits.first().map(|c| commit_json(c, release)),
        "authors": authors,
        "deployCount": release.deploy_count,
        "lastDeploy": last_deploy.map(deploy_json),
        "newGroups": projects.iter().map(|p| p.new_groups).sum::<i64>(),
        "firstEvent": first_event.map(date),
        "lastEvent": last_event.map(date),
        "currentProjectMeta": {},
        "userAgent": null,
        "adoptionStages": null,
        "projects": projects.iter().map(|p| json!({
            "id": p.id,
            "slug": p.slug,
            "name": p.name,
            "newGroups": p.new_groups,
            "eventCount": p.event_count,
            "platform": p.platform,
            "platforms": p.platform.iter().collect::<Vec<_>>(),
            "hasHealthData": false,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_version_and_build_are_read_apart() {
        let info = version_info("shop@1.2.3-beta.1+42");
        assert_eq!(info["package"], "shop");
        assert_eq!(info["version"]["raw"], "1.2.3-beta.1+42");
        assert_eq!(info["version"]["major"], 1);
        assert_eq!(info["version"]["pre"], "beta.1");
        assert_eq!(info["description"], "1.2.3-beta.1 (42)");
    }

    #[test]
    fn a_bare_version_has_no_package_and_a_hash_is_cut_short() {
        let hash = "0123456789abcdef0123456789abcdef01234567";
        let info = version_info(hash);
        assert_eq!(info["package"], Value::Null);
        assert_eq!(info["buildHash"], hash);
        assert_eq!(info["description"], "0123456789ab");
        assert_eq!(
            version_info("feature/login 2")["description"],
            "feature/login 2"
        );
    }
}
