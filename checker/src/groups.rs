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

/// Ends every process whose environment holds `key=value` (on Linux, read from /proc),
/// the checker's own aside: what a capture started inherits its unique
/// `LAB_CAPTURE_OUT`, even a process that left its process group for a session of its
/// own (`setsid`), which ending the group misses. A process that clears its environment
/// escapes this too (the README says so). Repeated while it finds any, so that one that
/// forked meanwhile goes as well.
#[cfg(target_os = "linux")]
pub fn end_marked(key: &str, value: &std::ffi::OsStr) {
    use std::os::unix::ffi::OsStrExt as _;
    let needle = [key.as_bytes(), b"=", value.as_bytes()].concat();
    let me = std::process::id();
    for _ in 0..10 {
        let mut found = false;
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            if pid == me {
                continue;
            }
            let Ok(environ) = std::fs::read(entry.path().join("environ")) else { continue };
            if environ.split(|&b| b == 0).any(|var| var == needle.as_slice()) {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe {
                    libc::kill(pid as i32, libc::SIGKILL);
                }
                found = true;
            }
        }
        if !found {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Elsewhere (macOS, Windows) there is no /proc: only the process group is ended.
#[cfg(not(target_os = "linux"))]
pub fn end_marked(_: &str, _: &std::ffi::OsStr) {}

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
