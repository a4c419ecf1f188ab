//! The process groups the checker started (each capture, each cargo build), so that
//! none outlives it: they are ended when the learner quits `watch`, and on Ctrl-C.
//!
//! Each capture runs in a group of its own so that everything it spawned can be ended
//! with it; the price is that the terminal's Ctrl-C no longer reaches them, so the
//! checker passes it on. The table is lock-free because a signal handler reads it.

use std::sync::atomic::{AtomicI32, Ordering};

const SLOTS: usize = 64;
static LIVE: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

/// A live process group, ended (SIGKILL to the whole group) when dropped.
pub struct Group {
    pgid: libc::pid_t,
    slot: Option<usize>,
}

impl Group {
    /// Takes charge of the group whose leader is `pid` (started with `process_group(0)`).
    pub fn adopt(pid: u32) -> Group {
        let pgid = pid as libc::pid_t;
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

fn kill(pgid: libc::pid_t) {
    // SAFETY: killpg has no memory-safety preconditions and is async-signal-safe. A group
    // keeps its leader's id while any member lives; once all are gone it fails with
    // ESRCH, which is ignored.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// Ends every group still running (before the checker exits early).
pub fn end_all() {
    for slot in &LIVE {
        let pgid = slot.load(Ordering::SeqCst);
        if pgid > 0 {
            kill(pgid);
        }
    }
}

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
pub fn end_with_the_checker() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only does async-signal-safe work (atomics, killpg, raise).
        unsafe {
            libc::signal(signal, on_interrupt as *const () as libc::sighandler_t);
        }
    }
}
