//! Reading the committed snapshots: insta `.snap` files whose body is a telemetry
//! document in YAML. The checker only reads them; they are written by the snapshot test
//! (`cargo insta test`) from the solutions, and reviewed with `cargo insta review`.

use std::path::Path;

use telemetry_document::Document;

/// The expected telemetry of one exercise.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub document: Document,
    /// The YAML exactly as committed (for the raw diff).
    pub yaml: String,
    /// insta's metadata header (it carries the body's fingerprint).
    pub header: String,
}

pub fn read(path: &Path) -> Result<Snapshot, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read the snapshot {}: {e}", path.display()))?;
    // A checkout with `core.autocrlf` may have turned the line endings into CRLF.
    let text = text.replace("\r\n", "\n");
    let yaml = body(&text).ok_or_else(|| format!("{} is not an insta snapshot (no `---` header)", path.display()))?;
    let header = text[..text.len() - yaml.len()].to_string();
    let document =
        Document::from_yaml(yaml).map_err(|e| format!("the snapshot {} does not parse: {e}", path.display()))?;
    Ok(Snapshot { document, yaml: yaml.to_string(), header })
}

/// The part after insta's `---` ... `---` metadata header.
fn body(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(&rest[end + "\n---\n".len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_skips_the_insta_header() {
        let text = "---\nsource: checker/tests/snapshots.rs\nexpression: yaml\n---\nresource: {}\n";
        assert_eq!(body(text), Some("resource: {}\n"));
        assert_eq!(body("resource: {}\n"), None);
    }
}
