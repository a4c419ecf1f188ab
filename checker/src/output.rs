//! What is kept of an exercise's output: bounded, however much it prints, and safe to
//! show in a terminal.
//!
//! Lines are looked at as they arrive, so a panic (or an allocation failure) is found by
//! its own marker wherever it is, even after megabytes of debug output; besides that,
//! only the first and the last lines are kept.

use std::collections::VecDeque;

/// Longer lines are cut (a line is read in pieces of at most this many bytes).
pub const LONGEST_LINE: usize = 4096;
/// How much of the start and of the end of the output is kept.
const HEAD_BYTES: usize = 16 * 1024;
const TAIL_BYTES: usize = 48 * 1024;
/// Lines of a panic message kept after its `panicked at` line.
const PANIC_LINES: usize = 12;

#[derive(Debug, Default)]
pub struct Kept {
    head: Vec<String>,
    head_bytes: usize,
    tail: VecDeque<String>,
    tail_bytes: usize,
    /// Lines that were neither in the head nor left in the tail.
    pub dropped: usize,
    /// The first panic: its `panicked at` line and message, without the backtrace note.
    pub panic: Option<String>,
    collecting_panic: Option<Vec<String>>,
    /// Rust's `memory allocation of N bytes failed` was printed.
    pub out_of_memory: bool,
    /// The harness's `lab: unknown scenario `name`` was printed.
    pub unknown_scenario: Option<String>,
}

impl Kept {
    /// Takes one line (with or without its newline).
    pub fn push(&mut self, raw: &str) {
        let line = printable(raw.trim_end_matches(['\n', '\r']));
        self.look_at(&line);
        if self.head_bytes + line.len() <= HEAD_BYTES && self.tail.is_empty() {
            self.head_bytes += line.len();
            self.head.push(line);
            return;
        }
        self.tail_bytes += line.len();
        self.tail.push_back(line);
        while self.tail_bytes > TAIL_BYTES {
            let Some(old) = self.tail.pop_front() else { break };
            self.tail_bytes -= old.len();
            self.dropped += 1;
        }
    }

    fn look_at(&mut self, line: &str) {
        if let Some(lines) = self.collecting_panic.as_mut() {
            if line.starts_with("note: run with `RUST_BACKTRACE") || lines.len() >= PANIC_LINES {
                self.panic = Some(lines.join("\n").trim().to_string());
                self.collecting_panic = None;
            } else {
                lines.push(line.to_string());
            }
        } else if self.panic.is_none() && line.starts_with("thread '") && line.contains("panicked at ") {
            self.collecting_panic = Some(vec![without_thread_id(line)]);
        }
        if line.starts_with("memory allocation of ") && line.ends_with(" failed") {
            self.out_of_memory = true;
        }
        if let Some(rest) = line.strip_prefix("lab: unknown scenario `") {
            self.unknown_scenario = Some(rest.trim_end_matches('`').to_string());
        }
    }

    /// Ends the output: a panic message still being read is complete.
    fn finish(&mut self) {
        if let Some(lines) = self.collecting_panic.take() {
            self.panic = Some(lines.join("\n").trim().to_string());
        }
    }

    /// The last `lines` lines.
    pub fn tail(&self, lines: usize) -> String {
        let all: Vec<&String> = self.head.iter().chain(&self.tail).collect();
        let start = all.len().saturating_sub(lines);
        all[start..].iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    }
}

/// Reads `text` as output lines (for tests and for output read in one piece).
pub fn keep(text: &str) -> Kept {
    let mut kept = Kept::default();
    for line in text.split_inclusive('\n') {
        kept.push(line);
    }
    kept.finished()
}

impl Kept {
    /// The output once the process is gone.
    pub fn finished(mut self) -> Kept {
        self.finish();
        self
    }
}

/// `thread 'main' (12345) panicked at`: the thread id changes on every run, so a verdict
/// that showed it would too.
fn without_thread_id(line: &str) -> String {
    if let Some(open) = line.find("' (")
        && let Some(close) = line[open + 3..].find(") panicked at ")
        && line[open + 3..open + 3 + close].bytes().all(|b| b.is_ascii_digit())
    {
        return format!("{}'{}", &line[..open], &line[open + 3 + close + 1..]);
    }
    line.to_string()
}

/// Control characters (terminal escape codes among them) shown as `\u{1b}`, never
/// interpreted by the learner's terminal; tabs kept.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' && c != '\n' { c.escape_unicode().to_string() } else { c.to_string() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_keeps_location_and_message_only_without_the_thread_id() {
        let kept = keep(
            "noise\nthread 'main' (4242) panicked at src/app.rs:3:5:\nboom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n",
        );
        assert_eq!(kept.panic.as_deref(), Some("thread 'main' panicked at src/app.rs:3:5:\nboom"));
        assert_eq!(keep("all fine\n").panic, None);
    }

    #[test]
    fn a_panic_after_a_flood_of_output_is_still_found() {
        let mut text: String =
            (0..5000).map(|i| format!("debug line {i} with some padding to make it long\n")).collect();
        text.push_str("thread 'main' panicked at src/main.rs:9:5:\nthe real cause\n");
        text.push_str(&"after\n".repeat(5000));
        let kept = keep(&text);
        let panic = kept.panic.as_deref().unwrap();
        assert!(panic.starts_with("thread 'main' panicked at src/main.rs:9:5:\nthe real cause\n"), "{panic}");
        assert_eq!(panic.lines().count(), PANIC_LINES);
        assert!(kept.dropped > 0, "the middle is not kept");
        assert_eq!(kept.tail(1), "after");
    }

    #[test]
    fn escape_codes_are_shown_not_interpreted() {
        assert_eq!(printable("a\u{1b}[31mred\tb"), "a\\u{1b}[31mred\tb");
    }
}
