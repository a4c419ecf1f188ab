//! The process groups the checker started (each capture, each cargo build), so that
//! none outlives it: they are ended when the learner quits `watch`, and on Ctrl-C.
//!
//! Each capture runs in a group of its own so that everything it spawned can be ended
//! with it; the price is that the terminal's Ctrl-C no longer reaches them, so the
//! checker passes it on. The table is lock-free because a signal handler reads it.

use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};

const SLOTS: usize = 64;
static LIVE: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

/// Starts `cmd`'s process as the leader of a process group of its own (on Unix; other
/// systems have no process groups, and only the process itself is ended).
pub fn in_own_group(cmd: &mut Command) {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(cmd, 0);
    #[cfg(not(unix))]
    let _ = cmd;
}

/// A live process group, ended (SIGKILL to the whole group) when dropped.
pub struct Group {
    pgid: i32,
    slot: Option<usize>,
}

impl Group {
    /// Takes charge of the group whose leader is `pid` (started by [`in_own_group`]).
    pub fn adopt(pid: u32) -> Group {
        let pgid = pid as i32;
        let slot = LIVE.iter().position(|s| s.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst).is_ok());
        Group { pgid, slot }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        kill(self.pgid);
        if let Some(slot) = self.slot {
            LIVE[slot].store(0, Ordering::SeqCst);
        }
    }
}

#[cfg(unix)]
fn kill(pgid: i32) {
    // SAFETY: killpg has no memory-safety preconditions and is async-signal-safe. A group
    // keeps its leader's id while any member lives; once all are gone it fails with
    // ESRCH, which is ignored.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill(_: i32) {}

/// Ends every group still running (before the checker exits early).
pub fn end_all() {
    for slot in &LIVE {
        let pgid = slot.load(Ordering::SeqCst);
        if pgid > 0 {
            kill(pgid);
        }
    }
}

#[cfg(unix)]
extern "C" fn on_interrupt(signal: libc::c_int) {
    end_all();
    // SAFETY: signal and raise are async-signal-safe; the default action ends the
    // checker as the signal would have.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Passes Ctrl-C (and the terminal closing, and `kill`) on to the groups.
#[cfg(unix)]
pub fn end_with_the_checker() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only does async-signal-safe work (atomics, killpg, raise).
        unsafe {
            libc::signal(signal, on_interrupt as *const () as libc::sighandler_t);
        }
    }
}

/// Without process groups, Ctrl-C reaches the captures as it reaches the checker.
#[cfg(not(unix))]
pub fn end_with_the_checker() {}
