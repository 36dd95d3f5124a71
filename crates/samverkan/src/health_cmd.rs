//! `samverkan health`: asks a running server's gRPC health service
//! (`grpc.health.v1.Health/Check`) whether it serves, and exits 0 when it
//! does and 1 otherwise. It exists for container health checks
//! (`HEALTHCHECK` in deploy/container/Dockerfile, `docker compose`), where
//! no gRPC client is installed in the image; Kubernetes probes the port
//! with its own native gRPC probe instead.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[derive(Args, Debug)]
pub struct HealthArgs {
    /// The server to ask, e.g. http://127.0.0.1:50051.
    #[arg(
        long,
        env = "SAMVERKAN_HEALTH_ADDRESS",
        default_value = "http://127.0.0.1:50051"
    )]
    address: String,
    /// The gRPC service to ask about, e.g. samverkan.roles.v1.RolesService;
    /// empty asks about the server as a whole.
    #[arg(long, default_value = "")]
    service: String,
    /// Give up (and exit 1) after this many seconds.
    #[arg(long, default_value_t = 3)]
    timeout_secs: u64,
}

/// Exit 0 if the server answers SERVING, 1 for anything else, saying why
/// on stderr.
pub async fn run(args: HealthArgs) -> anyhow::Result<ExitCode> {
    let timeout = Duration::from_secs(args.timeout_secs.max(1));
    match tokio::time::timeout(timeout, check(&args.address, &args.service)).await {
        Ok(Ok(ServingStatus::Serving)) => {
            println!("SERVING");
            Ok(ExitCode::SUCCESS)
        }
        Ok(Ok(status)) => {
            eprintln!(
                "samverkan health: {} answers {}",
                args.address,
                status.as_str_name()
            );
            Ok(ExitCode::FAILURE)
        }
        Ok(Err(e)) => {
            eprintln!("samverkan health: {}: {e:#}", args.address);
            Ok(ExitCode::FAILURE)
        }
        Err(_) => {
            eprintln!(
                "samverkan health: {} did not answer within {} s",
                args.address,
                timeout.as_secs()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn check(address: &str, service: &str) -> anyhow::Result<ServingStatus> {
    let channel = tonic::transport::Endpoint::from_shared(address.to_owned())?
        .connect()
        .await?;
    let resp = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await?
        .into_inner();
    Ok(ServingStatus::try_from(resp.status).unwrap_or(ServingStatus::Unknown))
}
