//! The command line: `cargo run -p checker -- [COMMAND]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::grade::{self, Options, Verdict};
use crate::report::{self, JsonExercise, JsonReport};
use crate::state::State;
use crate::track::{Exercise, Side, Track};
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
    #[arg(long, global = true, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,

    /// Grade everything afresh instead of reusing verdicts whose inputs did not change.
    #[arg(long, global = true)]
    no_cache: bool,

    /// Also show the raw diff of the telemetry document.
    #[arg(long, short, global = true)]
    verbose: bool,

    /// The lab's root folder (default: the one this checker was built in).
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
    /// Show the next hint for the current exercise, or for the one named.
    Hint { exercise: Option<String> },
    /// Put an exercise back as it was handed out (asks first; keeps a copy of yours).
    Reset {
        exercise: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// For instructors: print the GitHub Classroom autograding workflow for this track.
    Classroom,
    /// For maintainers: measure the edit-to-verdict loop, a warm re-run and target/'s size.
    Bench {
        /// The exercise whose solution is edited (default: the last one).
        exercise: Option<String>,
        /// How many edits to time.
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// For maintainers and CI: every starter fails and every solution passes.
    Verify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.clone().unwrap_or_else(default_root);
    let track = match Track::load(&root) {
        Ok(track) => track,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let options = Options { timeout: Duration::from_secs(cli.timeout.max(1)), use_cache: !cli.no_cache };
    match &cli.command {
        None => run_track(&cli, &track, options),
        Some(Command::List) => list(&cli, &track, options),
        Some(Command::Check { exercise }) => match find(&track, exercise) {
            Some(e) => check(&cli, &track, e, options),
            None => ExitCode::from(2),
        },
        Some(Command::Reset { exercise, yes }) => match find(&track, exercise) {
            Some(e) => crate::reset::run(&track, e, *yes),
            None => ExitCode::from(2),
        },
        Some(Command::Bench { exercise, runs }) => {
            let chosen = match exercise {
                Some(q) => find(&track, q),
                None => track.exercises.last(),
            };
            match chosen {
                Some(e) => crate::bench::run(&track, e, *runs, options),
                None => ExitCode::from(2),
            }
        }
        Some(Command::Classroom) => {
            print!("{}", crate::classroom::workflow(&track));
            ExitCode::SUCCESS
        }
        Some(Command::Watch { poll }) => crate::watch::run(&track, options, *poll),
        Some(Command::Show { exercise, solution }) => match find(&track, exercise) {
            Some(e) => show(&track, e, *solution, options),
            None => ExitCode::from(2),
        },
        Some(Command::Hint { exercise }) => hint(&track, exercise.as_deref(), options),
        // verify always grades afresh: it is the lab's proof, not a learner's loop.
        Some(Command::Verify) => verify::run(&track, Options { use_cache: false, ..options }, cli.format),
    }
}

/// The workspace this checker was built in (`checker/..`).
fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the checker lives in the workspace").to_path_buf()
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

fn json_report(exercises: &[&Exercise], verdicts: &[Verdict]) -> JsonReport {
    JsonReport::new(exercises.iter().zip(verdicts).map(|(e, v)| JsonExercise::new(e, v)).collect())
}

fn run_track(cli: &Cli, track: &Track, options: Options) -> ExitCode {
    let exercises = all(track);
    if cli.format == Format::Text {
        println!("{}", report::bold(&format!("OpenTelemetry lab: {} exercises", exercises.len())));
        println!("Checking (the first run builds every exercise, which takes a while)...");
    }
    let verdicts = grade::grade(track, &exercises, Side::Exercise, options);
    let current = verdicts.iter().position(|v| !v.passed());
    remember_current(track, current.map(|i| exercises[i]));
    let done = verdicts.iter().filter(|v| v.passed()).count();
    match cli.format {
        Format::Json => json_report(&exercises, &verdicts).print(),
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
        Format::Json => json_report(&exercises, &verdicts).print(),
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
        Format::Json => json_report(&[exercise], std::slice::from_ref(&verdict)).print(),
        Format::Text => print!("{}", report::verdict_details(exercise, &verdict, cli.verbose)),
    }
    exit(verdict.passed())
}

fn show(track: &Track, exercise: &Exercise, solution: bool, options: Options) -> ExitCode {
    let side = if solution { Side::Solution } else { Side::Exercise };
    // Captured afresh, with no snapshot needed: `show` also serves while writing one.
    let ran = grade::run(track, &[exercise], side, options).remove(0);
    let whose = if solution { "the reference solution" } else { "your code" };
    println!("{}", report::bold(&format!("{}: what {whose} emitted", exercise.title())));
    match ran {
        Ok(crate::capture::Outcome::Captured(document)) => {
            println!();
            print!("{}", crate::show::render(&document));
            ExitCode::SUCCESS
        }
        other => {
            // It did not run to the end: say why, as `check` would.
            let verdict = grade::verdict(track, exercise, other);
            if solution {
                print!("{}", report::broken_solution(exercise, &verdict));
            } else {
                print!("{}", report::verdict_details(exercise, &verdict, false));
            }
            ExitCode::FAILURE
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
