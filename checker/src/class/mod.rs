//! `class DIR`: the instructor's view of a whole class, from one JSON report per student
//! (`checker --format json`, as the Classroom workflow uploads it): per exercise, how many
//! passed, how many gave up and what stops the rest, grouped by the kinds the reports
//! carry ([`crate::kind`]); per student, how far they got. One self-contained HTML page.
//!
//! [`read`] reads the reports (a bad file is set aside, never fatal), [`tally`] counts,
//! [`page`] writes the HTML.

pub mod page;
pub mod read;
pub mod tally;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// What one `class` run did.
#[derive(Debug)]
pub struct Written {
    pub students: usize,
    pub skipped: Vec<read::Skipped>,
    pub page: PathBuf,
}

/// Reads `dir`'s reports and writes the page to `out` (default `dir/class.html`). Refuses
/// to write over a file that is not a page of its own.
pub fn write(dir: &Path, out: Option<&Path>) -> Result<Written, String> {
    let (students, skipped) =
        read::read_dir(dir).map_err(|e| format!("cannot read the folder {}: {e}", dir.display()))?;
    let page = out.map(Path::to_path_buf).unwrap_or_else(|| dir.join("class.html"));
    if let Ok(existing) = std::fs::read_to_string(&page)
        && !existing.starts_with(page::MARK)
    {
        return Err(format!(
            "{} exists and is not a class view: choose another file with --out (nothing was written)",
            page.display()
        ));
    }
    if page.is_dir() {
        return Err(format!("{} is a folder: give --out a file name", page.display()));
    }
    let html = page::render(&tally::tally(&students), &skipped);
    std::fs::write(&page, html).map_err(|e| format!("cannot write {}: {e}", page.display()))?;
    Ok(Written { students: students.len(), skipped, page })
}

pub fn run(dir: &Path, out: Option<&Path>) -> ExitCode {
    let started = Instant::now();
    match write(dir, out) {
        Ok(written) => {
            for s in &written.skipped {
                eprintln!("skipped {}: {}", s.file.display(), s.why);
            }
            println!(
                "Class view of {} student(s) written to {} ({} ms).",
                written.students,
                written.page.display(),
                started.elapsed().as_millis()
            );
            if written.students == 0 {
                eprintln!("warning: no report was read from {} (expected one `*.json` per student)", dir.display());
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("error: {why}");
            ExitCode::from(2)
        }
    }
}
