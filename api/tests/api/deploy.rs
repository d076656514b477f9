//! The deployment files, checked by reading them (no Docker engine runs here): the compose file's services,
//! commands, ports and health checks, the image's stages and user, and `.env.example` naming exactly the variables
//! the configuration reads. The health checks' endpoint is then called on a real server.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, spawn_app};

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The compose file with its `<<: *anchor` merges applied, as Docker Compose reads it.
fn compose() -> Value {
    let mut yaml: yaml_serde::Value =
        yaml_serde::from_str(&repo_file("docker-compose.yml")).expect("docker-compose.yml is YAML");
    yaml.apply_merge().expect("merge keys resolve");
    serde_json::to_value(yaml).expect("plain data")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The variables a service sets, merged from its YAML anchors by the parser.
fn environment(service: &Value) -> Vec<String> {
    service["environment"]
        .as_object()
        .map(|env| env.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn compose_runs_postgres_mailpit_one_api_and_two_workers() {
    let compose = compose();
    let services = &compose["services"];
    let names: BTreeSet<&str> = services.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["api", "mailpit", "migrate", "postgres", "worker"])
    );

    let postgres = &services["postgres"];
    let image = postgres["image"].as_str().unwrap();
    let major = image.strip_prefix("postgres:").expect("the official image");
    assert!(
        major.split('.').next().unwrap().parse::<u32>().is_ok(),
        "a pinned major version: {image}"
    );
    assert!(
        strings(&postgres["volumes"])
            .iter()
            .any(|v| v.ends_with(":/var/lib/postgresql/data"))
    );
    assert!(
        strings(&postgres["healthcheck"]["test"])
            .join(" ")
            .contains("pg_isready")
    );
    assert!(compose["volumes"].as_object().unwrap().contains_key("postgres-data"));
    assert!(
        postgres["ports"].is_null(),
        "the database is reachable only on the compose network"
    );
    // One port for the app: only the API (8080) and Mailpit's development inbox (8025) are published.
    let published: BTreeSet<&str> = services
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, service)| !service["ports"].is_null())
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(published, BTreeSet::from(["api", "mailpit"]));

    let mailpit = &services["mailpit"];
    assert!(
        mailpit["image"].as_str().unwrap().starts_with("axllent/mailpit:v"),
        "a pinned Mailpit"
    );
    assert!(
        strings(&mailpit["ports"]).contains(&"8025:8025".to_owned()),
        "the web inbox"
    );

    let api = &services["api"];
    assert_eq!(strings(&api["command"]), ["serve", "--no-worker"]);
    assert_eq!(strings(&api["ports"]), ["8080:8080"]);
    assert_eq!(api["environment"]["PLANNER_ADDR"], "0.0.0.0:8080");
    let health = strings(&api["healthcheck"]["test"]).join(" ");
    assert!(health.contains("http://127.0.0.1:8080/readyz"), "{health}");

    let worker = &services["worker"];
    assert_eq!(strings(&worker["command"]), ["worker"]);
    assert_eq!(worker["deploy"]["replicas"], 2);
    // A worker opens no API port: its health check asks the metrics address it is given.
    let metrics_addr = worker["environment"]["WORKER_METRICS_ADDR"].as_str().unwrap();
    let metrics_port = metrics_addr.rsplit(':').next().unwrap();
    let health = strings(&worker["healthcheck"]["test"]).join(" ");
    assert!(
        health.contains(&format!("http://127.0.0.1:{metrics_port}/healthz")),
        "{health}"
    );
    assert!(worker["ports"].is_null(), "worker metrics stay on the compose network");
    let migrate = &services["migrate"];
    assert_eq!(strings(&migrate["command"]), ["migrate"]);
    assert_eq!(
        migrate["healthcheck"]["disable"], true,
        "a one-shot migration is not judged by the API's health check"
    );
    for name in ["api", "worker"] {
        assert_eq!(
            services[name]["depends_on"]["migrate"]["condition"], "service_completed_successfully",
            "{name} starts after the migrations"
        );
    }
    for service in [api, worker, migrate] {
        assert_eq!(service["image"], "all-in-one-planner:latest");
        assert_eq!(service["build"], ".", "built here, never pulled from a registry");
        assert_eq!(service["env_file"], ".env");
        let url = service["environment"]["DATABASE_URL"].as_str().unwrap();
        assert!(
            url.starts_with("postgres://planner:") && url.ends_with("@postgres:5432/planner"),
            "{url}"
        );
        assert_eq!(
            service["environment"]["SMTP_URL"], "${SMTP_URL:-smtp://mailpit:1025}",
            "Mailpit unless .env names a mail server"
        );
        assert_eq!(
            service["environment"]["WEB_DIR"], "/app/web",
            "where the image keeps the browser app"
        );
    }
}

