//! Every checker message quoted in the lab's documents is what the checker really prints.
//!
//! A quote is a fenced block whose info string is `text checker ARGS`: it stands for the
//! output of `cargo run -p checker -- ARGS` on the lab as handed out (every exercise a
//! starter). Its lines must appear in that output, in order, with two ways to shorten it:
//! - a line that is only `...` (or `…`) skips any number of output lines;
//! - a line ending in `…` matches an output line that starts with the text before it.
//!
//! On a mismatch the test prints the real output, to copy from. It builds and runs the
//! starters it quotes (warm after `verify`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The documents a learner or an instructor reads.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    for folder in ["exercises", "slides"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .flat_map(|p| if p.is_dir() { vec![p.join("README.md")] } else { vec![p] })
            .filter(|p| p.extension().is_some_and(|e| e == "md") && p.is_file())
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

struct Quote {
    file: PathBuf,
    line: usize,
    args: Vec<String>,
    lines: Vec<String>,
}

/// The quotes of one document.
fn quotes(file: &Path) -> Vec<Quote> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    let mut open: Option<Quote> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```text checker") {
                    let args = info.split_whitespace().map(String::from).collect();
                    open = Some(Quote { file: file.to_path_buf(), line: i + 1, args, lines: vec![] });
                }
            }
            Some(quote) => {
                if trimmed.starts_with("```") {
                    out.push(open.take().unwrap());
                } else {
                    quote.lines.push(line.trim_end().to_string());
                }
            }
        }
    }
    assert!(open.is_none(), "{}: a quote is never closed", file.display());
    out
}

fn is_skip(line: &str) -> bool {
    matches!(line.trim(), "..." | "…")
}

fn line_matches(quoted: &str, real: &str) -> bool {
    match quoted.strip_suffix('…') {
        Some(prefix) => real.trim_end().starts_with(prefix),
        None => real.trim_end() == quoted,
    }
}

/// Whether `quoted` is a faithful excerpt of `output` (see the module's comment).
fn is_excerpt(quoted: &[String], output: &str) -> bool {
    let real: Vec<&str> = output.lines().collect();
    let segments: Vec<Vec<&String>> = quoted.split(|line| is_skip(line)).map(|s| s.iter().collect()).collect();
    let mut at = 0;
    for segment in segments {
        if segment.is_empty() {
            continue;
        }
        let found = (at..real.len()).find(|&start| {
            start + segment.len() <= real.len() && segment.iter().zip(&real[start..]).all(|(q, r)| line_matches(q, r))
        });
        match found {
            Some(start) => at = start + segment.len(),
            None => return false,
        }
    }
    true
}

#[test]
fn quoted_checker_output_is_what_the_checker_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let all: Vec<Quote> = documents(root).iter().flat_map(|f| quotes(f)).collect();
    assert!(!all.is_empty(), "the README quotes the checker at least once");
    let mut outputs: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let mut wrong = Vec::new();
    for quote in &all {
        let output = outputs.entry(quote.args.clone()).or_insert_with(|| {
            let out = Command::cargo_bin("checker")
                .unwrap()
                .env_remove("LAB_ROOT")
                .env("NO_COLOR", "1")
                .current_dir(root)
                .args(&quote.args)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        });
        if !is_excerpt(&quote.lines, output) {
            wrong.push(format!(
                "{}:{}: the quote of `checker {}` is not what it prints. It prints:\n{output}",
                quote.file.strip_prefix(root).unwrap().display(),
                quote.line,
                quote.args.join(" ")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn excerpts_skip_lines_and_shorten_them_but_never_invent_them() {
    let output = "a first line\n  second\n  third line that is long\nlast";
    let q = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(is_excerpt(&q(&["a first line", "  second"]), output));
    assert!(is_excerpt(&q(&["a first line", "...", "last"]), output));
    assert!(is_excerpt(&q(&["  third line that…"]), output));
    assert!(!is_excerpt(&q(&["a first line", "last"]), output), "skipped lines need `...`");
    assert!(!is_excerpt(&q(&["last", "...", "a first line"]), output), "order counts");
    assert!(!is_excerpt(&q(&["  second line"]), output), "a changed line is wrong");
}
