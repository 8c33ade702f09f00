//! A terminal progress bar (indicatif) fed from a load's `Progress`, drawn only on a terminal.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use floe_io::Progress;

pub struct ProgressBar {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressBar {
    /// Starts redrawing from `progress` every 100 ms, if stderr is a terminal.
    pub fn start(name: &str, progress: Arc<Progress>) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Self { done, thread: None };
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} rows ({elapsed})") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name.to_owned());
        let thread_done = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            loop {
                let snapshot = progress.snapshot();
                bar.set_length(snapshot.rows_total);
                bar.set_position(snapshot.rows_loaded + snapshot.rows_skipped + snapshot.rows_filtered);
                if thread_done.load(Ordering::Relaxed) {
                    bar.finish_and_clear();
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Self { done, thread: Some(thread) }
    }

    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // A panicked redraw thread only loses the bar; the load result stands.
            let _ = thread.join();
        }
    }
}

/// A bar counting items (granules, files) with the bytes read so far, on a terminal only (hidden otherwise).
pub fn counter(total: u64, unit: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    let template = format!("{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{prefix}} read ({{elapsed}})");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}
