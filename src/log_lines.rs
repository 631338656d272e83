//! Log lines gathered for a moment and written out together by a thread of their own.
//!
//! tracing-appender's non-blocking writer woke its thread for every line, so every request paid
//! a wake-up (a futex call), the log thread's turn on a core, its spinning (`sched_yield`) and a
//! `write`: 0.96 writes and 2.2 `sched_yield`s per `GET /me/courses` at 8 connections, and a fifth
//! of the server's CPU time at one. Here a line is appended to a buffer under a mutex; only the
//! first line after a write wakes the thread, which waits [`GATHER`] for more and writes them in
//! one call. No line is lost: when the buffer is full, the thread that logs writes it out itself,
//! in order.

use std::io::Write;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// How long the writing thread waits for more lines after the first: short enough that a line
/// shows up at once to a person watching, long enough that under load one write carries hundreds.
pub const GATHER: Duration = Duration::from_millis(20);

/// Pending bytes at which a logging thread stops waiting for the writer and writes them itself
/// (about 1,500 request lines; 20 ms of the fastest read measured held about 1,000).
const FULL: usize = 256 * 1024;

type Output = Box<dyn Write + Send>;

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Taken before `pending` whenever both are held, and held while writing, so that batches
    /// reach the output in the order they were gathered.
    out: Mutex<Output>,
}

#[derive(Default)]
struct Pending {
    lines: Vec<u8>,
    closed: bool,
}

/// The `MakeWriter` for tracing-subscriber's fmt layer: each event is one `write_all` of a
/// formatted line.
#[derive(Clone)]
pub struct LogLines(Arc<Shared>);

/// Writes out what is pending and stops the writing thread when dropped: hold it until the end of
/// `main`.
pub struct Guard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl LogLines {
    /// Starts the writing thread; lines go to `out`.
    pub fn start(out: impl Write + Send + 'static) -> std::io::Result<(LogLines, Guard)> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            out: Mutex::new(Box::new(out)),
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new().name("wilkan-log".into()).spawn(move || write_batches(&worker))?;
        Ok((LogLines(shared.clone()), Guard { shared, thread: Some(thread) }))
    }
}

fn write_batches(shared: &Shared) {
    let mut batch = Vec::new();
    loop {
        let mut pending = shared.pending.lock();
        while pending.lines.is_empty() && !pending.closed {
            shared.wake.wait(&mut pending);
        }
        if !pending.closed {
            // Woken early only by closing (a line wakes the thread only when none is pending).
            shared.wake.wait_for(&mut pending, GATHER);
        }
        drop(pending);
        let mut out = shared.out.lock();
        let closed = {
            let mut pending = shared.pending.lock();
            std::mem::swap(&mut pending.lines, &mut batch);
            pending.closed
        };
        // A failed write (stdout closed) has nowhere to be reported; the lines are dropped.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        if closed {
            return;
        }
    }
}

/// One event's line; borrowed from the `LogLines`, so logging touches no reference count.
pub struct Line<'a>(&'a Shared);

impl<'a> MakeWriter<'a> for LogLines {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        Line(&self.0)
    }
}

impl Write for Line<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let shared = self.0;
        let mut pending = shared.pending.lock();
        if !pending.closed && pending.lines.len() + line.len() <= FULL {
            let was_empty = pending.lines.is_empty();
            pending.lines.extend_from_slice(line);
            drop(pending);
            if was_empty {
                shared.wake.notify_one();
            }
            return Ok(line.len());
        }
        // Full (or closed): write what is pending and this line now, in order, rather than drop
        // lines or let the buffer grow without bound.
        drop(pending);
        let mut out = shared.out.lock();
        let earlier = std::mem::take(&mut shared.pending.lock().lines);
        out.write_all(&earlier)?;
        out.write_all(line)?;
        out.flush()?;
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Lines are written within GATHER; a caller that must see them sooner drops the Guard.
        Ok(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.pending.lock().closed = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// An output that keeps what it is given and counts the `write` calls.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut s = self.0.lock();
            s.0.extend_from_slice(buf);
            s.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().0.clone()).unwrap()
        }
        fn writes(&self) -> usize {
            self.0.lock().1
        }
    }

    fn log(lines: &LogLines, text: &str) {
        lines.make_writer().write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn lines_from_many_threads_all_arrive_whole_and_in_each_threads_order() {
        let sink = Sink::default();
        let (lines, guard) = LogLines::start(sink.clone()).unwrap();
        std::thread::scope(|s| {
            for t in 0..4 {
                let lines = &lines;
                s.spawn(move || {
                    for i in 0..5_000 {
                        log(lines, &format!("thread {t} line {i:05} {}\n", "x".repeat(100)));
                    }
                });
            }
        });
        drop(guard);
        let text = sink.text();
        assert_eq!(text.lines().count(), 20_000, "every line arrives, including the full buffer's");
        for t in 0..4 {
            let own: Vec<&str> = text.lines().filter(|l| l.starts_with(&format!("thread {t} "))).collect();
            assert_eq!(own.len(), 5_000);
            assert!(own.windows(2).all(|w| w[0] < w[1]), "thread {t}'s lines in the order it logged them");
        }
        assert!(text.lines().all(|l| l.len() == "thread 0 line 00000 ".len() + 100), "no line cut or mixed");
    }

    #[test]
    fn many_lines_at_once_make_few_writes() {
        let sink = Sink::default();
        let (lines, guard) = LogLines::start(sink.clone()).unwrap();
        for i in 0..1_000 {
            log(&lines, &format!("request {i} finished\n"));
        }
        drop(guard);
        assert_eq!(sink.text().lines().count(), 1_000);
        assert!(sink.writes() <= 10, "1,000 lines logged at once took {} writes", sink.writes());
    }

    #[test]
    fn a_single_line_is_written_soon_without_waiting_for_more() {
        let sink = Sink::default();
        let (lines, _guard) = LogLines::start(sink.clone()).unwrap();
        let started = Instant::now();
        log(&lines, "listening\n");
        while sink.text().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(5), "the line was not written");
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(sink.text(), "listening\n");
        assert!(started.elapsed() >= GATHER / 2, "waited for more lines first");
    }

    #[test]
    fn a_line_logged_after_closing_is_written_at_once() {
        let sink = Sink::default();
        let (lines, guard) = LogLines::start(sink.clone()).unwrap();
        log(&lines, "before\n");
        drop(guard);
        log(&lines, "after\n");
        assert_eq!(sink.text(), "before\nafter\n");
    }
}
