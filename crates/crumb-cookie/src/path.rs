//! Cookie paths, RFC 6265bis §5.1.4.

/// The default-path of a request-uri's path (§5.1.4 steps 1–4).
pub fn default_path(uri_path: &str) -> &str {
    // §5.1.4 step 2: empty or not starting with '/' → "/".
    if !uri_path.starts_with('/') {
        return "/";
    }
    // §5.1.4 steps 3–4: up to, not including, the right-most '/'; "/" if that is the first one.
    match uri_path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &uri_path[..i],
    }
}

/// Path matching (§5.1.4): `cookie_path` is `request_path`, or a prefix of it
/// that ends in '/' or is followed in `request_path` by '/'.
pub fn path_match(request_path: &str, cookie_path: &str) -> bool {
    if request_path == cookie_path {
        return true;
    }
    request_path.starts_with(cookie_path)
        && (cookie_path.ends_with('/') || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_5_1_4() {
        assert_eq!(default_path(""), "/");
        assert_eq!(default_path("x"), "/");
        assert_eq!(default_path("/"), "/");
        assert_eq!(default_path("/cookie-parser"), "/");
        assert_eq!(default_path("/a/b"), "/a");
        assert_eq!(default_path("/a/b/"), "/a/b");
    }

    #[test]
    fn path_match_5_1_4() {
        assert!(path_match("/a/b", "/a/b"));
        assert!(path_match("/a/b", "/a"));
        assert!(path_match("/a/b", "/a/"));
        assert!(path_match("/a/b", "/"));
        assert!(!path_match("/ab", "/a"));
        assert!(!path_match("/a", "/a/"));
    }
}
