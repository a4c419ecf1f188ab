//! The committed GitHub Classroom workflow grades exactly the exercises of the track, in
//! the names and through the inputs GitHub Classroom's actions read, and its script that
//! lists the changes outside `exercises/` skips Classroom's own commits.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use checker::classroom;
use checker::track::Track;
use serde_norway::Value as Yaml;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn committed_workflow() -> Yaml {
    let text = std::fs::read_to_string(root().join(classroom::WORKFLOW)).unwrap_or_default();
    serde_norway::from_str(&text).expect("the workflow is valid YAML")
}

fn steps(workflow: &Yaml) -> &Vec<Yaml> {
    workflow["jobs"][classroom::JOB]["steps"]
        .as_sequence()
        .unwrap_or_else(|| panic!("the workflow has no job {:?} with steps", classroom::JOB))
}

#[test]
fn the_classroom_workflow_is_generated_from_the_track() {
    let track = Track::load(root()).unwrap();
    let generated = classroom::workflow(&track);
    let committed = std::fs::read_to_string(root().join(classroom::WORKFLOW)).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is not the workflow for this track; regenerate it with\n  cargo run -p checker -- classroom > {}",
        classroom::WORKFLOW,
        classroom::WORKFLOW
    );
    let yaml = committed_workflow();
    for exercise in &track.exercises {
        let graded = steps(&yaml).iter().any(|s| {
            s["with"]["command"].as_str().is_some_and(|c| c == format!("./target/debug/checker check {}", exercise.id))
                && s["with"]["max-score"].as_u64() == Some(u64::from(classroom::POINTS))
        });
        assert!(graded, "no graded step for {}", exercise.title());
    }
}

// ---------------------------------------------------------------------------------------
// The contract with GitHub Classroom, as read in the actions' sources. Each fact names the
// repository, the tag (and the commit it pointed at when read) and the file and lines.

/// education/autograding-grading-reporter, tag v1 = a2033d2, src/notify-classroom.js:55-65
/// (the reporter Classroom generated until it moved to classroom-resources/; its pull
/// request #20 "changes the `check_name` to match the autograding workflow file that is
/// generated on the classroom side"):
/// ```js
///   const checkRunsResponse = await octokit.rest.checks.listForSuite({
///     owner,
///     repo,
///     check_name: "run-autograding-tests",
///     check_suite_id: checkSuiteId,
///   });
///   const checkRun = checkRunsResponse.data.total_count === 1 && checkRunsResponse.data.check_runs[0];
///   if (!checkRun) return;
/// ```
/// A job's check run is named after the job: its `name:`, else its key.
const CHECK_RUN_THE_POINTS_GO_ON: &str = "run-autograding-tests";

/// What GitHub Classroom generates (every generated `classroom.yml` in public student
/// repositories, e.g. "name: Autograding Tests / jobs: run-autograding-tests: / if:
/// github.actor != 'github-classroom[bot]'"), and what classroom-resources/
/// autograding-grading-reporter's open pull request #14 documents as required: "The name
/// of the workflow *must* be `Autograding Tests`".
const GENERATED_WORKFLOW_NAME: &str = "Autograding Tests";
const GENERATED_JOB_CONDITION: &str = "github.actor != 'github-classroom[bot]'";

/// classroom-resources/autograding-grading-reporter, tag v1 = d13b591, src/main.js:6-12:
/// ```js
///   const runnerResults = core
///     .getInput("runners")
///     .split(",")
///     .map((runner) => {
///       const encodedResults = process.env[`${runner.trim().toUpperCase()}_RESULTS`];
/// ```
fn results_variable(runner: &str) -> String {
    format!("{}_RESULTS", runner.trim().to_uppercase())
}

/// The inputs each action used here declares in its `action.yml` at the tag named, and the
/// ones it requires (`required: true` with no default).
struct Action {
    uses: &'static str,
    inputs: &'static [&'static str],
    required: &'static [&'static str],
}

