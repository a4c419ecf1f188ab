//! Grading an exercise by the learner's own tests (`scenario = "tests"` in the track,
//! exercise 20): the checker grades the tests, not the telemetry.
//!
//! The exercise's integration tests (`tests/*.rs`, built by [`crate::cargo::build`]) run on
//! the lab's reference service (`lab::reference`, no regression): every test must pass, and
//! at least one must run. They also run once per regression of that service
//! ([`REGRESSIONS`], `LAB_REGRESSION=<id>` in the tests' environment, which the service reads
//! when its router is built), side by side with the reference: at least one test must fail
//! on each (counted only once the reference passed). The verdict names each
//! regression the tests let through, and which tests caught the others.
//!
//! Each run is a process of its own, in its own process group, with the capture's time and
//! memory limits: a test that hangs is reported, never hangs the checker. Tests run one at a
//! time (`--test-threads=1`), in libtest's order (by name), so that a test that leaks state
//! into another (a global provider) fails or passes the same way on every run.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wait_timeout::ChildExt as _;

use crate::capture::Limits;
use crate::compare::{Difference, Signal};
use crate::groups::{self, Group};
use crate::kind::Kind;
use crate::verdict::{Status, Verdict};

// The lab's own list of its reference service's regressions (the checker does not link the
// lab, whose dependencies it does not need): written once, read by both.
#[path = "../lab/src/regressions.rs"]
mod shared;
pub use shared::{NO_REGRESSION, REGRESSION_VAR, REGRESSIONS};

/// The most bytes of a test run's output read: a test that prints without end is cut.
const MAX_OUTPUT: u64 = 1024 * 1024;

/// One test as libtest reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Test {
    pub name: String,
    pub passed: bool,
    /// Its panic message, when it failed.
    pub message: Option<String>,
}

/// One run of every test executable against one version of the service.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Suite {
    /// The tests that ran (ignored ones are left out), in libtest's order.
    pub tests: Vec<Test>,
    /// The test that was running when the time limit stopped the run (`""` when unknown).
    pub hung: Option<String>,
    /// The run ended without libtest's summary (a crash, an abort, `process::exit`).
    pub crashed: Option<String>,
}

impl Suite {
    /// Whether the run failed in any way: a test failed, hung, or the process crashed.
    pub fn failed(&self) -> bool {
        self.hung.is_some() || self.crashed.is_some() || self.tests.iter().any(|t| !t.passed)
    }

    fn failing(&self) -> Vec<&Test> {
        self.tests.iter().filter(|t| !t.passed).collect()
    }
}

/// The whole grading run: the reference, then each regression (none when the reference
/// already failed: the verdict is about that).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tested {
    pub reference: Suite,
    /// `(regression id, suite)`, in [`REGRESSIONS`]' order.
    pub regressions: Vec<(String, Suite)>,
}

impl Tested {
    /// Whether a time limit shaped the outcome (then the verdict is not cached).
    pub fn depends_on_the_machine(&self) -> bool {
        self.reference.hung.is_some() || self.regressions.iter().any(|(_, s)| s.hung.is_some())
    }
}

/// Runs `executables` (the exercise's integration tests) on the reference service and on
/// each regression; the regressions' outcomes are kept only when every test passed on the
/// reference.
pub fn run(executables: &[PathBuf], limits: Limits) -> Tested {
    // Every run side by side (each a process of its own, mostly waiting on the position
    // service's latency): the learner waits for the slowest, not for the sum. When the
    // reference fails, the regressions' runs are dropped: the verdict is about the reference.
    let (reference, regressions) = std::thread::scope(|scope| {
        let runs: Vec<_> = REGRESSIONS
            .iter()
            .map(|&(id, _)| scope.spawn(move || (id.to_string(), suite(executables, Some(id), limits))))
            .collect();
        let reference = suite(executables, None, limits);
        let regressions: Vec<(String, Suite)> =
            runs.into_iter().map(|r| r.join().expect("a test run's thread never panics")).collect();
        (reference, regressions)
    });
    if reference.failed() || reference.tests.is_empty() {
        return Tested { reference, regressions: vec![] };
    }
    Tested { reference, regressions }
}

