//! Building exercises with cargo: one `cargo build --keep-going` for every package asked
//! for, in the workspace they belong to ([`crate::track::Side::workspace`]), so a compile
//! error in one exercise never stops the others from being built.
//!
//! Nothing about one exercise may stop the others: a package cargo does not know (its
//! folder deleted, a wrong `dir` in the track) is reported on its own, and when the
//! workspace itself cannot load (an exercise's `Cargo.toml` broken), the others are built
//! through a stand-in workspace ([`crate::standin`]) that leaves the broken one out; so
//! also when one exercise asks for a dependency cargo cannot resolve. A build that does
//! not finish within its limit (a `build.rs` that loops) is stopped with every process it
//! started.
//!
//! The workspace's `Cargo.lock` is never written (`--locked`): a deleted or broken one is
//! reported with how to restore it, and when it no longer fits the workspace (an exercise
//! deleted, a dependency added) the stand-in, with a copy of it, builds instead.
//!
//! Under load: one checker of a lab builds at a time (a file lock, [`BuildLock`]), so that
//! two (`watch` beside `check`) never rewrite each other's stand-in; a lab whose target
//! folder is shared with other clones (`CARGO_TARGET_DIR`) gets its binaries in a folder
//! of its own ([`Folders`]); and each capture runs a private hard link of the binary its
//! own build made, which no later build, of this clone or another, can replace.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use wait_timeout::ChildExt as _;

use crate::groups::{self, Group};
use crate::standin;

/// The result of building one package.
#[derive(Debug, Clone)]
pub enum Build {
    Built {
        /// What to run: a private link to the binary this build made (see [`build`]).
        executable: PathBuf,
        /// Its integration tests' executables (`tests/*.rs`), private links too: built only
        /// when [`build`] was asked to test one of its packages (an exercise graded by its
        /// tests), and then for any package that has some; only the tested ones run.
        tests: Vec<PathBuf>,
        /// That binary as cargo left it (for a tested package, its first test executable),
        /// for the verdict cache.
        stamp: Option<Stamp>,
    },
    /// Compiler errors as rustc rendered them.
    Failed { errors: String },
    /// cargo stopped before compiling it (its manifest, the workspace, the target
    /// folder), or the build ran out of time: not a compile error in the learner's code.
    NotBuilt { cargo_says: String },
}

#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[allow(clippy::enum_variant_names)] // named after cargo's `reason` values
enum Message {
    CompilerArtifact {
        manifest_path: PathBuf,
        executable: Option<PathBuf>,
        #[serde(default)]
        target: Option<ArtifactTarget>,
        #[serde(default)]
        profile: Option<ArtifactProfile>,
    },
    CompilerMessage {
        manifest_path: PathBuf,
        message: Diagnostic,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct ArtifactTarget {
    #[serde(default)]
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct ArtifactProfile {
    #[serde(default)]
    test: bool,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

/// Reads cargo's JSON messages as they come. When stderr is a terminal, it also shows how
/// far the build is on one line there (a first run compiles for minutes; a build with
/// nothing to compile shows nothing), and clears the line when cargo is done.
fn read_messages(pipe: std::process::ChildStdout) -> String {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    #[derive(Deserialize)]
    struct Artifact {
        reason: String,
        #[serde(default)]
        fresh: bool,
        target: Option<Target>,
    }
    #[derive(Deserialize)]
    struct Target {
        name: String,
    }
    let show = std::io::stderr().is_terminal();
    let mut text = String::new();
    let mut compiled = 0;
    for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
        if show
            && line.contains("\"compiler-artifact\"")
            && let Ok(Artifact { reason, fresh: false, target: Some(target) }) = serde_json::from_str(&line)
            && reason == "compiler-artifact"
        {
            compiled += 1;
            // One short line (a wrapped line could not be redrawn in place).
            let name: String = target.name.chars().take(24).collect();
            let first_run = if compiled > 10 { " (a first run: minutes)" } else { "" };
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K  building: {compiled} crates compiled, last {name}{first_run}");
            let _ = err.flush();
        }
        text.push_str(&line);
        text.push('\n');
    }
    if compiled > 0 {
        eprint!("\r\x1b[2K");
    }
    text
}

/// Set by `bench`: every build is incremental, the lab's own crates included (the root's
/// profile turns it off for them), so that a solution edited there builds as a learner's
/// exercise does.
static INCREMENTAL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn build_incrementally() {
    INCREMENTAL.store(true, std::sync::atomic::Ordering::SeqCst);
}

pub fn incremental(cmd: &mut Command) {
    if INCREMENTAL.load(std::sync::atomic::Ordering::SeqCst) {
        cmd.env("CARGO_INCREMENTAL", "1");
    }
}

/// The cargo that runs the checker (set by `cargo run`), or the one on PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The default of `--build-timeout`: a cold build of every exercise takes a few minutes
/// on 2 cores; a build script that loops must not hang the track forever.
pub const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// The identity of a binary cargo left in the target folder (its inode, size and time):
/// another build that replaces it, or `cargo clean`, changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub path: PathBuf,
    pub id: String,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Stamp { path: path.to_path_buf(), id: format!("{inode} {} {:?}", meta.len(), meta.modified().ok()) })
    }
}

