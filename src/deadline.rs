//! The per-file time budget (`models.max-seconds-per-file`): inspecting one file starts a deadline
//! on the inspecting thread, and the readers' byte loops check it, so no single file can stall the
//! run. A file that runs out of time ends as a finding naming the limit, never as a pass.

use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    static DEADLINE: Cell<Option<(Instant, u64)>> = const { Cell::new(None) };
}

/// The deadline of the file being inspected on this thread; cleared when dropped.
pub(crate) struct Deadline {
    previous: Option<(Instant, u64)>,
}

impl Deadline {
    /// Starts a budget of `seconds` for the current thread's file.
    pub(crate) fn start(seconds: u64) -> Self {
        let at = Instant::now().checked_add(Duration::from_secs(seconds));
        let previous = DEADLINE.with(|d| d.replace(at.map(|at| (at, seconds))));
        Self { previous }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(self.previous));
    }
}

/// The error a reader returns once the current file's time is up (`None` while time is left).
pub(crate) fn check() -> Option<std::io::Error> {
    let (at, seconds) = DEADLINE.with(Cell::get)?;
    (Instant::now() >= at).then(|| {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "limit reached: time budget per file (`models.max-seconds-per-file`: {seconds}s)"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_budget_is_exceeded_at_once_and_cleared_on_drop() {
        {
            let _deadline = Deadline::start(0);
            let error = check().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                error.contains("`models.max-seconds-per-file`: 0s"),
                "{error}"
            );
        }
        assert!(check().is_none());
        let _deadline = Deadline::start(3600);
        assert!(check().is_none());
    }
}
