//! The shape of crumb's own middleware: a tower service that calls the
//! service it wraps directly.
//!
//! axum's `from_fn` hands a middleware a `Next` that owns the rest of the
//! stack, so every request clones the whole inner stack and boxes it, once
//! per layer: with crumb's nine layers that was dozens of clones a request
//! (`docs/benchmarks.md`, `/api/ad`). A [`Middleware`] instead looks at the
//! request, passes it on through `run` (which calls the inner service at
//! once, so nothing is cloned), and finishes the response in one boxed
//! future. One that answers in the request's place does not call `run`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};

/// The response a middleware answers with, to come.
pub type Answer = Pin<Box<dyn Future<Output = Response> + Send>>;

/// One of crumb's middlewares.
pub trait Middleware: Clone + Send + Sync + 'static {
    /// Answers `request`. `run` passes a request on to the wrapped service
    /// and gives its response to come; it is called at most once, and
    /// synchronously: what must be in place while the inner services run
    /// (a task-local) must be in place around the call too.
    fn call<F>(&self, request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static;
}

/// The layer that puts middleware `M` around a service.
#[derive(Clone, Debug)]
pub struct AroundLayer<M>(pub M);

impl<M: Clone, S> tower::Layer<S> for AroundLayer<M> {
    type Service = Around<M, S>;

    fn layer(&self, inner: S) -> Around<M, S> {
        Around { middleware: self.0.clone(), inner }
    }
}

/// Middleware `M` around service `S`.
#[derive(Clone, Debug)]
pub struct Around<M, S> {
    middleware: M,
    inner: S,
}

impl<M, S> tower::Service<Request> for Around<M, S>
where
    M: Middleware,
    S: tower::Service<Request, Error = Infallible>,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AroundFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> AroundFuture {
        let inner = &mut self.inner;
        AroundFuture(self.middleware.call(request, |request| {
            let response = inner.call(request);
            async move {
                match response.await {
                    Ok(response) => response.into_response(),
                    Err(never) => match never {},
                }
            }
        }))
    }
}

/// [`Around`]'s response to come.
pub struct AroundFuture(Answer);

impl Future for AroundFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx).map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{HeaderValue, StatusCode};
    use tower::{ServiceBuilder, ServiceExt};

    /// Marks the request before and the response after; refuses `/no`.
    #[derive(Clone)]
    struct Mark;

    impl Middleware for Mark {
        fn call<F>(&self, mut request: Request, run: impl FnOnce(Request) -> F) -> Answer
        where
            F: Future<Output = Response> + Send + 'static,
        {
            if request.uri().path() == "/no" {
                return Box::pin(async { StatusCode::FORBIDDEN.into_response() });
            }
            request.headers_mut().insert("x-before", HeaderValue::from_static("1"));
            let response = run(request);
            Box::pin(async move {
                let mut response = response.await;
                response.headers_mut().insert("x-after", HeaderValue::from_static("1"));
                response
            })
        }
    }

    async fn answer(path: &str) -> Response {
        let inner = tower::service_fn(|request: Request| async move {
            let before = request.headers().contains_key("x-before");
            Ok::<_, Infallible>(if before { StatusCode::OK } else { StatusCode::BAD_REQUEST })
        });
        let service = ServiceBuilder::new().layer(AroundLayer(Mark)).service(inner);
        let request = Request::builder().uri(path).body(Body::empty()).expect("a request");
        service.oneshot(request).await.expect("infallible")
    }

    #[tokio::test]
    async fn the_request_is_seen_before_and_the_response_after() {
        let response = answer("/yes").await;
        assert_eq!(response.status(), StatusCode::OK, "the inner service saw the mark");
        assert!(response.headers().contains_key("x-after"));
    }

    #[tokio::test]
    async fn a_middleware_may_answer_in_the_requests_place() {
        let response = answer("/no").await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(!response.headers().contains_key("x-after"));
    }
}
