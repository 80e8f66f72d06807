//! An assembled bundle's bytes → its manifest and files, checked against the limits.

use std::io::{Cursor, Read};

use faultline_domain::artifact_bundle::manifest::{normalize_debug_id, parse_manifest};
use faultline_domain::artifact_bundle::{BundleFile, FileType};

use super::sha1_hex;

/// The most files a bundle may hold.
pub const MAX_FILES: usize = 20_000;

/// A bundle's contents.
#[derive(Debug)]
pub struct Unpacked {
    /// The manifest's bundle id.
    pub bundle_id: Option<String>,
    /// The manifest's release.
    pub release: Option<String>,
    /// The manifest's dist.
    pub dist: Option<String>,
    /// Each file's index entry and bytes.
    pub files: Vec<(BundleFile, Vec<u8>)>,
}

/// Why a bundle is unusable.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// Not a zip (after sentry-cli's `SYSB` header).
    #[error("the bundle is not a valid zip archive: {0}")]
    NotZip(String),
    /// No `manifest.json`, or one that does not parse.
    #[error("the bundle has no valid manifest.json: {0}")]
    Manifest(String),
    /// More files than [`MAX_FILES`].
    #[error("the bundle has more than {MAX_FILES} files")]
    TooManyFiles,
    /// A file the manifest names is missing or unreadable.
    #[error("the bundle lacks the file {0}")]
    MissingFile(String),
    /// The files unpack to more than the bundle size limit.
    #[error("the bundle unpacks to more than {0} bytes")]
    TooLarge(u64),
}

/// Reads a bundle as sentry-cli builds it: an optional 8-byte `SYSB` + version header,
/// then a zip with `manifest.json`. Unpacked files may total at most `max_size` bytes.
pub fn unpack(bytes: &[u8], max_size: u64) -> Result<Unpacked, UnpackError> {
    // sentry-cli's zip offsets count its header; a zip written without the header (or
    // one whose offsets do not count it) reads from after it.
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).or_else(|first| {
        match bytes.strip_prefix(b"SYSB") {
            Some(rest) if rest.len() >= 4 => zip::ZipArchive::new(Cursor::new(&rest[4..])),
            _ => Err(first),
        }
    });
    let mut archive = archive.map_err(|e| UnpackError::NotZip(e.to_string()))?;
    if archive.len() > MAX_FILES + 1 {
        return Err(UnpackError::TooManyFiles);
    }
    let manifest = read_entry(&mut archive, "manifest.json", max_size)
        .map_err(|_| UnpackError::Manifest("manifest.json is missing".into()))?;
    let manifest = parse_manifest(&manifest).map_err(|e| UnpackError::Manifest(e.to_string()))?;
    let mut total = 0u64;
    let mut files = Vec::with_capacity(manifest.files.len());
    for (path, entry) in &manifest.files {
        let data = read_entry(&mut archive, path, max_size.saturating_sub(total))?;
        total += data.len() as u64;
        let debug_id = entry.debug_id.clone().or_else(|| match entry.file_type {
            FileType::MinifiedSource => debug_id_comment(&data),
            _ => None,
        });
        let file = BundleFile {
            url: entry.url.clone(),
            file_type: entry.file_type,
            debug_id,
            sourcemap: entry.sourcemap.clone(),
            checksum: sha1_hex(&data),
            size: data.len() as u64,
        };
        files.push((file, data));
    }
    Ok(Unpacked {
        bundle_id: manifest.debug_id,
        release: manifest.release,
        dist: manifest.dist,
        files,
    })
}

fn read_entry<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    path: &str,
    limit: u64,
) -> Result<Vec<u8>, UnpackError> {
    let missing = || UnpackError::MissingFile(path.to_owned());
    let entry = archive.by_name(path).map_err(|_| missing())?;
    let mut data = Vec::new();
    // Read one byte past the limit: the declared size of an entry is not to be trusted.
    entry
        .take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|_| missing())?;
    if data.len() as u64 > limit {
        return Err(UnpackError::TooLarge(limit));
    }
    Ok(data)
}

/// The id of the last `//# debugId=` comment of a minified file.
fn debug_id_comment(source: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(source).ok()?;
    let at = text.rfind("//# debugId=")?;
    let id = text[at + "//# debugId=".len()..]
        .split_whitespace()
        .next()?;
    normalize_debug_id(id)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn bundle(manifest: &str, files: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (path, content) in files {
            zip.start_file(*path, options).unwrap();
            zip.write_all(content.as_bytes()).unwrap();
        }
        zip.start_file("manifest.json", options).unwrap();
        zip.write_all(manifest.as_bytes()).unwrap();
        let mut out = b"SYSB\x02\x00\x00\x00".to_vec();
        out.extend(zip.finish().unwrap().into_inner());
        out
    }

    const MANIFEST: &str = r#"{"files": {
        "files/_/_/app.min.js": {"url": "~/app.min.js", "type": "minified_source",
            "headers": {"sourcemap": "app.min.js.map"}},
        "files/_/_/app.min.js.map": {"url": "~/app.min.js.map", "type": "source_map",
            "headers": {"debug-id": "6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a"}}},
        "debug_id": "0d6d1b1a-0000-4000-8000-000000000001", "release": "shop@1"}"#;

    #[test]
    fn a_sentry_cli_bundle_unpacks_into_indexed_files() {
        let bytes = bundle(
            MANIFEST,
            &[
                (
                    "files/_/_/app.min.js",
                    "a();\n//# debugId=6C8A3B1E-0D67-4B5A-9F7E-2E6A5D4C3B2A\n",
                ),
                ("files/_/_/app.min.js.map", "{}"),
            ],
        );
        let unpacked = unpack(&bytes, 1 << 20).unwrap();
        assert_eq!(unpacked.release.as_deref(), Some("shop@1"));
        assert_eq!(unpacked.files.len(), 2);
        let (js, _) = &unpacked.files[0];
        assert_eq!(js.url, "~/app.min.js");
        assert_eq!(
            js.debug_id.as_deref(),
            Some("6c8a3b1e-0d67-4b5a-9f7e-2e6a5d4c3b2a")
        );
        assert_eq!(
            js.checksum,
            sha1_hex(b"a();\n//# debugId=6C8A3B1E-0D67-4B5A-9F7E-2E6A5D4C3B2A\n")
        );
    }

    #[test]
    fn a_bundle_missing_a_file_its_manifest_names_is_refused() {
        let bytes = bundle(MANIFEST, &[("files/_/_/app.min.js", "a();")]);
        assert!(matches!(
            unpack(&bytes, 1 << 20),
            Err(UnpackError::MissingFile(path)) if path == "files/_/_/app.min.js.map"
        ));
    }

    #[test]
    fn a_bundle_unpacking_past_the_limit_is_refused() {
        let big = "x".repeat(5000);
        let bytes = bundle(
            MANIFEST,
            &[
                ("files/_/_/app.min.js", &big),
                ("files/_/_/app.min.js.map", "{}"),
            ],
        );
        assert!(matches!(
            unpack(&bytes, 1000),
            Err(UnpackError::TooLarge(_))
        ));
    }

    #[test]
    fn bytes_that_are_not_a_zip_are_refused() {
        assert!(matches!(
            unpack(b"hello", 1000),
            Err(UnpackError::NotZip(_))
        ));
    }
}