/// What [`build`] gave, by package name. The private links it made last as long as it.
pub struct Builds {
    builds: HashMap<String, Build>,
    _links: Option<tempfile::TempDir>,
}

impl Builds {
    pub fn get(&self, package: &str) -> Option<&Build> {
        self.builds.get(package)
    }

    pub fn remove(&mut self, package: &str) -> Option<Build> {
        self.builds.remove(package)
    }
}

/// Where a build's files go. `build` is the target folder (cargo's `build-dir`: the
/// dependencies, each crate's hashed binary in `deps/`); `artifacts` is where cargo puts
/// each binary under its plain name (`debug/ex03-first-span`). Both are `target/` unless
/// `CARGO_TARGET_DIR` names a folder other clones may share: cargo re-links a binary's
/// plain name on every build of a package of that name, whichever clone it comes from,
/// so each clone gets `lab-clones/<its own>/` there for them. (Cargo tells two clones'
/// crates apart: they depend on the lab's harness, `checker/lab`, outside the exercises'
/// workspace, which it hashes by its full path.)
pub struct Folders {
    pub build: PathBuf,
    pub artifacts: PathBuf,
}

pub fn folders(root: &Path) -> Folders {
    let own = root.join("target");
    let chosen = std::env::var_os("CARGO_TARGET_DIR").or_else(|| std::env::var_os("CARGO_BUILD_TARGET_DIR"));
    match chosen {
        Some(shared) if canonical(&root.join(&shared)) != canonical(&own) => {
            let shared = root.join(shared);
            let clone = crate::cache::Fingerprint::of_bytes(canonical(root).to_string_lossy().as_bytes());
            let artifacts = shared.join("lab-clones").join(format!("{clone:016x}"));
            Folders { build: shared, artifacts }
        }
        _ => Folders { build: own.clone(), artifacts: own },
    }
}

/// The lab's build lock (`target/lab-build.lock`), held while one checker builds and
/// links its binaries: a second checker of the same lab waits for it. Best effort: with
/// no usable `target/`, cargo's own message says what is wrong.
struct BuildLock(Option<std::fs::File>);

impl BuildLock {
    fn take(root: &Path) -> BuildLock {
        let dir = root.join("target");
        let file = std::fs::create_dir_all(&dir).and_then(|()| {
            std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("lab-build.lock"))
        });
        BuildLock(file.ok().filter(|f| f.lock().is_ok()))
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        if let Some(file) = &self.0 {
            let _ = file.unlock();
        }
    }
}

/// Builds `packages` (name, manifest path), members of the workspace whose manifest is
/// `workspace`, from the lab's `root`; the result is keyed by package name. `with_tests`
/// (some are exercises graded by their own tests): the one call selects `--bins --tests`,
/// so that their integration tests are built too. Target selection
/// applies to every package of a call, but the other exercises have no test target (their
/// `lib` and `bin` say `test = false`), so theirs is the same build; and one call keeps
/// cargo's feature unification what it is for the whole workspace (`cargo build
/// --workspace`, the dev container's prebuild): a second call for the tested ones alone
/// would unify fewer features (`log` without `kv`, ...) and compile a second copy of
/// much of the OpenTelemetry stack on a learner's first check.
///
/// With `private`, each binary is hard-linked into a folder of this process's own (made
/// while the lab's build lock is held) and that link is what [`Build::Built`] names: a
/// capture runs what this build made, even while another build re-links the binary
/// cargo left (`run`, which hands the process over, takes cargo's own).
pub fn build(
    root: &Path,
    workspace: &Path,
    packages: &[(String, PathBuf)],
    with_tests: bool,
    limit: Duration,
    private: bool,
) -> Builds {
    let lock = BuildLock::take(root);
    let folders = folders(root);
    let targets: &[&str] = if with_tests { &["--bins", "--tests"] } else { &[] };
    let mut builds = build_unlinked(root, workspace, packages, limit, &folders, targets);
    let links = if private { link_privately(&folders, &mut builds) } else { None };
    drop(lock);
    Builds { builds, _links: links }
}

