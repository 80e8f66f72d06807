//! A bundle's `manifest.json`, as sentry-cli writes it: which file of the zip is which
//! URL, of which type, with which debug id and source map reference.
//!
//! ```json
//! {"files": {"files/_/_/app.min.js": {"url": "~/app.min.js", "type": "minified_source",
//!   "headers": {"debug-id": "…", "sourcemap": "app.min.js.map"}}},
//!  "debug_id": "…", "org": "acme", "release": "shop@1.0", "dist": null}
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The kind of a bundle file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    /// Minified (generated) JavaScript that frames point into.
    MinifiedSource,
    /// A source map.
    SourceMap,
    /// An original source file.
    Source,
    /// A React Native RAM bundle.
    IndexedRamBundle,
    /// Anything else.
    #[serde(other)]
    Other,
}

impl FileType {
    /// The manifest's (and Sentry's) name.
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::MinifiedSource => "minified_source",
            FileType::SourceMap => "source_map",
            FileType::Source => "source",
            FileType::IndexedRamBundle => "indexed_ram_bundle",
            FileType::Other => "other",
        }
    }
}

/// One indexed file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    /// The URL frames name it by, e.g. `~/static/app.min.js`.
    pub url: String,
    /// Its kind.
    pub file_type: FileType,
    /// Its debug id (lowercase, dashed), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_id: Option<String>,
    /// The `sourcemap` header of a minified source: its map's URL, maybe relative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sourcemap: Option<String>,
    /// SHA-1 of its bytes, where `file_blobs` keeps them.
    pub checksum: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The parsed manifest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    /// The bundle's own debug id, if it names one.
    pub debug_id: Option<String>,
    /// The release it names.
    pub release: Option<String>,
    /// The distribution it names.
    pub dist: Option<String>,
    /// Its files: path in the zip → entry.
    pub files: BTreeMap<String, ManifestEntry>,
}

/// One file's entry in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The URL.
    pub url: String,
    /// The type.
    pub file_type: FileType,
    /// The `debug-id` header, normalised.
    pub debug_id: Option<String>,
    /// The `sourcemap` (or `x-sourcemap`) header.
    pub sourcemap: Option<String>,
}

/// Why a manifest is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON of the expected shape.
    #[error("invalid manifest.json: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
struct RawManifest {
    #[serde(default)]
    files: BTreeMap<String, RawEntry>,
    #[serde(default)]
    debug_id: Option<String>,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    dist: Option<String>,
}

#[derive(Deserialize)]
struct RawEntry {
    url: String,
    #[serde(default, rename = "type")]
    file_type: Option<FileType>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// Parses `manifest.json`. Header names are case-insensitive.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    let raw: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| ManifestError::Invalid(e.to_string()))?;
    let files = raw
        .files
        .into_iter()
        .map(|(path, entry)| {
            let header = |name: &str| {
                entry
                    .headers
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value.trim().to_owned())
                    .filter(|value| !value.is_empty())
            };
            let parsed = ManifestEntry {
                debug_id: header("debug-id").and_then(|id| normalize_debug_id(&id)),
                sourcemap: header("sourcemap").or_else(|| header("x-sourcemap")),
                file_type: entry.file_type.unwrap_or(FileType::Other),
                url: entry.url,
            };
            (path, parsed)
        })
        .collect();
    Ok(Manifest {
        debug_id: raw.debug_id.as_deref().and_then(normalize_debug_id),
        release: raw.release.filter(|r| !r.is_empty()),
        dist: raw.dist.filter(|d| !d.is_empty()),
        files,
    })
}

/// A debug id as lowercase dashed UUID; `None` when it is not one. (Breakpad-style ids
/// with an appendix are cut to their UUID, as JavaScript's never have one.)
pub fn normalize_debug_id(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let uuid_part = if raw.len() > 36 && raw.as_bytes().get(36) == Some(&b'-') {
        &raw[..36]
    } else if raw.len() > 32 && !raw.contains('-') {
        &raw[..32]
    } else {
        raw
    };
    uuid::Uuid::parse_str(uuid_part)
        .ok()
        .map(|id| id.hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentry_cli_manifest_gives_each_file_its_url_type_debug_id_and_map() {
        let manifest = parse_manifest(
            br#"{"files": {
                "_/_/app.min.js": {"url": "~/app.min.js", "type": "minified_source",
                    "headers": {"debug-id": "6C8A3B1E-0D67-4B5A-9F7E-2E6A5D4C3B2A", "Sourcemap": "app.min.js.map"}},
                "_/_/app.min.js.map": {"url": "~/app.min.js.map", "type": "source_map",
                    "headers": {"debug-id": "6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a"}}},
              "org": "acme", "release": "shop@1.0", "debug_id": "0d6d1b1a-0000-4000-8000-000000000001"}"#,
        )
        .unwrap();
        let js = &manifest.files["_/_/app.min.js"];
        assert_eq!(js.file_type, FileType::MinifiedSource);
        assert_eq!(
            js.debug_id.as_deref(),
            Some("6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a")
        );
        assert_eq!(js.sourcemap.as_deref(), Some("app.min.js.map"));
        assert_eq!(
            manifest.files["_/_/app.min.js.map"].file_type,
            FileType::SourceMap
        );
        assert_eq!(manifest.release.as_deref(), Some("shop@1.0"));
    }

    #[test]
    fn an_unknown_file_type_reads_as_other_and_a_bad_debug_id_as_none() {
        let manifest = parse_manifest(
            br#"{"files": {"x": {"url": "~/x", "type": "wasm", "headers": {"debug-id": "nope"}}}}"#,
        )
        .unwrap();
        assert_eq!(manifest.files["x"].file_type, FileType::Other);
        assert_eq!(manifest.files["x"].debug_id, None);
    }

    #[test]
    fn a_manifest_that_is_not_json_is_refused() {
        assert!(parse_manifest(b"zip?").is_err());
    }
}
