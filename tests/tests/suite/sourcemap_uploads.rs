//! Source map uploads at their limits and past retention: a chunk over the chunk size
//! and a bundle over `--max-bundle-mb` are refused with the reason; a bundle older than
//! its projects' retention is deleted by the retention pass through the log, and the
//! blobs no bundle uses any more are removed.

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{
    assemble, create_user, fresh_database, project_with_key, run_faultline, sha1_hex, Api,
    TestServer,
};

/// Posts `chunks` as sentry-cli does (parts named `file`, each by its SHA-1).
async fn post_chunks(server: &TestServer, token: &str, chunks: &[Vec<u8>]) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new();
    for chunk in chunks {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(chunk.clone()).file_name(sha1_hex(chunk)),
        );
    }
    let response = reqwest::Client::new()
        .post(server.at("/api/0/organizations/shop/chunk-upload/"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Deterministic bytes that do not compress.
fn noise(len: usize, seed: u8) -> Vec<u8> {
    let mut state = u32::from(seed) + 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

#[tokio::test]
async fn oversized_chunks_and_bundles_are_refused_with_the_reason() {
    let (url, _pool) = fresh_database().await;
    let server = TestServer::spawn(&[("DATABASE_URL", &url), ("FAULTLINE_MAX_BUNDLE_MB", "1")]);
    let token = create_user(&url, "ci@example.test", false);
    let api = Api::new(&server, &token);
    project_with_key(&api, "shop", "web").await;
    let options = api.get_ok("/api/0/organizations/shop/chunk-upload/").await;
    assert_eq!(options["maxFileSize"], 1024 * 1024);
    let chunk_size = options["chunkSize"].as_u64().unwrap() as usize;

    let (status, body) = post_chunks(&server, &token, &[noise(chunk_size + 1, 1)]).await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Chunk size exceeds"),
        "{body}"
    );

    let chunks = [noise(700 * 1024, 2), noise(700 * 1024, 3)];
    let (status, body) = post_chunks(&server, &token, &chunks).await;
    assert_eq!(status, 200, "{body}");
    let whole: Vec<u8> = chunks.concat();
    let names: Vec<String> = chunks.iter().map(|c| sha1_hex(c)).collect();
    let answer = assemble(&api, "shop", &sha1_hex(&whole), &names).await;
    assert_eq!(answer["state"], "error");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("exceeds the limit"),
        "{answer}"
    );

    let small = noise(1000, 4);
    post_chunks(&server, &token, std::slice::from_ref(&small)).await;
    let answer = assemble(&api, "shop", &sha1_hex(&small), &[sha1_hex(&small)]).await;
    assert_eq!(answer["state"], "error");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("not a valid zip"),
        "{answer}"
    );
    let listed = api
        .get_ok("/api/0/projects/shop/web/files/artifact-bundles/")
        .await;
    assert_eq!(listed, json!([]));
}

/// Has sentry-cli (`cli`) inject debug ids into a minified script throwing from
/// function `function`, and upload it with its source map as a bundle of release
/// `web@1` for project `web` of `org`.
pub(crate) fn upload_source_maps(
    cli: &str,
    server: &TestServer,
    token: &str,
    org: &str,
    function: &str,
) {
    let dir = std::env::temp_dir().join(format!("fl-maps-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("app.js"),
        "function a(){throw new Error(\"x\")}a();\n//# sourceMappingURL=app.js.map\n",
    )
    .unwrap();
    let source =
        format!("function {function}() {{\\n  throw new Error(\\\"x\\\");\\n}}\\n{function}();\\n");
    std::fs::write(
        dir.join("app.js.map"),
        format!(
            r#"{{"version":3,"file":"app.js","sources":["src/app.js"],"sourcesContent":["{source}"],"names":["{function}"],"mappings":"AAAA,SAASA"}}"#
        ),
    )
    .unwrap();
    for args in [
        vec!["sourcemaps", "inject", "."],
        vec!["sourcemaps", "upload", "--release", "web@1", "."],
    ] {
        let output = Command::new(cli)
            .args(&args)
            .current_dir(&dir)
            .env("SENTRY_URL", &server.url)
            .env("SENTRY_AUTH_TOKEN", token)
            .env("SENTRY_ORG", org)
            .env("SENTRY_PROJECT", "web")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[tokio::test]
async fn a_bundle_past_its_projects_retention_is_deleted_and_its_blobs_removed() {
    let cli = std::env::var("FAULTLINE_TEST_SENTRY_CLI3").expect("run scripts/test");
    let (url, pool) = fresh_database().await;
    let server = TestServer::on_database(&url);
    let token = create_user(&url, "ci@example.test", false);
    let api = Api::new(&server, &token);
    project_with_key(&api, "shop", "web").await;
    upload_source_maps(&cli, &server, &token, "shop", "fail");
    let listed = api
        .get_ok("/api/0/projects/shop/web/files/artifact-bundles/")
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // Within retention nothing happens; three days later, past a retention of two, the
    // bundle goes, and with it the bundle's chunk and its two files.
    let kept = run_faultline(
        &url,
        &["retention", "run", "--event-retention-days", "2"],
        &[],
    );
    assert!(kept.contains("deleted 0 source map bundle(s)"), "{kept}");
    sqlx::query("UPDATE artifact_bundles SET date_uploaded = now() - interval '3 days'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE file_blobs SET created_at = now() - interval '3 days'")
        .execute(&pool)
        .await
        .unwrap();
    let expired = run_faultline(
        &url,
        &["retention", "run", "--event-retention-days", "2"],
        &[],
    );
    assert!(
        expired.contains("deleted 1 source map bundle(s) past retention, removed 3 unused blob(s)"),
        "{expired}"
    );
    let listed = api
        .get_ok("/api/0/projects/shop/web/files/artifact-bundles/")
        .await;
    assert_eq!(listed, json!([]));
    let blobs: i64 = sqlx::query_scalar("SELECT count(*) FROM file_blobs")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(blobs, 0);
    let (reason, actor): (String, String) = sqlx::query_as(
        "SELECT payload->'BundleDeleted'->>'reason', metadata->>'actor'
           FROM events WHERE aggregate_type = 'artifact_bundle' AND event_type = 'BundleDeleted'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (reason.as_str(), actor.as_str()),
        ("retention", "system:retention")
    );
}
