//! Logging setup: `tracing` to standard error, level from `RUST_LOG` (default `info` for
//! the server). Panics are logged through the same channel, with their payload only at
//! debug level: a payload can quote the data being handled, and targets are personal
//! data that stay out of logs above debug.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(default_level: &str) {
    // The card renderer warns about characters its font lacks, quoting them: those are
    // the target's, so it speaks only of errors unless `RUST_LOG` asks for more.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default_level},usvg=error")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        let location = location.unwrap_or_else(|| "unknown".to_string());
        tracing::error!(%location, "a task panicked; it was contained");
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned());
        tracing::debug!(%location, payload = ?payload, "panic payload");
    }));
}
