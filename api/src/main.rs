//! The `planner` binary: parse the command line, load the configuration, run.

use std::process::ExitCode;

use clap::Parser as _;

#[tokio::main]
async fn main() -> ExitCode {
    api::install_crypto_provider();
    let cli = api::cli::Cli::parse();
    let config = match api::config::Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("planner: {e}");
            return ExitCode::from(2);
        }
    };
    api::telemetry::init(config.log_format);
    api::cli::run(cli, config).await
}
