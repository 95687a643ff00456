//! The per-file time budget (`models.max-seconds-per-file`): inspecting one file starts a deadline
//! on the inspecting thread, and the readers' byte loops check it, so no single file can stall the
//! run. A file that runs out of time ends as a finding naming the limit, never as a pass.

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
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

/// A reader whose reads fail once the current file's time budget is spent, so every reader that
/// reads through it honours the budget without checking it itself.
#[derive(Debug)]
pub(crate) struct Timed<R> {
    inner: R,
}

impl<R> Timed<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self { inner }
    }

    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

impl<R: Read> Read for Timed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(late) = check() {
            return Err(late);
        }
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for Timed<R> {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        self.inner.seek(position)
    }
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

    #[test]
    fn a_timed_reader_stops_reading_once_the_budget_is_spent() {
        let mut reader = Timed::new(io::Cursor::new(vec![7u8; 16]));
        let mut buf = [0u8; 4];
        assert_eq!(reader.read(&mut buf).ok(), Some(4));
        let _deadline = Deadline::start(0);
        let error = reader.read(&mut buf).err();
        assert_eq!(error.map(|e| e.kind()), Some(io::ErrorKind::TimedOut));
    }
}
