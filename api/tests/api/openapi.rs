//! The OpenAPI document: served, browsable in Swagger UI, complete, and identical to `openapi.yaml`.

use reqwest::{Method, StatusCode};

use crate::helpers::{Backend, spawn_app};

/// The committed `openapi.yaml` is what the code generates. Regenerate with
/// `UPDATE_OPENAPI=1 cargo test -p api --test api openapi_yaml`.
#[test]
fn openapi_yaml_matches_the_code() {
    let generated = api::routes::openapi().to_yaml().expect("the document serialises");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("openapi.yaml written");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml is out of date: run `UPDATE_OPENAPI=1 cargo test -p api --test api openapi_yaml`"
    );
}

#[test]
fn every_operation_documents_its_errors_and_protected_ones_the_bearer_scheme() {
    let document = serde_json::to_value(api::routes::openapi()).unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let id = operation["operationId"].as_str().unwrap_or_default();
            let responses = operation["responses"].as_object().unwrap();
            let protected = operation.get("security").is_some();
            if path.starts_with("/api/v1") {
                assert!(
                    responses.keys().any(|status| status.starts_with('4')),
                    "{method} {path} documents no error"
                );
            }
            if protected {
                assert!(
                    responses.contains_key("401"),
                    "{id} is protected but does not document 401"
                );
            }
        }
    }
    assert!(operations >= 13, "{operations} operations");
}

/// Every request body and every JSON success response names a schema that carries an example.
#[test]
fn every_request_and_response_schema_has_an_example() {
    let document = serde_json::to_value(api::routes::openapi()).unwrap();
    let schemas = &document["components"]["schemas"];
    let mut missing = std::collections::BTreeSet::new();
    let mut check = |content: &serde_json::Value, what: String| {
        let Some(schema) = content.get("application/json").map(|c| &c["schema"]) else {
            return;
        };
        let reference = schema["$ref"].as_str().or_else(|| schema["oneOf"][0]["$ref"].as_str());
        match reference {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap();
                let component = &schemas[name];
                if component.get("example").is_none() && component.get("examples").is_none() {
                    missing.insert(format!("{name} ({what})"));
                }
            }
            None if schema.get("example").is_none() && schema.get("examples").is_none() => {
                missing.insert(what);
            }
            None => {}
        }
    };
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            check(&operation["requestBody"]["content"], format!("{method} {path} request"));
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('2') {
                    check(&response["content"], format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "schemas without an example: {missing:#?}");
}

#[tokio::test]
async fn swagger_ui_and_the_json_document_are_served() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.request(Method::GET, "/docs/", None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("swagger-ui"));
    let response = app
        .request(Method::GET, "/docs/swagger-initializer.js", None, None)
        .await;
    assert!(
        response.text().await.unwrap().contains("/api/openapi.json"),
        "Swagger UI loads our document"
    );
    let (status, served) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(served, serde_json::to_value(api::routes::openapi()).unwrap());
}
