//! The README's set-up commands, run as the README writes them: the first thing a
//! new user types must keep working.

use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sys::signal::Signal;

use crate::helpers::TestServer;

/// The workspace root, where the README's commands run.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_owned()
}

/// The first line of the first `sh` block after the README line that holds `step`.
fn readme_command(step: &str) -> String {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let after_step = readme
        .split_once(step)
        .unwrap_or_else(|| panic!("README.md has no step {step:?}"))
        .1;
    let block = after_step
        .split_once("```sh\n")
        .unwrap_or_else(|| panic!("README.md's step {step:?} shows no sh block"))
        .1;
    block.lines().next().unwrap().trim().to_owned()
}

/// `line` split into words (as a shell splits a line without quotes), less the
/// words in `drop`, to run at the workspace root.
fn command_of(line: &str, drop: &[&str]) -> Command {
    let words: Vec<&str> = line
        .split_whitespace()
        .filter(|w| !drop.contains(w))
        .collect();
    let mut command = Command::new(words[0]);
    command.args(&words[1..]).current_dir(workspace_root());
    command
}

/// Step 1 in a debug build (the same binary resolution as `--release`, without a
/// second optimised build of the workspace), on a fresh data dir and a free port.
#[tokio::test]
async fn the_readme_start_command_serves_health_from_its_own_postgres() {
    let data_dir = std::env::temp_dir().join(format!(
        "faultline-readme-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut command = command_of(&readme_command("**Start the server**"), &["--release"]);
    command.env("FAULTLINE_DATA_DIR", &data_dir);

    let mut server = TestServer::spawn_command(command);
    let health = reqwest::get(server.at("/_health")).await.unwrap();
    let status = health.status();
    let body: serde_json::Value = health.json().await.unwrap();
    let exit = server.stop_with(Signal::SIGINT);
    std::fs::remove_dir_all(&data_dir).unwrap();

    assert_eq!(status, 200, "{}", server.logs());
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(exit.success(), "exit {exit}: {}", server.logs());
}

#[test]
fn the_readme_test_command_explains_itself() {
    let output = command_of(&readme_command("**Run every test**"), &[])
        .arg("--help")
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("cargo test"), "{stdout}");
}