/// Hard links (or copies) of every binary built, in `lab-run/<pid>-*` of the artifacts'
/// folder; folders of processes that are gone are removed first.
fn link_privately(folders: &Folders, builds: &mut HashMap<String, Build>) -> Option<tempfile::TempDir> {
    let base = folders.artifacts.join("lab-run");
    std::fs::create_dir_all(&base).ok()?;
    for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !alive(pid)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let dir = tempfile::Builder::new().prefix(&format!("{}-", std::process::id())).tempdir_in(&base).ok()?;
    let link = |from: &mut PathBuf, name: String| {
        let link = dir.path().join(name);
        if std::fs::hard_link(&*from, &link).is_ok() || std::fs::copy(&*from, &link).is_ok() {
            *from = link;
        }
    };
    for (name, build) in builds.iter_mut() {
        if let Build::Built { executable, tests, .. } = build {
            link(executable, name.clone());
            for (i, test) in tests.iter_mut().enumerate() {
                link(test, format!("{name}.test{i}"));
            }
        }
    }
    Some(dir)
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    // SAFETY: kill with signal 0 only checks that the process exists.
    unsafe { libc::kill(pid as i32, 0) == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH) }
}

#[cfg(not(unix))]
fn alive(_: u32) -> bool {
    true
}

/// The lab's own words for a workspace whose `Cargo.toml` or `Cargo.lock` is missing or
/// broken (`None` when both are fine): how to restore it.
fn workspace_files_problem(root: &Path, workspace: &Path) -> Option<String> {
    let lock = workspace.with_file_name("Cargo.lock");
    let shown = |path: &Path| path.strip_prefix(root).unwrap_or(path).display().to_string();
    if !lock.is_file() {
        return Some(format!(
            "{} is missing. It pins the version of every dependency the exercises use; the checker never makes a \
             new one (that would pick newer versions than the lab's). Restore it with `git checkout -- {}`.",
            shown(&lock),
            shown(&lock)
        ));
    }
    let unparsable = |path: &Path| {
        std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| t.parse::<toml::Table>().map(drop).map_err(|e| e.to_string()))
            .err()
    };
    for (file, what) in [(workspace, "the exercises' workspace manifest"), (lock.as_path(), "the exercises' lock file")]
    {
        if let Some(why) = unparsable(file) {
            return Some(format!(
                "{} ({what}) is broken, so cargo builds no exercise: {why}\nRestore it with `git checkout -- {}` (your \
                 exercises are in their own folders and stay as they are).",
                shown(file),
                shown(file)
            ));
        }
    }
    None
}

fn build_unlinked(
    root: &Path,
    workspace: &Path,
    packages: &[(String, PathBuf)],
    limit: Duration,
    folders: &Folders,
    targets: &[&str],
) -> HashMap<String, Build> {
    let mut results = HashMap::new();
    if let Some(problem) = workspace_files_problem(root, workspace) {
        results.extend(packages.iter().map(|(n, _)| (n.clone(), Build::NotBuilt { cargo_says: problem.clone() })));
        return results;
    }
    // A missing manifest (a folder deleted, a wrong `dir` in the track) is known without cargo.
    let (present, missing): (Vec<_>, Vec<_>) = packages.iter().cloned().partition(|(_, m)| m.is_file());
    for (name, manifest) in missing {
        results.insert(name.clone(), not_in_workspace(root, &name, &manifest));
    }
    if present.is_empty() {
        return results;
    }
    let first = build_members(root, workspace, &present, limit, folders, true, targets);
    if !first.refused {
        results.extend(first.builds);
        return results;
    }
    // The workspace loads, knows every package, and resolves as its lock file says: cargo
    // refused for another reason (the target folder), and its message stands.
    let loads = members(root, workspace);
    if let Ok(members) = &loads
        && present.iter().all(|(n, _)| members.contains(n))
        && resolves(root, workspace, true).is_ok()
    {
        results.extend(first.builds);
        return results;
    }
    let (workspace, buildable, locked) = match loads {
        Ok(members) if present.iter().any(|(n, _)| !members.contains(n)) => {
            let (known, unknown): (Vec<_>, Vec<_>) = present.into_iter().partition(|(n, _)| members.contains(n));
            for (name, manifest) in unknown {
                results.insert(name.clone(), not_in_workspace(root, &name, &manifest));
            }
            (workspace.to_path_buf(), known, true)
        }
        // It does not load (a broken manifest), or does not resolve as locked (a
        // dependency cargo cannot find, an exercise the lock file no longer fits).
        loads => {
            let cargo_says = loads.err().unwrap_or_else(|| cargo_complaint(&first.stderr));
            // Build through a stand-in that leaves out the crates that are the problem,
            // each reported with cargo's words.
            match standin::prepare(root, workspace, &present) {
                Ok(standin) => {
                    for (name, why) in &standin.broken {
                        results.insert(name.clone(), Build::NotBuilt { cargo_says: why.clone() });
                    }
                    let healthy = present.into_iter().filter(|(n, _)| !standin.broken.contains_key(n)).collect();
                    (standin.manifest, healthy, false)
                }
                Err(e) => {
                    let says = format!("{cargo_says}\n\n(and no stand-in workspace could be made: {e})");
                    results.extend(present.into_iter().map(|(n, _)| (n, Build::NotBuilt { cargo_says: says.clone() })));
                    return results;
                }
            }
        }
    };
    if !buildable.is_empty() {
        results.extend(build_members(root, &workspace, &buildable, limit, folders, locked, targets).builds);
    }
    results
}