const ACTIONS: &[Action] = &[
    // classroom-resources/autograding-command-grader, v1 = d5b3fa6, action.yml:4-20;
    // outputs: `result` (action.yml:21-23).
    Action {
        uses: "classroom-resources/autograding-command-grader@v1",
        inputs: &["test-name", "setup-command", "command", "timeout", "max-score"],
        required: &["test-name", "command"],
    },
    // classroom-resources/autograding-grading-reporter, v1 = d13b591, action.yml:3-13.
    Action {
        uses: "classroom-resources/autograding-grading-reporter@v1",
        inputs: &["token", "runners"],
        required: &["runners"],
    },
    // actions/checkout, v7 (v7.0.1 = f548e57), action.yml:4-111 (fetch-depth at :74).
    Action { uses: "actions/checkout@v7", inputs: &["fetch-depth", "ref", "path", "fetch-tags"], required: &[] },
    // actions/cache, v5 (v5.0.5 = 27d5ce7), restore/action.yml:5-22, save/action.yml:5-17;
    // restore's outputs: cache-hit, cache-primary-key, cache-matched-key (:27-31).
    Action {
        uses: "actions/cache/restore@v5",
        inputs: &["path", "key", "restore-keys", "fail-on-cache-miss", "lookup-only"],
        required: &["path", "key"],
    },
    Action { uses: "actions/cache/save@v5", inputs: &["path", "key", "upload-chunk-size"], required: &["path", "key"] },
    // actions/upload-artifact, v7 (v7.0.0 = bbbca2d), action.yml:5-48.
    Action {
        uses: "actions/upload-artifact@v7",
        inputs: &["name", "path", "if-no-files-found", "retention-days", "compression-level", "overwrite"],
        required: &["path"],
    },
];

#[test]
fn the_workflow_uses_the_names_classroom_reads_the_points_under() {
    let yaml = committed_workflow();
    assert_eq!(yaml["name"].as_str(), Some(GENERATED_WORKFLOW_NAME), "the workflow's name");
    let jobs = yaml["jobs"].as_mapping().expect("the workflow has jobs");
    assert_eq!(jobs.len(), 1, "one job: Classroom's reporter looks for exactly one check run of that name");
    let (key, job) = jobs.iter().next().unwrap();
    let check_run = job["name"].as_str().or(key.as_str());
    assert_eq!(
        check_run,
        Some(CHECK_RUN_THE_POINTS_GO_ON),
        "the job's check run must be named {CHECK_RUN_THE_POINTS_GO_ON:?}, or the points never reach Classroom"
    );
    assert_eq!(job["if"].as_str(), Some(GENERATED_JOB_CONDITION), "the job must skip GitHub Classroom's own pushes");
    let on = yaml["on"].as_mapping().expect("`on:` is a mapping");
    for event in ["push", "repository_dispatch"] {
        assert!(on.contains_key(event), "Classroom's workflows run on {event}");
    }
}

#[test]
fn every_action_is_a_current_major_and_gets_only_inputs_it_declares() {
    let yaml = committed_workflow();
    for step in steps(&yaml) {
        let Some(uses) = step["uses"].as_str() else { continue };
        let action = ACTIONS.iter().find(|a| a.uses == uses).unwrap_or_else(|| {
            panic!(
                "step {:?} uses {uses}, which this test has not read the source of; the ones read: {:?}",
                step["name"],
                ACTIONS.iter().map(|a| a.uses).collect::<Vec<_>>()
            )
        });
        let with = step["with"].as_mapping().cloned().unwrap_or_default();
        for key in with.keys().filter_map(Yaml::as_str) {
            assert!(action.inputs.contains(&key), "{uses} declares no input {key:?} (it has {:?})", action.inputs);
        }
        for key in action.required {
            assert!(with.contains_key(*key), "{uses} requires the input {key:?}");
        }
    }
}

#[test]
fn the_reporter_reads_every_graded_step_under_the_name_it_computes() {
    let yaml = committed_workflow();
    let steps = steps(&yaml);
    let graders: Vec<&str> = steps
        .iter()
        .filter(|s| s["uses"].as_str() == Some(classroom::GRADER))
        .map(|s| s["id"].as_str().expect("a graded step has an id, the reporter's runner"))
        .collect();
    assert!(!graders.is_empty(), "no step uses {}", classroom::GRADER);
    let reporters: Vec<&Yaml> = steps.iter().filter(|s| s["uses"].as_str() == Some(classroom::REPORTER)).collect();
    assert_eq!(reporters.len(), 1, "one reporter step");
    let reporter = reporters[0];
    let runners: Vec<&str> = reporter["with"]["runners"].as_str().expect("the reporter's runners").split(',').collect();
    assert_eq!(runners, graders, "the reporter's runners are the graded steps' ids, in order");
    let env = reporter["env"].as_mapping().expect("the reporter's env");
    for runner in &runners {
        let variable = results_variable(runner);
        assert_eq!(
            env.get(variable.as_str()).and_then(Yaml::as_str),
            Some(format!("${{{{ steps.{runner}.outputs.result }}}}").as_str()),
            "the reporter reads step {runner}'s result from ${variable}"
        );
    }
    assert_eq!(results_variable("ex_first_span"), "EX_FIRST_SPAN_RESULTS");
}

