//! The command line: `cargo run -p checker -- [COMMAND]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::format::Format;

use crate::grade::{self, Options};
use crate::report::{self, JsonExercise, JsonReport};
use crate::state::State;
use crate::track::{Exercise, Side, Track};
use crate::verdict::Verdict;
use crate::verify;

/// The OpenTelemetry lab's checker: builds each exercise, runs it with in-memory
/// exporters, and tells you what its telemetry is missing.
///
/// With no command it checks the whole track, shows your progress, and explains the
/// first exercise that does not pass yet.
#[derive(Debug, Parser)]
#[command(name = "checker", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Output format: text for people, json for graders and CI.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// Seconds an exercise may run before it is stopped and reported as a timeout.
    #[arg(long, global = true, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,

    /// Memory (address space) one exercise may use while it is checked, in MiB.
    #[arg(long, global = true, default_value_t = crate::capture::DEFAULT_MEMORY_MIB, value_name = "MIB", value_parser = clap::value_parser!(u64).range(64..))]
    memory: u64,

    /// Seconds one cargo build may take before it is stopped (a build script that loops).
    #[arg(long, global = true, default_value_t = crate::cargo::DEFAULT_BUILD_TIMEOUT.as_secs(), value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    build_timeout: u64,

    /// Grade everything afresh instead of reusing verdicts whose inputs did not change.
    #[arg(long, global = true)]
    no_cache: bool,

    /// Also show the raw diff of the telemetry document.
    #[arg(long, short, global = true)]
    verbose: bool,

    /// The lab's root folder (default: the nearest folder, from the current one up, that
    /// holds exercises/track.toml).
    #[arg(long, global = true, env = "LAB_ROOT", hide = true)]
    root: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every exercise with its state.
    List,
    /// Check one exercise, by number (3), id (first-span) or folder (03-first-span).
    Check { exercise: String },
    /// Re-check the current exercise on every save, and move on when it passes.
    Watch {
        /// Notice saves by looking at the files every second only (for file systems
        /// where change notifications do not arrive).
        #[arg(long, env = "LAB_WATCH_POLL")]
        poll: bool,
    },
    /// Draw what an exercise emitted: trace waterfalls, metrics and log records.
    Show {
        exercise: String,
        /// Show the reference solution's telemetry instead of yours.
        #[arg(long)]
        solution: bool,
    },
    /// Run an exercise for real (its telemetry goes where the OTEL_* variables say), by
    /// number, id or folder; arguments after `--` go to the service.
    Run {
        exercise: String,
        /// Run the reference solution instead of yours.
        #[arg(long)]
        solution: bool,
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Show the next hint for the current exercise, or for the one named.
    Hint { exercise: Option<String> },
    /// Once an exercise passes: its reference solution, as a diff against yours.
    Solution {
        exercise: String,
        /// Show it before your exercise passes (recorded in .lab/gave-up.txt and the JSON
        /// report).
        #[arg(long)]
        give_up: bool,
    },
    /// Put an exercise back as it was handed out (asks first; keeps a copy of yours).
    Reset {
        exercise: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// For instructors: print the GitHub Classroom autograding workflow for this track.
    Classroom,
    /// For instructors: one HTML page of a whole class, from a folder of JSON reports (one
    /// `checker --format json` report per student, named after the student).
    Class {
        /// The folder of reports (`*.json`).
        dir: PathBuf,
        /// Where to write the page (default: class.html in that folder).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// For instructors: write the lab without its solutions to a new folder (a git
    /// repository to hand out, e.g. as a GitHub Classroom template).
    StudentEdition {
        /// The folder to create (it must not exist, or be empty).
        out: PathBuf,
    },
    /// For maintainers: print the list of starters `reset` restores (the snapshot
    /// folder's starters.toml), from the exercise folders as they are now.
    Starters,
    /// For maintainers: measure the edit-to-verdict loop, a warm re-run and target/'s size.
    Bench {
        /// The exercise whose solution is edited (default: the last one graded by its
        /// telemetry; exercise 20, graded by its tests, runs them seven times instead).
        exercise: Option<String>,
        /// How many edits to time.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// For maintainers and CI: every starter fails and every solution passes (of one
    /// exercise when named).
    Verify { exercise: Option<String> },
}

impl Command {
    /// The maintainers' commands that run the reference solutions' crates (the student
    /// edition has them only sealed; its `show --solution` draws the snapshot instead).
    fn needs_solutions(&self) -> bool {
        matches!(self, Command::Verify { .. } | Command::Bench { .. } | Command::Run { solution: true, .. })
    }
}

pub fn main() -> ExitCode {
    // `checker hint 3 | head -1`: a closed pipe ends the checker quietly, as it ends any
    // Unix tool, instead of a panic in `println!`.
    // SAFETY: called before any other thread exists; SIG_DFL is a valid disposition.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    crate::groups::end_with_the_checker();
    let cli = Cli::parse();
    // The class view reads reports only: it needs no lab around it.
    if let Some(Command::Class { dir, out }) = &cli.command {
        return crate::class::run(dir, out.as_deref());
    }
    let root = match cli.root.clone().map(Ok).unwrap_or_else(find_root) {
        Ok(root) => root,
        Err(why) => {
            eprintln!("error: {why}");
            return ExitCode::from(2);
        }
    };
    let track = match Track::load(&root) {
        Ok(track) => track,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    if cli.command.as_ref().is_some_and(Command::needs_solutions) && !track.has_solutions() {
        eprintln!(
            "error: this command runs the reference solutions, and this is the student edition of the lab: \
             they stay with the instructor."
        );
        return ExitCode::from(2);
    }
    let options = Options {
        timeout: Duration::from_secs(cli.timeout),
        use_cache: !cli.no_cache,
        memory_mib: cli.memory,
        build_timeout: Duration::from_secs(cli.build_timeout),
    };
    match &cli.command {
        None => run_track(&cli, &track, options),
        Some(Command::List) => list(&cli, &track, options),
        Some(Command::Check { exercise }) => match find(&track, exercise) {
            Some(e) => check(&cli, &track, e, options),
            None => ExitCode::from(2),
        },
        Some(Command::Solution { exercise, give_up }) => match find(&track, exercise) {
            Some(e) => crate::solution::run(&track, e, *give_up, options),
            None => ExitCode::from(2),
        },
        Some(Command::Reset { exercise, yes }) => match find(&track, exercise) {
            Some(e) => crate::reset::run(&track, e, *yes),
            None => ExitCode::from(2),
        },
        Some(Command::Bench { exercise, runs }) => {
            let chosen = match exercise {
                Some(q) => find(&track, q),
                None => track.exercises.iter().rev().find(|e| !e.graded_by_tests()),
            };
            match chosen {
                Some(e) => crate::bench::run(&track, e, *runs, options),
                None => ExitCode::from(2),
            }
        }
        Some(Command::StudentEdition { out }) => crate::edition::run(&track, out),
        Some(Command::Class { dir, out }) => crate::class::run(dir, out.as_deref()),
        Some(Command::Classroom) => {
            print!("{}", crate::classroom::workflow(&track));
            ExitCode::SUCCESS
        }
        Some(Command::Starters) => match crate::reset::starters_file(&track) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Some(Command::Watch { poll }) => crate::watch::run(&track, options, *poll),
        Some(Command::Show { exercise, solution }) => match find(&track, exercise) {
            Some(e) => show(&track, e, *solution, options),
            None => ExitCode::from(2),
        },
        Some(Command::Hint { exercise }) => hint(&track, exercise.as_deref(), options),
        Some(Command::Run { exercise, solution, args }) => match find(&track, exercise) {
            Some(e) => {
                let side = if *solution { Side::Solution } else { Side::Exercise };
                crate::serve::run(&track, e, side, args, options.build_timeout)
            }
            None => ExitCode::from(2),
        },
        // verify always grades afresh: it is the lab's proof, not a learner's loop.
        Some(Command::Verify { exercise }) => {
            let chosen: Vec<&Exercise> = match exercise {
                Some(q) => match find(&track, q) {
                    Some(e) => vec![e],
                    None => return ExitCode::from(2),
                },
                None => track.exercises.iter().collect(),
            };
            verify::run(&track, &chosen, Options { use_cache: false, ..options }, cli.format)
        }
    }
}

/// The lab the checker runs in: the nearest folder, from the current one up, with the
/// track file. Not where the checker was compiled: one target folder may serve two clones.
fn find_root() -> Result<PathBuf, String> {
    let here = std::env::current_dir().map_err(|e| format!("cannot tell the current folder: {e}"))?;
    here.ancestors().find(|dir| dir.join(crate::track::TRACK_FILE).is_file()).map(Path::to_path_buf).ok_or_else(|| {
        format!(
            "no lab here: neither {} nor a folder above it has {}. Run the checker from inside the lab's folder.",
            here.display(),
            crate::track::TRACK_FILE
        )
    })
}

fn find<'t>(track: &'t Track, query: &str) -> Option<&'t Exercise> {
    let found = track.find(query);
    if found.is_none() {
        eprintln!(
            "error: no exercise `{query}`. Name one by number (1 to {}), id or folder; `cargo run -p checker -- list` shows them.",
            track.exercises.len()
        );
    }
    found
}

fn all(track: &Track) -> Vec<&Exercise> {
    track.exercises.iter().collect()
}

fn exit(ok: bool) -> ExitCode {
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Remembers where the learner is, for `hint` without an argument.
pub(crate) fn remember_current(track: &Track, current: Option<&Exercise>) {
    let mut state = State::load(&track.root);
    state.current = current.map(|e| e.id.clone());
    if let Err(e) = state.save(&track.root) {
        eprintln!("warning: cannot save progress in .lab/: {e}");
    }
}

/// The JSON report of a learner's exercises, with those whose solution they saw first.
fn json_report(track: &Track, exercises: &[&Exercise], verdicts: &[Verdict]) -> JsonReport {
    let gave_up = crate::state::gave_up(&track.root);
    JsonReport::new(
        exercises
            .iter()
            .zip(verdicts)
            .map(|(e, v)| JsonExercise { gave_up: gave_up.contains(&e.id), ..JsonExercise::new(e, v) })
            .collect(),
    )
}

fn run_track(cli: &Cli, track: &Track, options: Options) -> ExitCode {
    let exercises = all(track);
    if cli.format == Format::Text {
        println!("{}", report::bold(&format!("OpenTelemetry lab: {} exercises", exercises.len())));
    }
    let verdicts = grade::grade(track, &exercises, Side::Exercise, options);
    let current = verdicts.iter().position(|v| !v.passed());
    remember_current(track, current.map(|i| exercises[i]));
    let done = verdicts.iter().filter(|v| v.passed()).count();
    match cli.format {
        Format::Json => json_report(track, &exercises, &verdicts).print(),
        Format::Text => {
            print!("{}", report::track_lines(&exercises, &verdicts, current));
            println!("\n{}\n", report::progress_bar(done, exercises.len()));
            match current {
                Some(i) => print!("{}", report::verdict_details(exercises[i], &verdicts[i], cli.verbose)),
                None => println!(
                    "{}",
                    report::green("Every exercise passes. Your service is fully instrumented: well done!")
                ),
            }
        }
    }
    exit(current.is_none())
}

fn list(cli: &Cli, track: &Track, options: Options) -> ExitCode {
    let exercises = all(track);
    let verdicts = grade::grade(track, &exercises, Side::Exercise, options);
    let current = verdicts.iter().position(|v| !v.passed());
    match cli.format {
        Format::Json => json_report(track, &exercises, &verdicts).print(),
        Format::Text => {
            print!("{}", report::track_lines(&exercises, &verdicts, current));
            let done = verdicts.iter().filter(|v| v.passed()).count();
            println!("\n{}", report::progress_bar(done, exercises.len()));
        }
    }
    ExitCode::SUCCESS
}

fn check(cli: &Cli, track: &Track, exercise: &Exercise, options: Options) -> ExitCode {
    let verdict = grade::grade(track, &[exercise], Side::Exercise, options).remove(0);
    match cli.format {
        Format::Json => json_report(track, &[exercise], std::slice::from_ref(&verdict)).print(),
        Format::Text => {
            print!("{}", report::verdict_details(exercise, &verdict, cli.verbose));
            if verdict.passed() && (track.has_solutions() || track.is_edition()) {
                let n = exercise.number;
                println!(
                    "  {}",
                    report::dim(&format!("Compare with the reference: `cargo run -p checker -- solution {n}`"))
                );
            }
        }
    }
    exit(verdict.passed())
}

fn show(track: &Track, exercise: &Exercise, solution: bool, options: Options) -> ExitCode {
    if exercise.graded_by_tests() {
        // No scenario drives it: its tests are what is graded.
        println!(
            "{} is graded by your tests, not by telemetry the checker captures: `cargo run -p checker -- check {}` \
             runs them on the reference service and on each broken version of it.",
            exercise.title(),
            exercise.number
        );
        // Not even `--solution` prints the solution's outcome table: it names the broken
        // versions, which the learner is to work out (README 20).
        let _ = solution;
        return ExitCode::SUCCESS;
    }
    if solution && !track.has_solutions() {
        return show_expected(track, exercise);
    }
    let side = if solution { Side::Solution } else { Side::Exercise };
    // Captured afresh, with no snapshot needed: `show` also serves while writing one.
    let ran = grade::run(track, &[exercise], side, options).remove(0);
    let whose = if solution { "the reference solution" } else { "your code" };
    println!("{}", report::bold(&format!("{}: what {whose} emitted", exercise.title())));
    match grade::outcome(ran) {
        Ok(document) => {
            println!();
            print!("{}", crate::show::render(&document));
            ExitCode::SUCCESS
        }
        Err(verdict) => {
            // It did not run to the end: say why, as `check` would.
            if solution {
                print!("{}", report::broken_solution(exercise, &verdict));
            } else {
                print!("{}", report::verdict_details(exercise, &verdict, false));
            }
            ExitCode::FAILURE
        }
    }
}

/// The expected telemetry, from the exercise's snapshot: what the reference solution
/// emitted when the snapshot was made (in the student edition, which has no solution to run).
fn show_expected(track: &Track, exercise: &Exercise) -> ExitCode {
    let path = track.snapshot_path(exercise);
    match crate::snapshot::read(&path) {
        Ok(snapshot) => {
            println!(
                "{}",
                report::bold(&format!("{}: what the reference solution emits (its snapshot)", exercise.title()))
            );
            println!(
                "{}",
                report::dim("(A snapshot keeps no durations, so the bars are empty; the order is the spans'.)")
            );
            println!();
            print!("{}", crate::show::render(&snapshot.document));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn hint(track: &Track, query: Option<&str>, options: Options) -> ExitCode {
    let mut state = State::load(&track.root);
    let exercise = match query {
        Some(q) => match find(track, q) {
            Some(e) => e,
            None => return ExitCode::from(2),
        },
        None => match state.current.as_deref().and_then(|id| track.find(id)) {
            Some(e) => e,
            None => {
                // No saved position yet: find the first exercise that does not pass.
                let exercises = all(track);
                let verdicts = grade::grade(track, &exercises, Side::Exercise, options);
                match verdicts.iter().position(|v| !v.passed()) {
                    Some(i) => exercises[i],
                    None => {
                        println!("Every exercise passes: no hints needed.");
                        return ExitCode::SUCCESS;
                    }
                }
            }
        },
    };
    print_hint_with(&mut state, track, exercise);
    ExitCode::SUCCESS
}

/// Prints the next hint of `exercise` and remembers that it was shown.
pub(crate) fn print_hint(track: &Track, exercise: &Exercise) {
    let mut state = State::load(&track.root);
    print_hint_with(&mut state, track, exercise);
}

fn print_hint_with(state: &mut State, track: &Track, exercise: &Exercise) {
    if exercise.hints.is_empty() {
        println!("{} has no hints; its README explains what to do: {}", exercise.title(), exercise.readme().display());
        return;
    }
    let shown = state.hints_shown.entry(exercise.id.clone()).or_default();
    let index = (*shown).min(exercise.hints.len() - 1);
    *shown = index + 1;
    println!("{}", report::bold(&format!("Hint {}/{} for {}", index + 1, exercise.hints.len(), exercise.title())));
    println!("{}", exercise.hints[index]);
    if index + 1 == exercise.hints.len() {
        println!("{}", report::dim("(That was the last hint; the README and the slides explain the concept.)"));
    } else {
        println!("{}", report::dim("(Run it again for the next hint.)"));
    }
    if let Err(e) = state.save(&track.root) {
        eprintln!("warning: cannot save hint progress in .lab/: {e}");
    }
}
