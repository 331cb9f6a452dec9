//! The status server's routes: the page and the JSON API, all read-only.
//! A middleware answers every method other than GET and HEAD with 405
//! before routing, so nothing can be triggered whatever the path, and
//! adds headers that keep browsers from caching, sniffing, framing the
//! page or running scripts in it.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;

use super::page;
use crate::cluster::StatusBoard;

/// Every route, behind the read-only middleware.
pub(crate) fn router(board: StatusBoard) -> Router {
    Router::new()
        .route("/", get(status_page))
        .route("/api/status", get(api_status))
        .route("/api/framework", get(api_framework))
        .route("/api/jobs", get(api_jobs))
        .route("/api/jobs/{job_id}", get(api_job))
        .route("/api/agents", get(api_agents))
        .route("/api/leases", get(api_leases))
        .fallback(not_found)
        .with_state(board)
        .layer(middleware::from_fn(read_only))
}

/// 405 for anything but GET and HEAD; safety headers on every answer.
async fn read_only(request: Request, next: Next) -> Response {
    let mut response = if matches!(*request.method(), Method::GET | Method::HEAD) {
        next.run(request).await
    } else {
        tracing::debug!(method = %request.method(), path = request.uri().path(), "status page: method not allowed");
        let mut refused = (
            StatusCode::METHOD_NOT_ALLOWED,
            "the status page is read-only: only GET and HEAD are allowed\n",
        )
            .into_response();
        refused
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        refused
    };
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'",
        ),
    );
    response
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn status_page(State(board): State<StatusBoard>) -> Html<String> {
    Html(page::render(&board.snapshot(), now_ms()))
}

async fn api_status(State(board): State<StatusBoard>) -> Response {
    Json(board.snapshot()).into_response()
}

async fn api_framework(State(board): State<StatusBoard>) -> Response {
    Json(board.snapshot().framework).into_response()
}

async fn api_jobs(State(board): State<StatusBoard>) -> Response {
    Json(board.snapshot().jobs).into_response()
}

async fn api_job(State(board): State<StatusBoard>, Path(job_id): Path<String>) -> Response {
    let jobs = board.snapshot().jobs;
    // The latest run of a job id wins.
    match jobs.into_iter().rev().find(|job| job.id == job_id) {
        Some(job) => Json(job).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("no job '{job_id}' on this status page") })),
        )
            .into_response(),
    }
}

async fn api_leases(State(board): State<StatusBoard>) -> Response {
    Json(board.snapshot().leases).into_response()
}

async fn api_agents(State(board): State<StatusBoard>) -> Response {
    Json(board.snapshot().agents).into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}