/// Whether the workspace's dependencies resolve (as its lock file says, with `locked`),
/// or cargo's complaint.
pub fn resolves(root: &Path, workspace: &Path, locked: bool) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.current_dir(root).args(["metadata", "--format-version", "1", "--color=never"]);
    if locked {
        cmd.arg("--locked");
    }
    cmd.arg("--manifest-path").arg(workspace);
    let output = cmd.stdin(Stdio::null()).output().map_err(|e| format!("could not run cargo: {e}"))?;
    if output.status.success() { Ok(()) } else { Err(cargo_complaint(&String::from_utf8_lossy(&output.stderr))) }
}

/// The names of the packages of the workspace whose manifest is `workspace`, or cargo's
/// complaint when it cannot load.
pub fn members(root: &Path, workspace: &Path) -> Result<Vec<String>, String> {
    #[derive(Deserialize)]
    struct Metadata {
        packages: Vec<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
    }
    let mut cmd = cargo();
    cmd.current_dir(root).args(["metadata", "--no-deps", "--format-version", "1", "--color=never"]);
    cmd.arg("--manifest-path").arg(workspace);
    let output = cmd.stdin(Stdio::null()).output().map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(cargo_complaint(&String::from_utf8_lossy(&output.stderr)));
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    Ok(metadata.packages.into_iter().map(|p| p.name).collect())
}

fn not_in_workspace(root: &Path, name: &str, manifest: &Path) -> Build {
    let shown = manifest.strip_prefix(root).unwrap_or(manifest);
    let why = if manifest.is_file() {
        format!("{} does not declare the package `{name}` the track expects (was `name` changed?)", shown.display())
    } else {
        format!(
            "{} is missing, so cargo has no package `{name}`: was the folder deleted or renamed? `git status` shows \
             it; `cargo run -p checker -- reset` brings an exercise back.",
            shown.display()
        )
    };
    Build::NotBuilt { cargo_says: why }
}

/// What one cargo call gave.
struct Attempt {
    builds: HashMap<String, Build>,
    /// cargo failed before compiling anything (a workspace that does not load, a package
    /// it does not know, a target folder it cannot use).
    refused: bool,
    stderr: String,
}

