//! `watch`: re-checks the current exercise every time one of its files is saved, and
//! moves on to the next one when it passes.
//!
//! Saves are noticed two ways: file-system notifications (notify), which are instant, and
//! a fingerprint of the exercise's files taken every second, for file systems where
//! notifications never arrive (some network and container mounts). Several events in a
//! short burst (an editor's save) give one check. Commands are read line by line from
//! stdin: `n` next, `h` hint, `l` list, `q` quit.

use std::io::BufRead as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};

use crate::cache::Fingerprint;
use crate::grade::{self, Options};
use crate::report;
use crate::track::{Exercise, Side, Track};

/// How long a burst of file events may last before the check starts.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// How often the fallback looks at the files itself.
const POLL: Duration = Duration::from_secs(1);

enum Event {
    Saved,
    Command(String),
    InputClosed,
    /// The check running in the background is done: did it pass?
    Checked(bool),
}

/// Watches until every exercise passes or the learner quits. With `poll`, file
/// notifications are not used at all (the fallback alone).
pub fn run(track: &Track, options: Options, poll: bool) -> ExitCode {
    let (tx, rx) = mpsc::channel();
    let notify_tx = tx.clone();
    let tx_check = tx.clone();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && (event.kind.is_modify() || event.kind.is_create() || event.kind.is_remove())
            && event.paths.iter().any(|p| !p.components().any(|c| c.as_os_str() == "target"))
        {
            let _ = notify_tx.send(Event::Saved);
        }
    });
    let mut watcher = match watcher {
        Ok(_) if poll => {
            println!("Watching by polling every second (--poll).");
            None
        }
        Ok(w) => Some(w),
        Err(e) => {
            println!("File notifications are unavailable ({e}); watching by polling every second.");
            None
        }
    };
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(Event::Command(line.trim().to_lowercase())).is_err() {
                return;
            }
        }
        let _ = tx.send(Event::InputClosed);
    });

    let Some(mut current) = first_unfinished(track, 0, options) else {
        println!("{}", report::green("Every exercise passes: nothing to watch. Well done!"));
        return ExitCode::SUCCESS;
    };
    loop {
        let exercise = &track.exercises[current];
        let folder = exercise.folder(Side::Exercise);
        if let Some(w) = watcher.as_mut() {
            let _ = w.watch(&track.root.join(&folder), RecursiveMode::Recursive);
        }
        // Taken before the check: a save made while it runs is a change to check again.
        let mut seen = Fingerprint::of_tree(&track.root, &folder);
        let Some(passed) = check_listening(track, exercise, options, &tx_check, &rx) else {
            return ExitCode::SUCCESS;
        };
        if passed {
            match first_unfinished(track, current + 1, options).or_else(|| first_unfinished(track, 0, options)) {
                Some(next) => {
                    println!("{}", report::green(&format!("Moving on to {}.", track.exercises[next].title())));
                    unwatch(&mut watcher, track, &folder);
                    current = next;
                    continue;
                }
                None => {
                    println!(
                        "{}",
                        report::green("Every exercise passes. Your service is fully instrumented: well done!")
                    );
                    return ExitCode::SUCCESS;
                }
            }
        }
        println!("{}", report::dim("Watching for saves. Commands: n (next exercise), h (hint), l (list), q (quit)."));
        // Wait for a save (or a command), then check again.
        loop {
            match rx.recv_timeout(POLL) {
                Ok(Event::Saved) => {
                    while rx.recv_timeout(DEBOUNCE).is_ok_and(|e| matches!(e, Event::Saved)) {}
                    break;
                }
                Ok(Event::Command(command)) => match command.as_str() {
                    "q" | "quit" => return ExitCode::SUCCESS,
                    "n" | "next" => {
                        unwatch(&mut watcher, track, &folder);
                        current = (current + 1) % track.exercises.len();
                        break;
                    }
                    "h" | "hint" => {
                        crate::cli::print_hint(track, exercise);
                    }
                    "l" | "list" => {
                        let all: Vec<&Exercise> = track.exercises.iter().collect();
                        let verdicts = grade::grade(track, &all, Side::Exercise, options);
                        print!("{}", report::track_lines(&all, &verdicts, Some(current)));
                    }
                    "" => {}
                    other => println!("Unknown command `{other}`: n (next), h (hint), l (list), q (quit)."),
                },
                // Without stdin, Ctrl-C is the way out; keep watching.
                Ok(Event::InputClosed) => {}
                Err(RecvTimeoutError::Timeout) => {
                    let now = Fingerprint::of_tree(&track.root, &folder);
                    if now != seen {
                        seen = now;
                        break;
                    }
                }
                Ok(Event::Checked(_)) => {}
                Err(RecvTimeoutError::Disconnected) => return ExitCode::SUCCESS,
            }
        }
    }
}

fn unwatch(watcher: &mut Option<notify::RecommendedWatcher>, track: &Track, folder: &Path) {
    if let Some(w) = watcher.as_mut() {
        let _ = w.unwatch(&track.root.join(folder));
    }
}

/// Checks one exercise in the background and prints the verdict; "checking..." appears
/// at once. Meanwhile `q` still quits at once (ending the check's processes): `None`.
/// Saves made meanwhile are left in the channel, for the next round.
fn check_listening(
    track: &Track,
    exercise: &Exercise,
    options: Options,
    tx: &mpsc::Sender<Event>,
    rx: &mpsc::Receiver<Event>,
) -> Option<bool> {
    println!("\n{} {}", report::bold(&format!("Checking {}...", exercise.title())), report::dim("(saved)"));
    let (track_copy, exercise_copy, done) = (track.clone(), exercise.clone(), tx.clone());
    std::thread::spawn(move || {
        let verdict = grade::grade(&track_copy, &[&exercise_copy], Side::Exercise, options).remove(0);
        crate::cli::remember_current(&track_copy, Some(&exercise_copy));
        print!("{}", report::verdict_details(&exercise_copy, &verdict, false));
        let _ = done.send(Event::Checked(verdict.passed()));
    });
    let mut saved = false;
    loop {
        match rx.recv() {
            Ok(Event::Checked(passed)) => {
                if saved {
                    let _ = tx.send(Event::Saved);
                }
                return Some(passed);
            }
            Ok(Event::Command(command)) if matches!(command.as_str(), "q" | "quit") => {
                crate::groups::end_all();
                println!("Stopped the check; bye.");
                return None;
            }
            Ok(Event::Command(command)) if !command.is_empty() => {
                println!(
                    "{}",
                    report::dim(&format!(
                        "`{command}` ignored: a check is running (q quits at once); type it again after the verdict."
                    ))
                );
            }
            Ok(Event::Saved) => saved = true,
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

/// The first exercise from `start` on that does not pass.
fn first_unfinished(track: &Track, start: usize, options: Options) -> Option<usize> {
    let rest: Vec<&Exercise> = track.exercises.iter().skip(start).collect();
    let verdicts = grade::grade(track, &rest, Side::Exercise, options);
    verdicts.iter().position(|v| !v.passed()).map(|i| i + start)
}
