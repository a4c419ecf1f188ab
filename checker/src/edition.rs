//! `student-edition`: writes the lab for learners, without the reference solutions in
//! plain sight, to a new folder an instructor hands out (a GitHub Classroom template
//! repository).
//!
//! The edition is made from what the lab has *committed* (`HEAD`'s tree, read through git),
//! never from the working tree: an exercise the instructor solved, an untracked note or
//! the instructor's `.lab/` (progress, `gave-up.txt`) stay out. Each exercise folder is
//! exactly its starter as recorded in `checker/snapshots/starters.toml` (which `reset`
//! goes back to), even if the instructor committed a solved exercise.
//!
//! The student edition keeps everything a learner needs: the exercises, the checker with
//! its snapshots (grading compares with the expected telemetry, never runs a solution), the
//! slides, the dev container and the Classroom workflow. It leaves out what only the lab's
//! maintainers use and what would give the answers away:
//! - `solutions/` as crates, and the tests and tools built from them (the snapshot test,
//!   the wrong-solution variants, the class view's test and its fixture class, the OTLP
//!   collector test, the lab's own CI in `.ci/`);
//!   the solutions' sources and the track's hints go into one sealed file instead
//!   ([`crate::seal`]), which `solution N` and `hint` open;
//! - the workspace's members that no longer exist, so it builds, and its `Cargo.lock`
//!   pruned to match (the versions stay exactly as locked).
//!
//! Then it makes the folder a git repository with one commit: the starters as handed out,
//! which `reset` goes back to.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, bail};

use crate::seal::{SEAL_FILE, Sealed};
use crate::track::{Side, TRACK_FILE, Track};

/// What the student edition leaves out, relative to the root: a folder (ending in `/`) or
/// a file.
pub const LEFT_OUT: &[&str] = &[
    "solutions/",
    "checker/variants/",
    "checker/tests/variants.rs",
    "checker/tests/variants.toml",
    "checker/tests/snapshots.rs",
    "checker/tests/edition.rs",
    "checker/tests/verify.rs",
    // Runs exercise 19's reference service with its collector down.
    "checker/tests/pipeline_down.rs",
    // Made from the solutions and the variants, and opened in Chromium, which a learner's
    // machine need not have; `class` itself stays, for the instructor.
    "checker/tests/class.rs",
    "checker/tests/fixtures/class/",
    "checker/lab/tests/otlp_collector.rs",
    "checker/lab/tests/otlp_by_hand.sh",
    ".ci/",
];

/// Workspace members that the student edition does not have.
const MEMBERS_LEFT_OUT: &[&str] = &["\"solutions/*\"", "\"checker/variants\""];

const NOTICE: &str = "> **Student edition.** The reference solutions and the hints are sealed in
> `checker/sealed.bin` (hidden from sight, not encrypted): `cargo run -p checker -- hint`
> reveals the next hint, and `cargo run -p checker -- solution N` the reference solution once
> exercise N passes (or with `--give-up`, which your instructor sees). Every learner's command
> below works here, and so does `cargo test --workspace --locked`; `show N --solution` draws
> the expected telemetry from its snapshot. Only the maintainers' and instructors' commands
> (`verify`, `bench`, `run N --solution`, `student-edition`, the snapshot tests, the OTLP
> collector tests, `.ci/`) need the solutions as crates and are not here or refuse.
> Commit and push your work as you go; each push is graded.
";

pub fn run(track: &Track, out: &Path) -> ExitCode {
    match write(&track.root, out) {
        Ok(files) => {
            println!(
                "Wrote the student edition to {} ({files} files, one commit), from the lab's last commit.",
                out.display()
            );
            if has_uncommitted_changes(&track.root) {
                println!(
                    "Note: the lab has uncommitted changes (`git status` lists them); they are not in the edition."
                );
            }
            println!(
                "Next: push it to a new GitHub repository, mark it a template (Settings > Template repository), \
                 and make it the starter code of a GitHub Classroom assignment; README.md, \"For instructors\", has \
                 the steps."
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: the student edition was not written: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Writes the student edition of the lab committed at `root` into `out`, which must not
/// exist yet or be empty (nothing is ever overwritten). Returns how many files it wrote.
/// When it fails part-way, what it wrote is removed again (`out` was empty: all of it).
pub fn write(root: &Path, out: &Path) -> anyhow::Result<usize> {
    let existed = out.exists();
    if existed && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} already exists and is not empty; name a new folder", out.display());
    }
    let written = write_into(root, out);
    if written.is_err() && out.exists() {
        let cleared = if existed {
            std::fs::read_dir(out).and_then(|entries| {
                entries.map(|e| e.map(|e| e.path())).try_for_each(|path| {
                    let path = path?;
                    if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) }
                })
            })
        } else {
            std::fs::remove_dir_all(out)
        };
        if let Err(e) = cleared {
            eprintln!("warning: what was written to {} could not all be removed: {e}", out.display());
        }
    }
    written
}

