//! An advertiser's markup, sanitised with `ammonia` (an HTML5 parser and an
//! allow-list) before it is ever stored or served: text formatting and
//! images only — no script, no style, no event handler, no form, no frame,
//! and no link of its own (the slot itself links through
//! `/ad/click/{token}`, so every click is counted and none is redirected
//! anywhere the declaration does not name).

use std::collections::HashSet;

/// Markup that went through [`sanitise`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanitisedHtml(String);

impl SanitisedHtml {
    /// The markup.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The tags a creative may use.
const TAGS: &[&str] = &["p", "br", "b", "strong", "i", "em", "small", "span", "h3", "h4", "ul", "li", "img"];

/// `html` with everything outside the allow-list removed: disallowed tags
/// are unwrapped (their text stays) except `script` and `style`, whose
/// content goes too; attributes other than an image's `src` (an `https:` or
/// site-relative URL), `alt`, `width` and `height` go.
pub fn sanitise(html: &str) -> SanitisedHtml {
    let tags: HashSet<&str> = TAGS.iter().copied().collect();
    let schemes: HashSet<&str> = ["https"].into_iter().collect();
    let clean = ammonia::Builder::empty()
        .tags(tags)
        .add_tag_attributes("img", ["src", "alt", "width", "height"])
        .url_schemes(schemes)
        .url_relative(ammonia::UrlRelative::PassThrough)
        .clean(html)
        .to_string();
    SanitisedHtml(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_styles_and_links_go() {
        let dirty = "<div style=\"position:fixed\"><script>alert(1)</script><b onmouseover=\"x()\">Big</b> \
                     <a href=\"https://tracker.example/\">sale</a><iframe src=\"https://x.example\"></iframe>\
                     <img src=\"javascript:alert(1)\" alt=\"a\"><img src=\"https://cdn.example/b.png\" alt=\"Bike\" \
                     onerror=\"x()\"></div>";
        let clean = sanitise(dirty);
        let text = clean.as_str();
        for banned in ["script", "alert", "style", "onmouseover", "onerror", "href", "iframe", "javascript", "div"] {
            assert!(!text.contains(banned), "{banned} left in {text}");
        }
        assert!(text.contains("<b>Big</b>"), "{text}");
        assert!(text.contains("sale"), "a link's text stays: {text}");
        assert!(text.contains("<img src=\"https://cdn.example/b.png\" alt=\"Bike\">"), "{text}");
    }

    #[test]
    fn a_site_relative_image_stays() {
        assert_eq!(sanitise("<img src=\"/ads/b.png\" alt=\"B\">").as_str(), "<img src=\"/ads/b.png\" alt=\"B\">");
    }
}