fn suite(executables: &[PathBuf], regression: Option<&str>, limits: Limits) -> Suite {
    let mut all = Suite::default();
    let several = executables.len() > 1;
    for exe in executables {
        let mut one = run_one(exe, regression, limits);
        if several {
            let file = test_file(exe);
            for t in &mut one.tests {
                t.name = format!("{file}::{}", t.name);
            }
        }
        all.tests.extend(one.tests);
        all.hung = all.hung.or(one.hung);
        all.crashed = all.crashed.or(one.crashed);
    }
    all
}

/// `telemetry` for cargo's `telemetry-0123abcd` (or its private link's name).
fn test_file(exe: &Path) -> String {
    let name = exe.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match name.rsplit_once('-') {
        Some((file, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => file.to_string(),
        _ => name,
    }
}

fn run_one(exe: &Path, regression: Option<&str>, limits: Limits) -> Suite {
    let mut cmd = Command::new(exe);
    cmd.args(["--test-threads=1", "--color=never"]);
    // Nothing of the learner's shell or of a capture may change the service under test.
    crate::capture::remove_env(&mut cmd, |key| {
        key.starts_with("OTEL_") || key.starts_with("LAB_") || key == "RUST_TEST_THREADS"
    });
    // Set on the reference's run too: a test cannot tell the runs apart by its presence.
    cmd.env(REGRESSION_VAR, regression.unwrap_or(NO_REGRESSION));
    cmd.env("RUST_BACKTRACE", "0").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(dir) = exe.parent() {
        cmd.current_dir(dir);
    }
    groups::in_own_group(&mut cmd);
    crate::capture::limit_memory(&mut cmd, limits.memory_mib);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return Suite { crashed: Some(format!("cannot start {}: {e}", exe.display())), ..Suite::default() },
    };
    let group = Group::adopt(child.id());
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.by_ref().take(MAX_OUTPUT).read_to_end(&mut bytes);
                // The rest is drained unread: a full pipe would stall the tests until the limit.
                let _ = std::io::copy(&mut pipe, &mut std::io::sink());
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let status = child.wait_timeout(limits.timeout).ok().flatten();
    // Whatever the tests started ends with them; then the pipes close.
    drop(group);
    let _ = child.kill();
    let _ = child.wait();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let mut suite = parse(&stdout);
    match status {
        None => {
            suite.hung = Some(running(&stdout).unwrap_or_default());
        }
        Some(_) if !stdout.contains("\ntest result: ") && !stdout.starts_with("test result: ") => {
            let how = match status.and_then(|s| s.code()) {
                Some(code) => format!("exited (code {code})"),
                None => "was killed by a signal".to_string(),
            };
            let tail: Vec<&str> = stderr.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev().collect();
            let during = running(&stdout).map(|t| format!(" during `{t}`")).unwrap_or_default();
            suite.crashed = Some(format!("the test process {how}{during}: {}", tail.join("\n")).trim_end().to_string());
        }
        Some(_) => {}
    }
    suite
}

/// The test libtest had announced (`test name ... `) without a result when output stopped.
fn running(stdout: &str) -> Option<String> {
    let last = stdout.lines().rev().find(|l| l.starts_with("test ") && !l.starts_with("test result:"))?;
    let rest = last.strip_prefix("test ")?;
    let (name, result) = rest.split_once(" ... ").unwrap_or((rest.trim_end_matches(" ..."), ""));
    result.trim().is_empty().then(|| name.to_string())
}

/// libtest's human output: each `test NAME ... ok|FAILED|ignored` line, and each failure's
/// captured output (`---- NAME stdout ----`), of which the panic message is kept.
fn parse(stdout: &str) -> Suite {
    let mut tests = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else { continue };
        let Some((name, result)) = rest.split_once(" ... ") else { continue };
        let passed = match result.trim() {
            "ok" => true,
            "FAILED" => false,
            // Ignored tests did not run; a benchmark line is no test of ours either.
            _ => continue,
        };
        tests.push(Test { name: name.to_string(), passed, message: None });
    }
    let mut sections = stdout.split("\n---- ").skip(1);
    for section in sections.by_ref() {
        let Some((header, body)) = section.split_once('\n') else { continue };
        let Some(name) = header.strip_suffix(" stdout ----") else { continue };
        // The section ends where the next part of libtest's report starts.
        let body = body.split("\n\nfailures:").next().unwrap_or(body);
        let message = panic_message(body);
        if let Some(test) = tests.iter_mut().find(|t| t.name == name && !t.passed) {
            test.message = Some(message);
        }
    }
    Suite { tests, hung: None, crashed: None }
}

