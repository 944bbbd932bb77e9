//! The download progress bar of a `--template` URL, drawn on stderr with indicatif while the
//! library reports the bytes (`DownloadProgress`), as pip and uv show theirs.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scaffold::template::DownloadProgress;

/// A bar for a download when someone watches: stderr is a terminal and the verbosity is not 0.
/// Elsewhere nothing at all, so that output off a terminal stays what django-admin prints.
pub fn download_bar(verbosity: u8) -> Option<Arc<dyn DownloadProgress>> {
    (verbosity >= 1 && std::io::stderr().is_terminal())
        .then(|| Arc::new(DownloadBar(ProgressBar::hidden())) as Arc<dyn DownloadProgress>)
}

/// Hidden until the server answers; cleared when the download ends, leaving the terminal to
/// the summary that follows.
#[derive(Debug)]
struct DownloadBar(ProgressBar);

impl DownloadProgress for DownloadBar {
    fn started(&self, total: Option<u64>) {
        let bar = &self.0;
        let style = match total {
            // pip's look: the bar, bytes of total, the rate, what is left.
            Some(total) => {
                bar.set_length(total);
                ProgressStyle::with_template(
                    "Downloading {bar:30} {decimal_bytes}/{decimal_total_bytes} \
                     {decimal_bytes_per_sec} eta {eta}",
                )
                .map(|s| s.progress_chars("━╸ "))
            }
            // No Content-Length: bytes so far and the rate.
            None => ProgressStyle::with_template(
                "Downloading {spinner} {decimal_bytes} {decimal_bytes_per_sec}",
            ),
        };
        if let Ok(style) = style {
            bar.set_style(style);
        }
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(100));
    }

    fn advanced(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn finished(&self) {
        self.0.finish_and_clear();
    }
}