#[test]
fn every_variable_compose_sets_is_one_the_app_reads() {
    let compose = compose();
    let known: BTreeSet<&str> = api::config::VARIABLES.iter().copied().collect();
    for name in ["api", "worker", "migrate"] {
        for variable in environment(&compose["services"][name]) {
            assert!(
                known.contains(variable.as_str()),
                "{name} sets {variable}, which the app does not read"
            );
        }
    }
}

#[test]
fn env_example_lists_every_variable_and_nothing_else() {
    let example = repo_file(".env.example");
    let listed: BTreeSet<String> = example
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim().to_owned()))
        .collect();
    let mut expected: BTreeSet<String> = api::config::VARIABLES.iter().map(|v| (*v).to_owned()).collect();
    // Compose's own: the database password it gives PostgreSQL and builds DATABASE_URL from.
    expected.insert("POSTGRES_PASSWORD".to_owned());
    assert_eq!(listed, expected);
}

#[test]
fn the_image_builds_the_app_and_the_binary_and_runs_unprivileged() {
    let dockerfile = repo_file("Dockerfile");
    let stages: Vec<&str> = dockerfile.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage: {stages:?}");
    assert!(stages[1].contains("-slim"), "a small runtime base: {}", stages[1]);
    let runtime = &dockerfile[dockerfile.find(stages[1]).unwrap()..];
    let build = &dockerfile[..dockerfile.find(stages[1]).unwrap()];
    assert!(build.contains("trunk build --release"), "the browser app is built");
    assert!(build.contains("cargo build --release --locked -p api --bin planner"));
    // The tool versions are the ones the local build uses.
    let lock = repo_file("Cargo.lock");
    let bindgen = lock
        .split("name = \"wasm-bindgen\"\nversion = \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(build.contains(&format!("wasm-bindgen-cli --version {bindgen}")));
    let build_web = repo_file("scripts/build-web");
    let trunk = build_web
        .split("TRUNK_VERSION=")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(build.contains(&format!("trunk --locked --version {trunk}")));

    let user = runtime
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(user != "root" && user != "0", "runs as {user}");
    assert!(runtime.contains("useradd --system"));
    assert!(runtime.contains("COPY --from=build /src/target/release/planner /usr/local/bin/planner"));
    assert!(runtime.contains("COPY --from=build /src/frontend/dist /app/web"));
    assert!(runtime.contains("WEB_DIR=/app/web"));
    assert!(runtime.contains("PLANNER_ADDR=0.0.0.0:8080"));
    assert!(runtime.contains("EXPOSE 8080"));
    assert!(runtime.contains(r#"ENTRYPOINT ["planner"]"#) && runtime.contains(r#"CMD ["serve"]"#));
    assert!(runtime.contains("http://127.0.0.1:8080/readyz"));
    // Every variable the image sets is one the app reads.
    let env_block: String = runtime
        .split("\nENV ")
        .nth(1)
        .expect("an ENV instruction")
        .lines()
        .take_while(|line| !line.trim().is_empty() && !line.starts_with("USER"))
        .collect::<Vec<_>>()
        .join(" ");
    for assignment in env_block.split_whitespace().filter(|word| word.contains('=')) {
        let name = assignment.split('=').next().unwrap();
        assert!(
            api::config::VARIABLES.contains(&name),
            "the image sets {name}, which the app does not read"
        );
    }
}

#[test]
fn health_checks_use_a_tool_the_image_installs() {
    let dockerfile = repo_file("Dockerfile");
    let runtime = &dockerfile[dockerfile.rfind("\nFROM ").unwrap()..];
    let installed: Vec<&str> = runtime
        .split("apt-get install")
        .nth(1)
        .expect("the runtime installs packages")
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .filter(|word| !word.starts_with('-') && *word != "&&" && *word != "\\")
        .collect();
    let compose = compose();
    let mut tools = vec![
        runtime
            .lines()
            .find_map(|l| l.strip_prefix("HEALTHCHECK"))
            .and_then(|l| l.split("CMD [\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned(),
    ];
    for name in ["api", "worker"] {
        let test = strings(&compose["services"][name]["healthcheck"]["test"]);
        assert_eq!(test[0], "CMD");
        tools.push(test[1].clone());
    }
    for tool in tools {
        assert!(
            installed.contains(&tool.as_str()),
            "{tool} is not installed in the image: {installed:?}"
        );
    }
}

#[test]
fn the_build_context_leaves_out_build_output_local_data_and_secrets() {
    let ignored: BTreeSet<String> = repo_file(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    for entry in [
        ".env",
        "data",
        "target",
        "**/node_modules",
        "frontend/dist",
        "fuzz/target",
        "e2e/.venv",
        ".git",
    ] {
        assert!(
            ignored.contains(entry),
            "{entry} is sent to the image build: {ignored:?}"
        );
    }
    // What the build needs stays in the context.
    for needed in ["Cargo.lock", "api", "frontend", "migration", ".env.example"] {
        assert!(!ignored.contains(needed), "{needed} must reach the build");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_check_endpoint_answers() {
    let app = spawn_app(Backend::Postgres).await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
