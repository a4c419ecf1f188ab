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
//!
//! A message quoted in prose, the other way a document quotes the checker (what a mistake
//! reads like, in a README's "Typical messages"), is a code span in double backticks
//! outside fenced blocks: ``` ``metric `iss.requests` has unit `requests`; expected `{request}` `` ```.
//! Its text must be one the checker's sources can print: each piece between `...` (or
//! `…`) is read against the string literals of `checker/src` (and the harness's), with a
//! format placeholder (`{}`, `{name}`) standing for any text, and most of the piece must be
//! the literal's own words. That is static, so it also holds for mistakes no starter makes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use syn::visit::Visit;

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

/// A checker message quoted in prose: a code span in double backticks outside fenced blocks.
struct ProseQuote {
    file: PathBuf,
    line: usize,
    text: String,
}

/// The prose quotes of one document, their white space (Markdown wraps lines) as single spaces.
fn prose_quotes(file: &Path) -> Vec<ProseQuote> {
    let text = std::fs::read_to_string(file).unwrap();
    // The prose, with the lines of fenced blocks blanked (so that line numbers stay).
    let mut fenced = false;
    let prose: Vec<&str> = text
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return "";
            }
            if fenced { "" } else { line }
        })
        .collect();
    let prose = prose.join("\n");
    let mut out = Vec::new();
    let mut rest = prose.as_str();
    while let Some(open) = rest.find("``") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("``") else {
            panic!("{}: a code span in double backticks is never closed", file.display());
        };
        let line = prose.len() - rest.len() + open;
        out.push(ProseQuote {
            file: file.to_path_buf(),
            line: prose[..line].matches('\n').count() + 1,
            text: after[..close].split_whitespace().collect::<Vec<_>>().join(" "),
        });
        rest = &after[close + 2..];
    }
    out
}

/// One piece of a message the checker's code holds: literal characters and placeholders.
#[derive(Debug, PartialEq)]
enum Piece {
    Char(char),
    Hole,
}

/// A string literal as a message template: `{{` and `}}` are braces, any other `{...}` a
/// placeholder (a literal that is no format string loses nothing but precision).
fn template(literal: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut chars =
        literal.split_whitespace().collect::<Vec<_>>().join(" ").chars().collect::<Vec<_>>().into_iter().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                pieces.push(Piece::Char('{'));
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                pieces.push(Piece::Char('}'));
            }
            '{' => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
                if pieces.last() != Some(&Piece::Hole) {
                    pieces.push(Piece::Hole);
                }
            }
            c => pieces.push(Piece::Char(c)),
        }
    }
    pieces
}

/// The string literals of the Rust sources under `dir`, doc comments left out (the unit
/// tests' among them: what they assert is what the checker prints, composed).
fn literals(dir: &Path, out: &mut Vec<String>) {
    struct Strings<'a>(&'a mut Vec<String>);
    impl<'ast> Visit<'ast> for Strings<'_> {
        fn visit_lit_str(&mut self, lit: &'ast syn::LitStr) {
            self.0.push(lit.value());
        }
        // Doc comments are attributes: what the code says about itself is not a message.
        fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
        // A macro's tokens are not parsed by syn: `format!`, `bail!` and the like take
        // expressions separated by commas, read as such (other macros are left out).
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            use syn::punctuated::Punctuated;
            if let Ok(args) = mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated) {
                for arg in &args {
                    self.visit_expr(arg);
                }
            }
        }
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            literals(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            let file = syn::parse_file(&source).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            Strings(out).visit_file(&file);
        }
    }
}

/// The values a quoted message names (in backticks, double quotes or braces), which the
/// checker fills in: `true` for each character that is one, delimiters included.
fn values(piece: &[char]) -> Vec<bool> {
    let mut closing = None;
    piece
        .iter()
        .map(|&c| match closing {
            Some(end) => {
                if c == end {
                    closing = None;
                }
                true
            }
            None => {
                closing = match c {
                    '`' | '"' => Some(c),
                    '{' => Some('}'),
                    _ => None,
                };
                closing.is_some()
            }
        })
        .collect()
}

/// The most words a quoted piece may have in the checker's placeholders (outside the values
/// it names): `has kind internal; expected client` fills two with words.
const FREE_WORDS: usize = 2;

/// The ways to read a piece as a text made from a template, by how many of the piece's own
/// words fell in placeholders: the most characters of the piece that are the template's.
type Reading = [Option<usize>; FREE_WORDS + 1];

