//! The process's interrupt flag: raised by Ctrl-C (SIGINT), SIGTERM or SIGHUP once the binary
//! calls [`register`]. Long steps (downloading, unpacking, walking, writing) check it and give
//! up cleanly, leaving nothing behind; a second signal ends the process at once.

use std::sync::atomic::{AtomicBool, Ordering};

static RAISED: AtomicBool = AtomicBool::new(false);

/// The flag itself, for code that takes a cancel flag (see `crate::write::write_with`).
pub fn flag() -> &'static AtomicBool {
    &RAISED
}

/// Whether an interrupt has arrived.
pub(crate) fn raised() -> bool {
    RAISED.load(Ordering::Relaxed)
}

/// Installs the handlers. The first signal raises the flag; a second one exits with status
/// 128 + the signal, for a step that is blocked and cannot look at the flag (a stalled
/// download, until its time-out).
pub fn register() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let handler = move || {
            if RAISED.swap(true, Ordering::SeqCst) {
                signal_hook::low_level::exit(128 + signal);
            }
        };
        // SAFETY: the handler only swaps an atomic and calls _exit, both async-signal-safe.
        // Failing to register only means an interrupt kills the process the usual way.
        let _ = unsafe { signal_hook::low_level::register(signal, handler) };
    }
}

/// A reader that fails once the flag is raised, so that a long copy stops between two reads.
pub(crate) struct Checked<R>(pub R);

impl<R: std::io::Read> std::io::Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if raised() {
            // Not ErrorKind::Interrupted: io::copy retries on that.
            return Err(std::io::Error::other(INTERRUPTED_MESSAGE));
        }
        self.0.read(buf)
    }
}

/// The message of the error a [`Checked`] reader returns.
pub(crate) const INTERRUPTED_MESSAGE: &str = "interrupted";

/// Whether `e` is the error a [`Checked`] reader returns.
pub(crate) fn is_interruption(e: &std::io::Error) -> bool {
    raised() && e.kind() == std::io::ErrorKind::Other && e.to_string() == INTERRUPTED_MESSAGE
}
