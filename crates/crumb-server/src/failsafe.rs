//! What ends a request that goes wrong inside crumb: a deadline (503
//! `timed-out` once `server.request_timeout_seconds` have passed) and a
//! panic (caught, logged, answered 500 `internal-error`). Both answers are
//! RFC 9457 problems like every other fault; the process keeps serving.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};

use crate::around::{Answer, Middleware};

use crate::problem::{Problem, ProblemKind};

/// The middleware: the request's handler, or a problem when the deadline
/// (`server.request_timeout_seconds`) passes first.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub Duration);

impl Middleware for Deadline {
    fn call<F>(&self, request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let limit = self.0;
        let response = tokio::time::timeout(limit, run(request));
        Box::pin(async move {
            match response.await {
                Ok(response) => response,
                Err(_) => {
                    tracing::warn!(limit_ms = limit.as_millis(), "request stopped at its deadline");
                    Problem::of(ProblemKind::TimedOut, format!("the request took longer than {} s", limit.as_secs()))
                        .into_response()
                }
            }
        })
    }
}

/// For tower-http's `CatchPanicLayer`: the panic is logged (with the
/// request id, from the span) and the client gets a problem that says
/// nothing of crumb's internals.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request panicked");
    Problem::of(ProblemKind::InternalError, "crumb failed to handle this request; it is logged").into_response()
}