/// Where a reading of a piece can hand over to another literal, by piece position: `ends`,
/// the template used up (the next literal's leading placeholder holds it); `opens`, the
/// template's trailing placeholder reached (it holds the next literal).
struct Handovers {
    ends: Vec<Reading>,
    opens: Vec<Reading>,
}

/// Reads `piece` against `template` from the states in `starts` (template position, piece
/// position, reading so far), noting in `handovers` where another literal could take over,
/// and returns the readings of the whole piece (ending anywhere in the template).
fn read_piece(
    template: &[Piece],
    piece: &[char],
    word_start: &[bool],
    starts: &[(usize, usize, Reading)],
    handovers: &mut Handovers,
) -> Reading {
    let (t, n) = (template.len(), piece.len());
    let mut best = vec![vec![[None; FREE_WORDS + 1]; n + 1]; t + 1];
    fn better(slot: &mut Option<usize>, value: usize) {
        *slot = (*slot).max(Some(value));
    }
    for &(i, j, reading) in starts {
        for (c, literal) in reading.iter().enumerate() {
            if let Some(l) = literal {
                better(&mut best[i][j][c], *l);
            }
        }
    }
    let mut whole = [None; FREE_WORDS + 1];
    for i in 0..=t {
        for j in 0..=n {
            for c in 0..=FREE_WORDS {
                let Some(here) = best[i][j][c] else { continue };
                if j == n {
                    better(&mut whole[c], here);
                }
                if i == t {
                    better(&mut handovers.ends[j][c], here);
                    continue;
                }
                if i + 1 == t && template[i] == Piece::Hole {
                    better(&mut handovers.opens[j][c], here);
                }
                match template[i] {
                    Piece::Char(ch) => {
                        if j < n && ch == piece[j] {
                            better(&mut best[i + 1][j + 1][c], here + 1);
                        }
                    }
                    Piece::Hole => {
                        better(&mut best[i + 1][j][c], here);
                        if j < n {
                            let cost = c + usize::from(word_start[j]);
                            if cost <= FREE_WORDS {
                                better(&mut best[i][j + 1][cost], here);
                            }
                        }
                    }
                }
            }
        }
    }
    whole
}

/// Whether the checker can print `quote`: each piece of it between `...` (or `…`) is part of
/// a text one of its message literals makes, the placeholders filled with the values the
/// quote names and at most two of the quote's own words, and most of the piece (12
/// characters, or half of a shorter piece) is the literal's own. A message the checker
/// composes of two reads as one literal in a placeholder at the edge of the other:
/// ``log record `X`: attribute`` in the leading one of ``{what} `{key}` = {got} is not
/// expected``, ``refused an export ...`` in the trailing one of ``the collector {why}``.
/// Pieces with under 12 characters of their own (outside values) are not read.
fn is_checker_message(quote: &str, templates: &[Vec<Piece>], sources: &[String]) -> bool {
    let all: Vec<char> = quote.chars().collect();
    // The values are told apart in the whole quote: a `...` may stand inside one.
    let all_values = values(&all);
    let mut pieces = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < all.len() {
        let skip = if all[i] == '…' {
            1
        } else if all[i..].starts_with(&['.', '.', '.']) {
            3
        } else {
            0
        };
        if skip > 0 {
            pieces.push((start, i));
            start = i + skip;
        }
        i += skip.max(1);
    }
    pieces.push((start, all.len()));
    pieces.into_iter().all(|(from, to)| {
        let chars: Vec<char> = all[from..to].to_vec();
        let value = &all_values[from..to];
        // Trimmed, and read only when it has words enough of its own to tell.
        let first = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(chars.len());
        let last = chars.iter().rposition(|c| !c.is_whitespace()).map_or(first, |l| l + 1);
        let (chars, value) = (&chars[first..last], &value[first..last]);
        if value.iter().filter(|v| !**v).count() < 12 {
            return true;
        }
        let n = chars.len();
        let word_start: Vec<bool> = (0..n)
            .map(|j| !value[j] && chars[j].is_alphabetic() && (j == 0 || !chars[j - 1].is_alphanumeric()))
            .collect();
        let needed = 12.min(n / 2);
        let good = |reading: Reading| reading.iter().any(|l| l.is_some_and(|l| l >= needed));
        // Only the literals that share a few characters with the piece are worth reading.
        let windows: Vec<String> = chars.windows(6).map(|w| w.iter().collect()).collect();
        let candidates: Vec<&Vec<Piece>> = templates
            .iter()
            .zip(sources)
            .filter(|(_, source)| windows.iter().any(|w| source.contains(w.as_str())))
            .map(|(t, _)| t)
            .collect();
        // Each literal alone, the piece starting anywhere in it.
        let none = || vec![[None; FREE_WORDS + 1]; n + 1];
        let mut handovers = Handovers { ends: none(), opens: none() };
        let mut from_nothing = [None; FREE_WORDS + 1];
        from_nothing[0] = Some(0);
        for t in &candidates {
            let starts: Vec<_> = (0..=t.len()).map(|i| (i, 0, from_nothing)).collect();
            if good(read_piece(t, chars, &word_start, &starts, &mut handovers)) {
                return true;
            }
        }
        // Then the rest of the piece in another literal: one that starts with a placeholder
        // holding what was read, or one that a trailing placeholder of the first holds.
        let some = |r: &Reading| r.iter().any(Option::is_some);
        let after_end: Vec<_> =
            (1..n).filter(|&j| some(&handovers.ends[j])).map(|j| (1, j, handovers.ends[j])).collect();
        let after_open: Vec<_> =
            (1..n).filter(|&j| some(&handovers.opens[j])).map(|j| (0, j, handovers.opens[j])).collect();
        let mut unused = Handovers { ends: none(), opens: none() };
        candidates.iter().any(|t| {
            let mut starts = after_open.clone();
            if t.first() == Some(&Piece::Hole) {
                starts.extend(&after_end);
            }
            !starts.is_empty() && good(read_piece(t, chars, &word_start, &starts, &mut unused))
        })
    })
}