#[test]
fn a_graded_push_reuses_the_build_and_cancels_the_one_it_supersedes() {
    let yaml = committed_workflow();
    assert_eq!(yaml["concurrency"]["cancel-in-progress"].as_bool(), Some(true), "superseded runs are cancelled");
    let group = yaml["concurrency"]["group"].as_str().unwrap_or_default();
    assert!(group.contains("github.ref"), "one concurrency group per branch, not one for the repository: {group}");

    let steps = steps(&yaml);
    let position = |uses: &str| steps.iter().position(|s| s["uses"].as_str() == Some(uses));
    let restore = position("actions/cache/restore@v5").expect("cargo's cache is restored");
    let save = position("actions/cache/save@v5").expect("cargo's cache is saved");
    let build = steps
        .iter()
        .position(|s| s["run"].as_str().is_some_and(|r| r.contains("cargo build")))
        .expect("the checker is built");
    let first_graded = position(classroom::GRADER).unwrap();
    assert!(restore < build, "the cache is restored before the build");
    assert!(
        save > build && save < first_graded,
        "the cache is saved after the build and before the graded steps (a failed test fails the job, and a \
         failed job skips later steps)"
    );

    let key = steps[restore]["with"]["key"].as_str().unwrap_or_default();
    for part in ["Cargo.lock", "exercises/Cargo.lock", classroom::TOOLCHAIN] {
        assert!(key.contains(part), "the cache key {key:?} must change with {part}");
    }
    assert_eq!(
        steps[save]["with"]["key"].as_str(),
        Some("${{ steps.cargo-cache.outputs.cache-primary-key }}"),
        "the save uses the key the restore computed"
    );
    for step in [restore, save] {
        let paths = steps[step]["with"]["path"].as_str().unwrap_or_default();
        for path in ["~/.cargo/registry/index/", "~/.cargo/registry/cache/", "target/"] {
            assert!(paths.lines().any(|l| l.trim() == path), "cargo's cache keeps {path}");
        }
    }
    let toolchain = steps.iter().filter_map(|s| s["run"].as_str()).find(|r| r.contains("rustup")).unwrap_or_default();
    assert!(toolchain.contains(classroom::TOOLCHAIN), "the job installs the toolchain of its cache key");

    let upload = position("actions/upload-artifact@v7").expect("the report is uploaded");
    assert!(steps[upload]["with"]["path"].as_str().unwrap_or_default().contains("checker-report.json"));
}

#[test]
fn the_workflow_grades_with_the_workspaces_rust_version() {
    for manifest in ["Cargo.toml", "exercises/Cargo.toml"] {
        let text = std::fs::read_to_string(root().join(manifest)).unwrap();
        let toml: toml::Table = toml::from_str(&text).unwrap();
        let version = toml["workspace"]["package"]["rust-version"].as_str().expect("rust-version");
        assert!(
            classroom::TOOLCHAIN == version || classroom::TOOLCHAIN.starts_with(&format!("{version}.")),
            "the workflow grades with Rust {}, but {manifest} says rust-version {version}",
            classroom::TOOLCHAIN
        );
    }
}

// ---------------------------------------------------------------------------------------
// The script that lists the changes outside exercises/

const BOT: &str = "github-classroom[bot]";
const BOT_EMAIL: &str = "66690702+github-classroom[bot]@users.noreply.github.com";

struct Repo {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let repo = Repo { _dir: dir, path };
        repo.git(&["init", "-q", "-b", "main"], ("nobody", "nobody@example.com"));
        repo
    }

    fn git(&self, args: &[&str], (name, email): (&str, &str)) -> Output {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.path)
            // Neither the machine's nor the user's git configuration (signing, hooks).
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", name)
            .env("GIT_AUTHOR_EMAIL", email)
            .env("GIT_COMMITTER_NAME", name)
            .env("GIT_COMMITTER_EMAIL", email)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    /// Writes the files and commits them as `author`.
    fn commit(&self, author: (&str, &str), files: &[(&str, &str)], message: &str) {
        for (file, text) in files {
            let path = self.path.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        self.git(&["add", "-A"], author);
        self.git(&["commit", "-q", "-m", message], author);
    }

    /// Runs the workflow's script; returns its stdout, the list it wrote and the summary.
    fn changes(&self) -> (String, String, String) {
        let summary = self.path.join("summary.md");
        let list = self.path.join("changes.txt");
        let out = Command::new("bash")
            .arg(root().join(classroom::CHANGES_SCRIPT))
            .arg(&list)
            .current_dir(&self.path)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .expect("bash runs");
        assert!(out.status.success(), "the script failed: {}", String::from_utf8_lossy(&out.stderr));
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let (list_text, summary_text) = (read(&list), read(&summary));
        std::fs::remove_file(&list).ok();
        std::fs::remove_file(&summary).ok();
        (String::from_utf8_lossy(&out.stdout).into_owned(), list_text, summary_text)
    }
}

