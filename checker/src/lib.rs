//! The lab's checker: the teacher that grades each exercise by its telemetry.
//!
//! How a check flows, module by module:
//! - [`track`]: which exercises exist, in which order (`exercises/track.toml`).
//! - [`cargo`]: builds them, one cargo call for all, collecting compile errors per crate.
//! - [`capture`]: runs each exercise's binary in capture mode, in its own process, with a
//!   timeout (the harness inside is `checker/lab`).
//! - [`snapshot`]: reads the expected telemetry, made from the solutions with insta;
//!   [`integrity`] refuses snapshots or a harness changed by hand.
//! - [`compare`]: says what differs, in telemetry terms; [`diagnose`]: the likely cause.
//! - [`tested`]: an exercise graded by its own tests instead (exercise 20): they run on the
//!   lab's reference service and on each of its regressions.
//! - [`grade`]: turns all that into a [`verdict::Verdict`] per exercise; [`cache`] keeps
//!   verdicts whose inputs did not change.
//! - [`report`]: text for learners, JSON for graders ([`classroom`]: the autograding
//!   workflow; [`class`]: a whole class's reports as one page; [`kind`]: the stable
//!   identifiers of differences and causes that reports carry); [`show`]: a terminal waterfall;
//!   [`verify`] for maintainers.
//! - [`watch`]: re-checks on every save; [`reset`]: back to the starter, with a backup;
//!   [`solution`]: the reference solution, once an exercise passes.
//! - [`serve`]: `run N`, an exercise served for real, outside the checker.
//! - [`edition`]: the student edition, without the solutions, for instructors; [`seal`]:
//!   its sealed solutions and hints.
//! - [`state`]: where the learner is (`.lab/`); [`cli`]: the command line ([`format`]: text
//!   or JSON); [`bench`]: the
//!   speed figures.

pub mod bench;
pub mod cache;
pub mod capture;
pub mod cargo;
pub mod class;
pub mod classroom;
pub mod cli;
pub mod compare;
pub mod diagnose;
pub mod edition;
pub mod format;
pub mod grade;
pub mod groups;
pub mod integrity;
pub mod kind;
pub mod output;
pub mod report;
pub mod reset;
pub mod seal;
pub mod serve;
pub mod show;
pub mod snapshot;
pub mod solution;
pub mod standin;
pub mod state;
pub mod tested;
pub mod track;
pub mod verdict;
pub mod verify;
pub mod watch;