fn checker_templates(root: &Path) -> (Vec<Vec<Piece>>, Vec<String>) {
    let mut sources = Vec::new();
    for dir in ["checker/src", "checker/lab/src", "checker/document/src"] {
        literals(&root.join(dir), &mut sources);
    }
    let sources: Vec<String> = sources.iter().map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    (sources.iter().map(|s| template(s)).collect(), sources)
}

#[test]
fn messages_quoted_in_prose_are_ones_the_checker_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let (templates, sources) = checker_templates(root);
    // The learner's documents (the slides, which another deck's authors edit, quote code).
    let all: Vec<ProseQuote> =
        documents(root).iter().filter(|f| !f.starts_with(root.join("slides"))).flat_map(|f| prose_quotes(f)).collect();
    assert!(all.len() >= 20, "the exercises' READMEs quote the checker's messages in prose: found {}", all.len());
    let wrong: Vec<String> = all
        .iter()
        .filter(|q| !is_checker_message(&q.text, &templates, &sources))
        .map(|q| {
            format!(
                "{}:{}: ``{}`` is no message the checker prints",
                q.file.strip_prefix(root).unwrap().display(),
                q.line,
                q.text
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_prose_quote_matches_a_message_with_other_values_but_not_other_words() {
    let sources: Vec<String> = [
        "metric `{name}` has unit `{}`; expected `{}`",
        "no metrics were exported. Usually no instrument recorded anything",
    ]
    .map(String::from)
    .to_vec();
    let templates: Vec<Vec<Piece>> = sources.iter().map(|s| template(s)).collect();
    let ok = |q: &str| is_checker_message(q, &templates, &sources);
    assert!(ok("metric `iss.requests` has unit `requests`; expected `{request}`"));
    assert!(ok("no metrics were exported. Usually no instrument ..."), "a piece may stop anywhere");
    assert!(ok("... exported. Usually no instrument recorded"), "and start anywhere");
    assert!(!ok("no metrics were exported. Usually the meter provider has no reader"), "changed words");
    assert!(!ok("metric `iss.requests` has a unit `requests`; expected `{request}`"), "one more word");
    assert!(!ok("metric `iss.requests` is a counter; expected a histogram"), "another message");
    assert!(ok("metric `iss.requests` has unit ... expected `s`"), "a piece too short to tell is not read");
    let composed: Vec<String> =
        ["log record `{label}`: attribute", "{what} `{key}` = {got} is not expected"].map(String::from).to_vec();
    let templates: Vec<Vec<Piece>> = composed.iter().map(|s| template(s)).collect();
    assert!(
        is_checker_message("log record `INFO \"x\"`: attribute `a` = \"b\" is not expected", &templates, &composed),
        "a message made of two"
    );
    assert!(!is_checker_message(
        "log record `INFO \"x\"`: its attribute `a` = \"b\" is not wanted",
        &templates,
        &composed
    ));
}