/// One `cargo build --keep-going` for `packages`, in the workspace (or the stand-in) whose
/// manifest is given, with cargo's target selection `targets` (none: its default), stopped
/// (with everything it started) after `limit`.
fn build_members(
    root: &Path,
    workspace: &Path,
    packages: &[(String, PathBuf)],
    limit: Duration,
    folders: &Folders,
    locked: bool,
    targets: &[&str],
) -> Attempt {
    let mut cmd = cargo();
    cmd.current_dir(root)
        .args(["build", "--keep-going", "--message-format=json", "--color=never"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    groups::in_own_group(&mut cmd);
    cmd.arg("--manifest-path").arg(workspace);
    if locked {
        // The lab's versions, and exercises/Cargo.lock never written.
        cmd.arg("--locked");
    }
    incremental(&mut cmd);
    // Every workspace builds where the lab does (.cargo/config.toml says so too, but a
    // stand-in in target/ is outside its reach, and a lab without it must not build twice).
    cmd.env("CARGO_TARGET_DIR", &folders.artifacts);
    if std::env::var_os("CARGO_BUILD_BUILD_DIR").is_none() {
        cmd.env("CARGO_BUILD_BUILD_DIR", &folders.build);
    }
    for (name, _) in packages {
        cmd.args(["-p", name]);
    }
    cmd.args(targets);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let says = format!("could not run cargo: {e}");
            let builds =
                packages.iter().map(|(n, _)| (n.clone(), Build::NotBuilt { cargo_says: says.clone() })).collect();
            return Attempt { builds, refused: false, stderr: String::new() };
        }
    };
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = child.stdout.take().map(|pipe| std::thread::spawn(move || read_messages(pipe)));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let group = Group::adopt(child.id());
    let finished = child.wait_timeout(limit).ok().flatten();
    // cargo, rustc and build scripts are one process group: end it all (nothing is left
    // when cargo finished).
    drop(group);
    let _ = child.kill();
    let _ = child.wait();
    let timed_out = finished.is_none();
    let stdout = stdout.and_then(|reader| reader.join().ok()).unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();

    let mut executables: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut test_executables: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
    let mut errors: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for line in stdout.lines() {
        match serde_json::from_str::<Message>(line) {
            Ok(Message::CompilerArtifact { manifest_path, executable: Some(exe), target, profile }) => {
                let integration_test =
                    profile.is_some_and(|p| p.test) && target.is_some_and(|t| t.kind.iter().any(|k| k == "test"));
                if integration_test {
                    test_executables.entry(canonical(&manifest_path)).or_default().push(exe);
                } else {
                    executables.insert(canonical(&manifest_path), exe);
                }
            }
            Ok(Message::CompilerMessage { manifest_path, message }) if message.level == "error" => {
                if let Some(rendered) = message.rendered {
                    errors.entry(canonical(&manifest_path)).or_default().push(rendered);
                }
            }
            _ => {}
        }
    }
    let cargo_said = if timed_out {
        format!(
            "the build did not finish within {} s and was stopped. A build script (`build.rs`) that never ends is \
             the usual cause (raise the limit with --build-timeout).",
            limit.as_secs()
        )
    } else {
        cargo_complaint(&stderr)
    };
    // Errors in crates that were not asked for (the lab's own crates): every exercise that
    // depends on them fails to build, and the learner must see that it is not their code.
    let asked: Vec<PathBuf> = packages.iter().map(|(_, m)| canonical(m)).collect();
    let elsewhere: Vec<String> = errors
        .iter()
        .filter(|(manifest, _)| !asked.contains(manifest))
        .map(|(manifest, errs)| {
            let folder = manifest.parent().unwrap_or(manifest);
            let shown = folder.strip_prefix(canonical(root)).unwrap_or(folder);
            format!(
                "A crate this exercise depends on does not compile: {} (not your exercise; if you did not change it, \
                 restore it with `git checkout {}`).\n\n{}",
                shown.display(),
                shown.display(),
                summarise(errs)
            )
        })
        .collect();

    let refused = finished.is_some_and(|s| !s.success()) && executables.is_empty() && errors.is_empty();
    let builds = packages
        .iter()
        .map(|(name, manifest)| {
            let manifest = canonical(manifest);
            let build = match (errors.remove(&manifest), executables.remove(&manifest)) {
                (Some(errs), _) => Build::Failed { errors: summarise(&errs) },
                (None, Some(executable)) => {
                    let mut tests = test_executables.remove(&manifest).unwrap_or_default();
                    // In the order of their names, whatever order cargo finished them in.
                    tests.sort();
                    let stamp = Stamp::of(tests.first().unwrap_or(&executable));
                    Build::Built { stamp, executable, tests }
                }
                (None, None) if !elsewhere.is_empty() => Build::Failed { errors: elsewhere.join("\n\n") },
                (None, None) => Build::NotBuilt {
                    cargo_says: if cargo_said.is_empty() {
                        format!("cargo built no binary for `{name}`")
                    } else {
                        cargo_said.clone()
                    },
                },
            };
            (name.clone(), build)
        })
        .collect();
    Attempt { builds, refused, stderr }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The first errors in full, then a count: enough to act on, not a wall.
fn summarise(errors: &[String]) -> String {
    const SHOWN: usize = 2;
    let mut text: String = errors
        .iter()
        .filter(|e| !e.starts_with("error: aborting") && !e.starts_with("error: could not compile"))
        .take(SHOWN)
        .map(|e| e.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n\n");
    let more = errors.len().saturating_sub(SHOWN);
    if more > 0 {
        text.push_str(&format!(
            "\n\n... and {more} more error(s); run `cargo build` in the exercise's folder to see them all."
        ));
    }
    text
}

/// cargo's own error lines (a broken manifest, an unknown package), without progress noise.
pub fn cargo_complaint(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("error"))
        .filter(|l| !l.trim_start().starts_with("Compiling") && !l.trim_start().starts_with("Blocking"))
        .take(15)
        .collect();
    lines.join("\n")
}
