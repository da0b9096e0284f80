//! The language a request asks for with `?lang=`, at hand for the whole
//! request: a layer around crumb's routes keeps it, so that every page —
//! the account page answering a failed form post, the problem page made by
//! `pages::negotiate`, the dashboard — is in the language the reader chose
//! ([`crate::consent::language_for`] takes it first), and the redirects
//! after a form keep it in the URL.

use std::future::Future;
use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;

use crate::around::{Answer, Middleware};

tokio::task_local! {
    /// The request's `?lang=`, when it has one.
    static ASKED: Arc<str>;
}

/// The middleware: the request runs with its `?lang=` at hand.
#[derive(Clone, Copy, Debug)]
pub struct Scope;

impl Middleware for Scope {
    fn call<F>(&self, request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static,
    {
        match lang_of_query(request.uri().query()) {
            Some(asked) => {
                let asked: Arc<str> = Arc::from(asked.as_str());
                let response = ASKED.sync_scope(Arc::clone(&asked), || run(request));
                Box::pin(ASKED.scope(asked, response))
            }
            None => Box::pin(run(request)),
        }
    }
}

/// The `lang` of a query string (`a=1&lang=de` → `de`).
fn lang_of_query(query: Option<&str>) -> Option<String> {
    // Asked of every request: most queries name no `lang`, and a name can
    // only decode to `lang` if it holds the text `lang` or an escape.
    let query = query.filter(|query| {
        query.split('&').any(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            name.contains("lang") || name.contains('%')
        })
    })?;
    url::form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "lang").map(|(_, value)| value.into_owned())
}

/// The `?lang=` of the request being answered, if it has one.
pub fn asked() -> Option<String> {
    ASKED.try_with(|asked| asked.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lang_of_a_query() {
        assert_eq!(lang_of_query(Some("notice=signed-out&lang=de")), Some("de".to_owned()));
        assert_eq!(lang_of_query(Some("lang=pl")), Some("pl".to_owned()));
        assert_eq!(lang_of_query(Some("language=pl")), None);
        assert_eq!(lang_of_query(None), None);
        assert_eq!(lang_of_query(Some("url=%2Flang%2Fx&slot=a")), None, "lang in a value only");
        assert_eq!(lang_of_query(Some("%6Cang=it")), Some("it".to_owned()), "an escaped name");
    }

    #[tokio::test]
    async fn asked_is_the_scoped_value_only_inside_the_request() {
        assert_eq!(asked(), None);
        let inside = ASKED.scope(Arc::from("fr"), async { asked() }).await;
        assert_eq!(inside, Some("fr".to_owned()));
    }
}
