//! Puts the variant to build into this crate: the source folder named by
//! `LAB_VARIANT_SRC` (a solution's `src/` with one mistake in it), or a stub when unset so
//! that the workspace always builds.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-env-changed=LAB_VARIANT_SRC");
    println!("cargo::rerun-if-env-changed=LAB_VARIANT_TESTS");
    let out_dir = std::env::var("OUT_DIR").unwrap();
    let out = Path::new(&out_dir).join("variant.rs");
    let code = match std::env::var("LAB_VARIANT_SRC") {
        Ok(dir) => variant(Path::new(&dir)),
        Err(_) => STUB.to_string(),
    };
    std::fs::write(out, code).unwrap();
    // Exercise 20's variant: a tests file with one mistake, or no test at all.
    let tests = match std::env::var("LAB_VARIANT_TESTS") {
        Ok(file) => {
            println!("cargo::rerun-if-changed={file}");
            let text = std::fs::read_to_string(&file).expect("the variant's tests file");
            // `include!` takes items only: no inner doc comments.
            text.lines().filter(|l| !l.trim_start().starts_with("//!")).collect::<Vec<_>>().join("\n")
        }
        Err(_) => String::new(),
    };
    std::fs::write(Path::new(&out_dir).join("variant_tests.rs"), tests).unwrap();
}

/// The solution's `lib.rs`, with each `mod x;` pointing at the variant's `x.rs` and inner
/// doc comments dropped (`include!` takes items only).
fn variant(dir: &Path) -> String {
    println!("cargo::rerun-if-changed={}", dir.display());
    let lib = std::fs::read_to_string(dir.join("lib.rs")).expect("the variant has a lib.rs");
    let mut code = String::new();
    for line in lib.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("//!") {
            continue;
        }
        let module = trimmed.strip_prefix("pub mod ").or_else(|| trimmed.strip_prefix("mod "));
        match module.and_then(|m| m.strip_suffix(';')) {
            Some(name) => {
                let file = dir.join(format!("{name}.rs"));
                println!("cargo::rerun-if-changed={}", file.display());
                let _ = writeln!(code, "#[path = {:?}]\npub mod {name};", file.display().to_string());
            }
            None => {
                let _ = writeln!(code, "{line}");
            }
        }
    }
    code
}

const STUB: &str = r#"
fn stub_telemetry(_edge: lab::Edge) -> lab::Telemetry {
    lab::Telemetry::new(opentelemetry_sdk::trace::SdkTracerProvider::builder().build())
}

fn stub_router(_telemetry: &lab::Telemetry, _position: lab::PositionClient) -> axum::Router {
    axum::Router::new()
}

lab::service!(stub_telemetry, stub_router);
"#;
