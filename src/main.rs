//! The `skopio` binary: parses the command line, starts logging, and hands over to `cli`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = skopio::cli::Cli::parse();
    let default_level = match cli.command {
        skopio::cli::Command::Serve { .. } => "info",
        _ => "warn",
    };
    skopio::logging::init(default_level);
    skopio::cli::run(cli)
}