/// The panic's message out of a failed test's captured output, without the thread's id
/// (it differs between runs) and without the backtrace note.
fn panic_message(body: &str) -> String {
    let from_panic = match body.find("panicked at ") {
        Some(at) => &body[at..],
        None => body,
    };
    from_panic
        .lines()
        .filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// The first line of a panic message after `panicked at <file>:<line>:<col>:`.
fn first_words(message: &str) -> String {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default();
    let text = if first.starts_with("panicked at ") { lines.next().unwrap_or_default() } else { first };
    let text: String = text.chars().take(300).collect();
    text.trim().to_string()
}

fn difference(kind: Kind, text: String) -> Difference {
    Difference { signal: Signal::Tests, kind, text }
}

fn quoted(tests: &[&Test]) -> String {
    tests.iter().map(|t| format!("`{}`", t.name)).collect::<Vec<_>>().join(", ")
}

/// The verdict on one grading run.
pub fn verdict(tested: &Tested, timeout: Duration) -> Verdict {
    let reference = &tested.reference;
    if let Some(test) = &reference.hung {
        let which = if test.is_empty() { String::new() } else { format!(" (`{test}` was running)") };
        let mut v = Verdict::new(Status::Fail, "your tests do not finish on the reference service:");
        v.differences.push(difference(
            Kind::TestsHang,
            format!(
                "your tests did not finish within {} s on the reference service{which}: a test that waits for \
                 telemetry that never comes (a loop polling an exporter, a channel never closed) hangs; flush, then \
                 read once",
                timeout.as_secs()
            ),
        ));
        return v;
    }
    if let Some(crash) = &reference.crashed {
        return Verdict::new(Status::Fail, "your tests crashed on the reference service:").with_details(crash.clone());
    }
    let failing = reference.failing();
    if !failing.is_empty() {
        let mut v = Verdict::new(
            Status::Fail,
            format!(
                "your tests fail on the reference service ({} of {}): a test must pass on a service whose telemetry \
                 is right, or it catches nothing:",
                failing.len(),
                reference.tests.len()
            ),
        );
        for t in &failing {
            let why = t.message.as_deref().map(first_words).unwrap_or_default();
            v.differences.push(difference(
                Kind::TestsFailOnReference,
                format!("`{}` fails on the reference service: {why}", t.name),
            ));
        }
        let details: Vec<String> = failing
            .iter()
            .map(|t| format!("---- {}\n{}", t.name, t.message.as_deref().unwrap_or("(no panic message)")))
            .collect();
        return v.with_details(details.join("\n\n"));
    }
    if reference.tests.is_empty() {
        let mut v = Verdict::new(Status::Fail, "no test ran, so no regression can be caught:");
        v.differences.push(difference(
            Kind::Nothing,
            "no test ran: write at least one `#[tokio::test]` in tests/telemetry.rs (not `#[ignore]`d) that builds \
             providers over the SDK's in-memory exporters, sends the reference service a request, and asserts on \
             what it emitted: the server span's name, kind and attributes, the duration histogram's unit and points, \
             the log record's trace id"
                .to_string(),
        ));
        return v;
    }
    let words: std::collections::HashMap<&str, &str> = REGRESSIONS.iter().copied().collect();
    let mut missed = Vec::new();
    let mut caught = Vec::new();
    for (id, suite) in &tested.regressions {
        let service = words.get(id.as_str()).copied().unwrap_or(id.as_str());
        if suite.failed() {
            let by = quoted(&suite.failing());
            let how = match (&suite.hung, &suite.crashed) {
                (Some(t), _) => {
                    format!("a test did not finish{}", if t.is_empty() { String::new() } else { format!(" (`{t}`)") })
                }
                (_, Some(_)) => "the tests crashed".to_string(),
                _ => String::new(),
            };
            let by = [by, how].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ");
            caught.push(format!("caught: {service}, by {by}"));
        } else {
            missed.push(difference(Kind::TestsRegressionMissed, format!("your tests pass on {service}")));
        }
    }
    let n = tested.regressions.len();
    let table = caught.join("\n");
    if missed.is_empty() {
        let v = Verdict::new(
            Status::Pass,
            format!(
                "your {} tests pass on the reference service and catch every regression ({n} of {n})",
                reference.tests.len()
            ),
        );
        return v.with_details(table);
    }
    let mut v = Verdict::new(
        Status::Fail,
        format!(
            "your tests pass on the reference service, but let {} of {n} regressions through: think about what \
             such a change would look like in the telemetry, and assert on that:",
            missed.len()
        ),
    );
    v.differences = missed;
    if !table.is_empty() {
        v = v.with_details(table);
    }
    v
}

/// The outcome table of a run, as the snapshot of the solution keeps it: which tests pass on
/// the reference, and which tests each regression fails.
pub fn table(tested: &Tested) -> String {
    let mut out = String::from("reference:\n");
    for t in &tested.reference.tests {
        out.push_str(&format!("  {}: {}\n", t.name, if t.passed { "passes" } else { "FAILS" }));
    }
    for (id, suite) in &tested.regressions {
        let failing = suite.failing();
        let by = if failing.is_empty() { "nothing".to_string() } else { quoted(&failing) };
        let hung = suite.hung.as_ref().map(|t| format!(" (hung in `{t}`)")).unwrap_or_default();
        out.push_str(&format!("{id}: caught by {by}{hung}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\nrunning 3 tests\ntest a_span ... ok\ntest b_metric ... FAILED\ntest c_skipped ... ignored\n\n\
        failures:\n\n---- b_metric stdout ----\n\nthread 'b_metric' (4242) panicked at tests/telemetry.rs:9:5:\n\
        assertion `left == right` failed\n  left: \"ms\"\n right: \"s\"\nnote: run with `RUST_BACKTRACE=1` \
        environment variable to display a backtrace\n\n\nfailures:\n    b_metric\n\n\
        test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\n";

    #[test]
    fn libtests_report_reads_as_tests_and_panic_messages_without_thread_ids() {
        let suite = parse(OUTPUT);
        assert_eq!(suite.tests.len(), 2, "the ignored test did not run");
        assert!(suite.tests[0].passed);
        let failed = &suite.tests[1];
        assert_eq!(failed.name, "b_metric");
        let message = failed.message.as_deref().unwrap();
        assert!(message.starts_with("panicked at tests/telemetry.rs:9:5:"), "{message}");
        assert!(!message.contains("4242") && !message.contains("RUST_BACKTRACE"), "{message}");
        assert_eq!(first_words(message), "assertion `left == right` failed");
        assert!(suite.failed());
    }

    #[test]
    fn the_test_running_when_output_stopped_is_named() {
        assert_eq!(running("running 2 tests\ntest a ... ok\ntest b ... ").as_deref(), Some("b"));
        assert_eq!(running("running 1 test\ntest a ... ok\n"), None);
        assert_eq!(test_file(Path::new("/t/deps/telemetry-0a1b2c3d4e5f6071")), "telemetry");
    }

    fn passing(names: &[&str]) -> Suite {
        Suite {
            tests: names.iter().map(|n| Test { name: n.to_string(), passed: true, message: None }).collect(),
            ..Suite::default()
        }
    }

    #[test]
    fn a_regression_that_fails_no_test_is_named_in_the_verdict() {
        let ids = REGRESSIONS;
        let mut regressions: Vec<(String, Suite)> =
            ids.iter().map(|(id, _)| (id.to_string(), passing(&["t"]))).collect();
        for (_, suite) in regressions.iter_mut().skip(1) {
            suite.tests[0].passed = false;
        }
        let tested = Tested { reference: passing(&["t"]), regressions };
        let v = verdict(&tested, Duration::from_secs(30));
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.differences.len(), 1);
        assert_eq!(v.differences[0].kind_id(), "tests.regression_missed");
        assert_eq!(v.differences[0].text, format!("your tests pass on {}", ids[0].1));
        assert!(v.details.as_deref().unwrap().contains("by `t`"));
    }

    /// A stand-in for a test executable: a shell script that prints what libtest would.
    #[cfg(unix)]
    fn script(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join("telemetry-0123456789abcdef");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[cfg(unix)]
    #[test]
    fn each_regression_runs_with_its_id_in_the_environment_and_a_silent_one_is_missed() {
        let dir = tempfile::tempdir().unwrap();
        // Fails under every regression but the first, as a suite that misses it would.
        let first = REGRESSIONS[0].0;
        let exe = script(
            dir.path(),
            &format!(
                "echo 'running 1 test'\nif [ \"$LAB_REGRESSION\" != {NO_REGRESSION} ] && [ \"$LAB_REGRESSION\" != {first} ]; then\n\
                 echo 'test promise ... FAILED'; echo; echo 'failures:'; echo; echo '---- promise stdout ----'\n\
                 echo \"thread 'promise' (7) panicked at tests/telemetry.rs:1:1:\"; echo \"broken: $LAB_REGRESSION\"\n\
                 echo; echo 'failures:'; echo '    promise'; echo; echo 'test result: FAILED. 0 passed; 1 failed'; exit 101\n\
                 fi\necho 'test promise ... ok'; echo; echo 'test result: ok. 1 passed; 0 failed'"
            ),
        );
        let limits = Limits { timeout: Duration::from_secs(20), memory_mib: crate::capture::DEFAULT_MEMORY_MIB };
        let tested = run(&[exe], limits);
        assert!(!tested.reference.failed(), "{tested:?}");
        assert_eq!(tested.regressions.len(), REGRESSIONS.len());
        let (id, suite) = &tested.regressions[1];
        assert_eq!(suite.tests[0].message.as_deref().map(first_words), Some(format!("broken: {id}")));
        let v = verdict(&tested, limits.timeout);
        let missed: Vec<&str> = v.differences.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(missed, [format!("your tests pass on {}", REGRESSIONS[0].1)]);
    }

    #[cfg(unix)]
    #[test]
    fn a_test_that_looks_at_the_switch_instead_of_the_telemetry_fails_on_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        // "Catches" every broken version by the variable's presence alone.
        let exe = script(
            dir.path(),
            "echo 'running 1 test'\nif [ -n \"$LAB_REGRESSION\" ]; then\n\
             echo 'test switch ... FAILED'; echo; echo 'failures:'; echo; echo '---- switch stdout ----'\n\
             echo \"thread 'switch' (7) panicked at tests/telemetry.rs:1:1:\"; echo 'a broken version'\n\
             echo; echo 'failures:'; echo '    switch'; echo; echo 'test result: FAILED. 0 passed; 1 failed'; exit 101\n\
             fi\necho 'test switch ... ok'; echo; echo 'test result: ok. 1 passed; 0 failed'",
        );
        let limits = Limits { timeout: Duration::from_secs(20), memory_mib: crate::capture::DEFAULT_MEMORY_MIB };
        let tested = run(&[exe], limits);
        assert!(tested.reference.failed(), "{tested:?}");
        let v = verdict(&tested, limits.timeout);
        assert!(!v.passed());
        assert!(v.differences.iter().any(|d| d.text.contains("`switch` fails on the reference service")), "{v:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_test_that_hangs_is_stopped_at_the_time_limit_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let exe = script(dir.path(), "echo 'running 1 test'\nprintf 'test waits_for_a_span ... '\nexec sleep 60");
        let started = std::time::Instant::now();
        let limits = Limits { timeout: Duration::from_secs(1), memory_mib: crate::capture::DEFAULT_MEMORY_MIB };
        let tested = run(&[exe], limits);
        assert!(started.elapsed() < Duration::from_secs(30), "the run was stopped");
        assert_eq!(tested.reference.hung.as_deref(), Some("waits_for_a_span"));
        assert!(tested.regressions.is_empty(), "no regression is reported once the reference failed");
        assert!(tested.depends_on_the_machine());
        let v = verdict(&tested, limits.timeout);
        assert_eq!(v.differences[0].kind_id(), "tests.hang");
        assert!(v.differences[0].text.contains("within 1 s") && v.differences[0].text.contains("`waits_for_a_span`"));
    }

    #[test]
    fn no_test_and_a_test_failing_on_the_reference_are_told_apart() {
        let none = verdict(&Tested { reference: Suite::default(), regressions: vec![] }, Duration::from_secs(1));
        assert_eq!(none.differences[0].kind_id(), "tests.none");
        let mut reference = passing(&["always_fails"]);
        reference.tests[0].passed = false;
        reference.tests[0].message = Some("panicked at tests/telemetry.rs:1:1:\nno\n".into());
        let failing = verdict(&Tested { reference, regressions: vec![] }, Duration::from_secs(1));
        assert_eq!(failing.differences[0].kind_id(), "tests.fail_on_reference");
        assert_eq!(failing.differences[0].text, "`always_fails` fails on the reference service: no");
    }
}