fn write_into(root: &Path, out: &Path) -> anyhow::Result<usize> {
    let head = committed_tree(root)?;
    let committed = ls_tree(root, &head)?;
    let mut contents = read_blobs(root, &committed)?;
    let text = |path: &str| -> anyhow::Result<String> {
        let bytes = contents.get(path).with_context(|| format!("the lab's last commit has no {path}"))?;
        String::from_utf8(bytes.clone()).with_context(|| format!("{path} is not UTF-8"))
    };
    if !committed.iter().any(|e| e.path.starts_with("solutions/")) {
        bail!("the lab's last commit has no solutions/: it is already a student edition");
    }
    let track_text = text(TRACK_FILE)?;
    let track = Track::from_text(&track_text, root).with_context(|| format!("{TRACK_FILE} as committed"))?;
    let starters_file = track.snapshot_dir().join(crate::reset::STARTERS);
    let starters_file = relative(root, &starters_file);
    let starters = crate::reset::starter_trees(&text(&starters_file)?)
        .with_context(|| format!("{starters_file} as committed does not parse"))?;

    // Everything committed but what is left out, the learner's state and the exercises,
    // which come from their starters.
    let exercise_dirs: Vec<String> =
        track.exercises.iter().map(|e| format!("{}/{}/", Side::Exercise.folder(), e.dir)).collect();
    let mut files: Vec<Entry> = committed
        .iter()
        .filter(|e| !left_out(Path::new(&e.path)) && !is_lab_state(&e.path))
        .filter(|e| !exercise_dirs.iter().any(|d| e.path.starts_with(d.as_str())))
        .cloned()
        .collect();
    for exercise in &track.exercises {
        let tree = starters.get(&exercise.dir).with_context(|| {
            format!("{starters_file} has no starter for {} (`cargo run -p checker -- starters`)", exercise.dir)
        })?;
        let folder = format!("{}/{}", Side::Exercise.folder(), exercise.dir);
        let entries = ls_tree(root, tree).with_context(|| {
            format!("the starter of {folder} (git tree {tree}) is not in the lab's history: regenerate {starters_file} and commit it")
        })?;
        let entries: Vec<Entry> =
            entries.into_iter().map(|e| Entry { path: format!("{folder}/{}", e.path), ..e }).collect();
        contents.extend(read_blobs(root, &entries)?);
        files.extend(entries);
    }
    // The solutions' sources and the hints, sealed; the track file without its hints.
    let mut sealed = Sealed::default();
    for entry in &committed {
        let Some(rest) = entry.path.strip_prefix("solutions/") else { continue };
        let Some((dir, file)) = rest.split_once('/') else { continue };
        // `tests/`: exercise 20's answer is its tests.
        let source = file.starts_with("src/") || file.starts_with("tests/");
        if source && file.ends_with(".rs") && track.exercises.iter().any(|e| e.dir == dir) {
            let source = String::from_utf8_lossy(&contents[&entry.path]).into_owned();
            sealed.solutions.entry(dir.to_string()).or_default().insert(file.to_string(), source);
        }
    }
    for exercise in &track.exercises {
        if !sealed.solutions.contains_key(&exercise.dir) {
            bail!("the lab's last commit has no solutions/{}/src", exercise.dir);
        }
        sealed.hints.insert(exercise.id.clone(), exercise.hints.clone());
    }
    let track_without_hints = without_hints(&track_text)?;

    for file in &files {
        write_entry(out, file, &contents[&file.path]).with_context(|| format!("cannot write {}", file.path))?;
    }

    let sealed_bytes = sealed.seal();
    std::fs::write(out.join(SEAL_FILE), sealed_bytes).with_context(|| format!("cannot write {SEAL_FILE}"))?;
    std::fs::write(out.join(TRACK_FILE), track_without_hints)?;

    let manifest = out.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).context("cannot read the workspace's Cargo.toml")?;
    std::fs::write(&manifest, without_members(&text)?)?;
    let readme = out.join("README.md");
    if let Ok(text) = std::fs::read_to_string(&readme) {
        std::fs::write(&readme, with_notice(&text))?;
    }
    prune_lockfile(out)?;
    commit(out)?;
    Ok(files.len() + 1)
}