const LEARNER: (&str, &str) = ("Ada Learner", "ada@example.com");
const INSTRUCTOR: (&str, &str) = ("Ines Instructor", "ines@example.com");

/// A repository as GitHub Classroom hands it out: the starter commit, then the bot's
/// commit that puts the deadline badge into README.md.
fn handed_out() -> Repo {
    let repo = Repo::new();
    repo.commit(
        INSTRUCTOR,
        &[
            ("README.md", "# The lab\n"),
            ("exercises/01-resource/src/main.rs", "fn main() {}\n"),
            ("checker/snapshots/01-resource.snap", "expected\n"),
        ],
        "The starters",
    );
    repo.commit(
        (BOT, BOT_EMAIL),
        &[(
            "README.md",
            "[![Review Assignment Due Date](https://classroom.github.com/assets/deadline.svg)]\n# The lab\n",
        )],
        "add deadline",
    );
    repo
}

#[test]
fn classrooms_own_readme_commit_is_not_a_change() {
    let repo = handed_out();
    repo.commit(LEARNER, &[("exercises/01-resource/src/main.rs", "fn main() { println!(); }\n")], "exercise 1");
    let (stdout, list, summary) = repo.changes();
    assert_eq!(list, "", "only exercises/ changed since the bot's commit");
    assert!(!stdout.contains("::warning"), "no warning for the bot's README edit: {stdout}");
    assert!(stdout.contains("add deadline"), "the log says where the diff starts: {stdout}");
    assert_eq!(summary, "");
}

#[test]
fn a_learners_change_outside_exercises_is_listed_and_warned_of() {
    let repo = handed_out();
    repo.commit(LEARNER, &[("exercises/01-resource/src/main.rs", "fn main() { println!(); }\n")], "exercise 1");
    repo.commit(LEARNER, &[("checker/snapshots/01-resource.snap", "forged\n")], "oops");
    let (stdout, list, summary) = repo.changes();
    assert!(list.contains("checker/snapshots/01-resource.snap"), "the changed snapshot is listed: {list}");
    assert!(!list.contains("exercises/"), "the learner's own folder is not: {list}");
    assert!(!list.contains("README.md"), "nor the bot's README edit: {list}");
    assert!(stdout.contains("::warning title=Changes outside exercises/::"), "a warning in the log: {stdout}");
    assert!(summary.contains("checker/snapshots/01-resource.snap"), "and in the job summary: {summary}");
}

#[test]
fn a_later_commit_in_the_bots_name_does_not_hide_earlier_changes() {
    let repo = handed_out();
    repo.commit(LEARNER, &[("checker/snapshots/01-resource.snap", "forged\n")], "exercise 1");
    repo.commit((BOT, BOT_EMAIL), &[("exercises/01-resource/src/main.rs", "fn main() {}\n// x\n")], "add deadline");
    let (stdout, list, _) = repo.changes();
    assert!(list.contains("checker/snapshots/01-resource.snap"), "the diff still starts at the hand-out: {list}");
    assert!(stdout.contains("::warning"), "{stdout}");
}

#[test]
fn without_classrooms_commit_the_diff_starts_at_the_root() {
    let repo = Repo::new();
    repo.commit(INSTRUCTOR, &[("README.md", "# The lab\n"), ("exercises/a.rs", "\n")], "The starters");
    let (stdout, list, _) = repo.changes();
    assert_eq!(list, "", "nothing changed yet");
    assert!(!stdout.contains("::warning"), "{stdout}");

    repo.commit(LEARNER, &[("README.md", "# My lab\n")], "my README");
    let (stdout, list, _) = repo.changes();
    assert!(list.contains("README.md"), "a learner's README edit is a change outside exercises/: {list}");
    assert!(stdout.contains("::warning"), "{stdout}");
}
