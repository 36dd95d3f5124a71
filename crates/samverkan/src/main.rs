//! `samverkan`: serves any subset of the Samverkan services, migrates the
//! database, loads demo data, mints development tokens and verifies the
//! audit trail.

mod bench_cmd;
mod cli;
mod client;
mod common;
mod health_cmd;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("samverkan: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("samverkan: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