/// The learner's state of the checker (`.lab/`, wherever it is): never handed out.
fn is_lab_state(path: &str) -> bool {
    path.split('/').any(|part| part == ".lab")
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// `HEAD`'s tree of the lab's folder (which may be a folder inside a larger repository).
fn committed_tree(root: &Path) -> anyhow::Result<String> {
    if git(root, &["rev-parse", "--verify", "-q", "HEAD^{commit}"]).is_err() {
        bail!(
            "{} has no git history to export from: the edition is made from the lab's last commit, so that \
             nothing uncommitted (a solved exercise, notes, .lab/) goes to the learners. Commit the lab first \
             (`git init`, `git add -A`, `git commit`).",
            root.display()
        );
    }
    let prefix = String::from_utf8_lossy(&git(root, &["rev-parse", "--show-prefix"])?).trim().to_string();
    Ok(format!("HEAD:{prefix}"))
}

/// A file of a git tree.
#[derive(Debug, Clone)]
struct Entry {
    mode: String,
    id: String,
    /// Relative to the tree's root, with `/`.
    path: String,
}

/// The files (blobs) of a tree, recursively; submodules are left out.
fn ls_tree(root: &Path, tree: &str) -> anyhow::Result<Vec<Entry>> {
    let listing = git(root, &["ls-tree", "-r", "-z", "--full-tree", tree])?;
    let mut entries = Vec::new();
    for line in listing.split(|&b| b == 0).filter(|l| !l.is_empty()) {
        let line = String::from_utf8_lossy(line);
        // `<mode> <type> <id>\t<path>`
        let (meta, path) = line.split_once('\t').with_context(|| format!("unexpected git ls-tree line {line:?}"))?;
        if let [mode, "blob", id] = meta.split(' ').collect::<Vec<_>>()[..] {
            entries.push(Entry { mode: mode.to_string(), id: id.to_string(), path: path.to_string() });
        }
    }
    Ok(entries)
}

/// The content of each entry, by path, through one `git cat-file --batch`.
fn read_blobs(root: &Path, entries: &[Entry]) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    let mut child = Command::new("git")
        .current_dir(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git, which reads the lab's committed files")?;
    let ids: String = entries.iter().map(|e| format!("{}\n", e.id)).collect();
    let mut stdin = child.stdin.take().expect("piped");
    // Written from a thread: git answers while it reads, and a full pipe must not block both.
    let writer = std::thread::spawn(move || stdin.write_all(ids.as_bytes()));
    let mut output = Vec::new();
    child.stdout.take().expect("piped").read_to_end(&mut output)?;
    writer.join().expect("the writer does not panic")?;
    let status = child.wait()?;
    if !status.success() {
        bail!("`git cat-file --batch` failed");
    }
    let mut contents = BTreeMap::new();
    let mut rest = &output[..];
    for entry in entries {
        // `<id> blob <size>\n<content>\n`
        let end = rest.iter().position(|&b| b == b'\n').context("git cat-file's answer ends early")?;
        let header = String::from_utf8_lossy(&rest[..end]).into_owned();
        let size: usize = match header.split(' ').collect::<Vec<_>>()[..] {
            [_, "blob", size] => size.parse().context("git cat-file's size")?,
            _ => bail!("git cannot read {} ({header})", entry.path),
        };
        let start = end + 1;
        let body = rest.get(start..start + size).context("git cat-file's answer ends early")?;
        contents.insert(entry.path.clone(), body.to_vec());
        rest = rest.get(start + size + 1..).unwrap_or_default();
    }
    Ok(contents)
}

/// Writes one committed file as git would check it out: links as links (on Unix), the
/// executable bit kept.
fn write_entry(out: &Path, entry: &Entry, content: &[u8]) -> std::io::Result<()> {
    let to = out.join(&entry.path);
    std::fs::create_dir_all(to.parent().expect("a file has a parent"))?;
    #[cfg(unix)]
    if entry.mode == "120000" {
        return std::os::unix::fs::symlink(String::from_utf8_lossy(content).as_ref(), &to);
    }
    std::fs::write(&to, content)?;
    #[cfg(unix)]
    if entry.mode == "100755" {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

fn git(root: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("cannot run git, which reads the lab's history")?;
    if !output.status.success() {
        bail!(
            "`git {}` failed in {}: {}",
            args.join(" "),
            root.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

fn has_uncommitted_changes(root: &Path) -> bool {
    git(root, &["status", "--porcelain", "--", "."]).is_ok_and(|out| !out.is_empty())
}

/// The track file without its hints (they are sealed): each `hints = [` ... `]` block goes.
/// The result must read as the same track with no hints, or nothing is written.
fn without_hints(track: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut in_hints = false;
    for line in track.lines() {
        if in_hints {
            in_hints = line.trim() != "]";
            continue;
        }
        if line.trim_start().starts_with("hints = [") {
            in_hints = !line.trim_end().ends_with(']');
            continue;
        }
        if line.starts_with("# hints ") {
            out.push_str(
                "# hints     sealed in checker/sealed.bin; `cargo run -p checker -- hint` reveals the next.\n",
            );
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    let mut expected: toml::Table = track.parse().context("the track file does not parse")?;
    for exercise in expected.get_mut("exercise").and_then(|e| e.as_array_mut()).into_iter().flatten() {
        if let Some(table) = exercise.as_table_mut() {
            table.remove("hints");
        }
    }
    let written: toml::Table = out.parse().context("the track file without its hints does not parse")?;
    if written != expected {
        bail!(
            "the track file's hints could not be taken out line by line (write each `hints = [` ... `]` on lines of their own)"
        );
    }
    Ok(out)
}

fn left_out(file: &Path) -> bool {
    let path = file.to_string_lossy().replace('\\', "/");
    LEFT_OUT.iter().any(|l| if l.ends_with('/') { path.starts_with(l) } else { path == *l })
}

/// The workspace manifest without the members the student edition leaves out.
fn without_members(manifest: &str) -> anyhow::Result<String> {
    let mut text = manifest.to_string();
    for member in MEMBERS_LEFT_OUT {
        let before = text.clone();
        text = text.replace(&format!(", {member}"), "").replace(&format!("{member}, "), "");
        if text == before {
            bail!("the workspace's Cargo.toml has no member {member} to leave out");
        }
    }
    text.parse::<toml::Table>().context("the student edition's Cargo.toml does not parse")?;
    Ok(text)
}

fn with_notice(readme: &str) -> String {
    match readme.split_once('\n') {
        Some((title, rest)) if title.starts_with("# ") => format!("{title}\n\n{NOTICE}{rest}"),
        _ => format!("{NOTICE}\n{readme}"),
    }
}

/// Drops the solutions' packages from `Cargo.lock`, keeping every other locked version, so
/// that `--locked` builds work: cargo does it when it resolves the smaller workspace.
fn prune_lockfile(out: &Path) -> anyhow::Result<()> {
    let status = crate::cargo::cargo()
        .current_dir(out)
        .args(["metadata", "--format-version", "1"])
        .stdout(Stdio::null())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo cannot resolve the student edition's workspace (its message is above)");
    }
    Ok(())
}

/// One commit holding the edition as handed out.
fn commit(out: &Path) -> anyhow::Result<()> {
    // The instructor's own identity when git has one; otherwise one for this commit only.
    let has_identity = Command::new("git")
        .current_dir(out)
        .args(["config", "user.email"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let identity: &[&str] =
        if has_identity { &[] } else { &["-c", "user.name=OpenTelemetry lab", "-c", "user.email=lab@localhost"] };
    let git = |args: &[&str]| -> anyhow::Result<()> {
        let output =
            Command::new("git").current_dir(out).args(identity).args(args).output().context("cannot run git")?;
        if !output.status.success() {
            bail!("`git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
        }
        Ok(())
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["add", "-A"])?;
    git(&["commit", "-q", "-m", "The OpenTelemetry lab, student edition"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_track_loses_its_hints_and_nothing_else() {
        let track = "# hints     from a nudge to nearly the answer\nsnapshots = \"s\"\n\n[[exercise]]\nid = \"a\"\n\
                     hints = [\n    \"first\",\n    \"the code\",\n]\n\n[[exercise]]\nid = \"b\"\nhints = [\"one line\"]\n\
                     edit = \"src/x.rs\"\n";
        let out = without_hints(track).unwrap();
        assert!(!out.contains("first") && !out.contains("the code") && !out.contains("one line"), "{out}");
        assert!(out.contains("# hints     sealed in checker/sealed.bin"), "{out}");
        let table: toml::Table = out.parse().unwrap();
        assert_eq!(table["exercise"][1]["edit"].as_str(), Some("src/x.rs"));
    }

    #[test]
    fn hints_it_cannot_take_out_line_by_line_stop_the_edition() {
        // The array closes on the line of its last hint: the lines after it would be lost.
        let track = "[[exercise]]\nid = \"a\"\nhints = [\n    \"first\",\n    \"the code\"]\nedit = \"src/x.rs\"\n";
        let error = without_hints(track).unwrap_err().to_string();
        assert!(error.contains("could not be taken out line by line"), "{error}");
    }
}
