#!/usr/bin/env python3
"""Generates chromium-scenarios.jsonl (RUNNER.md format) next to this file.

Run: python3 gen_chromium_scenarios.py > chromium-scenarios.jsonl

Every step is a top-level typed navigation. Hosts are made-up names under real public suffixes,
plus localhost and 127.0.0.1; everything is served from loopback by crumb-browser's server.
Hosts under github.io are HSTS-preloaded in Chromium, so they only appear with https.
No NUL bytes anywhere (Chromium drops the whole response) and no LF (it would split the header).
"""

import json
import sys

OUT = []
NAMES = set()


def step(url, *set_cookie, adv=0):
    s = {"url": url}
    if set_cookie:
        s["set_cookie"] = list(set_cookie)
    if adv:
        s["advance_seconds"] = adv
    return s


def sc(name, *steps):
    assert name not in NAMES, name
    assert "/" in name
    for s in steps:
        for v in s.get("set_cookie", []):
            assert "\0" not in v and "\n" not in v, name
    NAMES.add(name)
    OUT.append({"name": name, "steps": list(steps)})


def set_then(name, set_url, set_cookie, *check_urls):
    """Sets cookies at set_url, then navigates to each check URL."""
    if isinstance(set_cookie, str):
        set_cookie = [set_cookie]
    sc(name, step(set_url, *set_cookie), *[step(u) for u in check_urls])


W = "http://www.example.com"
WS = "https://www.example.com"

# ---------------------------------------------------------------- domain
checks = [W + "/", "http://example.com/", "http://sub.www.example.com/", "http://other.example.com/",
          "http://notexample.com/", "http://www.example.com.evil.com/"]
set_then("domain/host-only", W + "/", "a=1", *checks)
set_then("domain/domain-attr-parent", W + "/", "a=1; Domain=example.com", *checks)
set_then("domain/domain-attr-leading-dot", W + "/", "a=1; Domain=.example.com", *checks)
set_then("domain/domain-attr-two-leading-dots", W + "/", "a=1; Domain=..example.com", *checks)
set_then("domain/domain-attr-uppercase", W + "/", "a=1; Domain=EXAMPLE.COM", *checks)
set_then("domain/domain-attr-mixed-case-leading-dot", W + "/", "a=1; Domain=.ExAmPlE.cOm", *checks)
set_then("domain/domain-attr-equals-host", W + "/", "a=1; Domain=www.example.com", *checks)
set_then("domain/domain-attr-sibling", W + "/", "a=1; Domain=other.example.com", *checks)
set_then("domain/domain-attr-child-of-host", W + "/", "a=1; Domain=sub.www.example.com", *checks)
set_then("domain/domain-attr-not-label-boundary", W + "/", "a=1; Domain=ample.com", *checks)
set_then("domain/domain-attr-unrelated", W + "/", "a=1; Domain=notexample.com", *checks)
set_then("domain/domain-attr-public-suffix-com", W + "/", "a=1; Domain=com", *checks)
set_then("domain/domain-attr-public-suffix-dot-com", W + "/", "a=1; Domain=.com", *checks)
set_then("domain/domain-attr-empty", W + "/", "a=1; Domain=", *checks)
set_then("domain/domain-attr-dot-only", W + "/", "a=1; Domain=.", *checks)
set_then("domain/domain-attr-trailing-dot", W + "/", "a=1; Domain=example.com.", *checks)
set_then("domain/domain-attr-with-port", W + "/", "a=1; Domain=example.com:80", *checks)
set_then("domain/domain-attr-spaces", W + "/", "a=1; Domain= example.com ", *checks)
set_then("domain/domain-attr-duplicate-last-wins", W + "/", "a=1; Domain=other.org; Domain=example.com", *checks)
set_then("domain/domain-attr-duplicate-last-bad", W + "/", "a=1; Domain=example.com; Domain=other.org", *checks)
set_then("domain/domain-attr-uppercase-name", W + "/", "a=1; DOMAIN=example.com", *checks)
set_then("domain/uppercase-host-in-url", "http://WWW.EXAMPLE.COM/", "a=1", W + "/", "http://example.com/")
set_then("domain/set-on-parent-domain-attr", "http://example.com/", "a=1; Domain=example.com",
         "http://example.com/", W + "/", "http://a.b.example.com/")
set_then("domain/set-on-parent-host-only", "http://example.com/", "a=1",
         "http://example.com/", W + "/")
set_then("domain/parent-sets-child-domain", "http://example.com/", "a=1; Domain=www.example.com",
         "http://example.com/", W + "/")
set_then("domain/deep-child-sets-grandparent", "http://a.b.c.example.com/", "a=1; Domain=b.c.example.com",
         "http://b.c.example.com/", "http://x.c.example.com/", "http://z.b.c.example.com/", "http://a.b.c.example.com/")
cuk = ["http://a.b.example.co.uk/", "http://b.example.co.uk/", "http://example.co.uk/",
       "http://other.example.co.uk/", "http://other.co.uk/"]
set_then("domain/co-uk-host-only", "http://a.b.example.co.uk/", "a=1", *cuk)
set_then("domain/co-uk-registrable", "http://a.b.example.co.uk/", "a=1; Domain=example.co.uk", *cuk)
set_then("domain/co-uk-intermediate", "http://a.b.example.co.uk/", "a=1; Domain=b.example.co.uk", *cuk)
set_then("domain/co-uk-public-suffix", "http://a.b.example.co.uk/", "a=1; Domain=co.uk", *cuk)
set_then("domain/co-uk-tld", "http://a.b.example.co.uk/", "a=1; Domain=uk", *cuk)
set_then("domain/co-uk-suffix-equals-host", "http://co.uk/", "a=1; Domain=co.uk",
         "http://co.uk/", "http://example.co.uk/")
set_then("domain/co-uk-suffix-host-only", "http://co.uk/", "a=1", "http://co.uk/", "http://example.co.uk/")
gh = ["https://foo.github.io/", "https://bar.foo.github.io/", "https://github.io/", "https://other.github.io/"]
set_then("domain/github-io-host-only", "https://foo.github.io/", "a=1", *gh)
set_then("domain/github-io-private-suffix", "https://foo.github.io/", "a=1; Domain=github.io", *gh)
set_then("domain/github-io-own-registrable", "https://foo.github.io/", "a=1; Domain=foo.github.io", *gh)
set_then("domain/github-io-child-sets-registrable", "https://bar.foo.github.io/", "a=1; Domain=foo.github.io", *gh)
set_then("domain/github-io-suffix-equals-host", "https://github.io/", "a=1; Domain=github.io", *gh)
ip = ["http://127.0.0.1/", "http://localhost/", "http://0.0.1/", "https://127.0.0.1/"]
set_then("domain/ip-host-only", "http://127.0.0.1/", "a=1", *ip)
set_then("domain/ip-domain-equals-host", "http://127.0.0.1/", "a=1; Domain=127.0.0.1", *ip)
set_then("domain/ip-domain-suffix", "http://127.0.0.1/", "a=1; Domain=0.0.1", *ip)
set_then("domain/ip-domain-leading-dot", "http://127.0.0.1/", "a=1; Domain=.127.0.0.1", *ip)
set_then("domain/localhost-host-only", "http://localhost/", "a=1", "http://localhost/", "http://sub.localhost/")
set_then("domain/localhost-domain-attr", "http://localhost/", "a=1; Domain=localhost",
         "http://localhost/", "http://sub.localhost/")
set_then("domain/sub-localhost-domain-localhost", "http://sub.localhost/", "a=1; Domain=localhost",
         "http://localhost/", "http://sub.localhost/")
set_then("domain/non-ascii-host-url", "http://www.exämple.com/", "a=1",
         "http://www.exämple.com/", "http://www.xn--exmple-cua.com/")
set_then("domain/non-ascii-domain-attr", "http://www.exämple.com/", "a=1; Domain=exämple.com",
         "http://www.exämple.com/", "http://exämple.com/", "http://other.xn--exmple-cua.com/")
set_then("domain/punycode-domain-attr-for-unicode-host", "http://www.exämple.com/", "a=1; Domain=xn--exmple-cua.com",
         "http://www.exämple.com/", "http://exämple.com/")
set_then("domain/non-ascii-domain-attr-ascii-host", W + "/", "a=1; Domain=exämple.com", W + "/", "http://exämple.com/")
set_then("domain/trailing-dot-host", "http://www.example.com./", "a=1",
         "http://www.example.com./", W + "/")
set_then("domain/domain-and-host-only-same-name", W + "/", ["a=1", "a=2; Domain=example.com"],
         W + "/", "http://example.com/")

# ---------------------------------------------------------------- tld
# Hosts under top-level domains the public-suffix list does not name: its default rule `*` makes
# the last label the public suffix, so `example.test` is a site like `example.com`. Single-label
# hosts have no site at all.
UNLISTED = [("test", "example.test"), ("wpt", "web-platform.test"), ("localhost", "myapp.localhost"),
            ("internal", "corp.internal"), ("local", "home.local"), ("example", "shop.example"),
            ("invalid", "app.invalid"), ("madeup", "site.madeuptld")]
for label, reg in UNLISTED:
    tld = reg.rsplit(".", 1)[1]
    www = "http://www." + reg
    checks_u = [www + "/", "http://" + reg + "/", "http://sub.www." + reg + "/", "http://other." + reg + "/",
                "http://other" + reg + "/"]
    set_then(f"tld/{label}-host-only", www + "/", "a=1", *checks_u)
    set_then(f"tld/{label}-domain-registrable", www + "/", "a=1; domain=" + reg, *checks_u)
    set_then(f"tld/{label}-domain-leading-dot", www + "/", "a=1; Domain=." + reg, *checks_u)
    set_then(f"tld/{label}-domain-equals-host", www + "/", "a=1; Domain=www." + reg, *checks_u)
    set_then(f"tld/{label}-domain-tld", www + "/", "a=1; Domain=" + tld, *checks_u)
    set_then(f"tld/{label}-domain-sibling", www + "/", "a=1; Domain=other." + reg, *checks_u)
    sc(f"tld/{label}-host-only-then-domain-ordering", step(www + "/", "h=1", "d=1; Domain=" + reg),
       step("http://" + reg + "/", "p=1", "q=1; Domain=" + reg), step(www + "/"), step("http://" + reg + "/"))
for label, reg in UNLISTED[:3]:
    www = "https://www." + reg
    set_then(f"tld/{label}-https-domain-secure", www + "/", ["s=1; Domain=" + reg + "; Secure", "h=1; Secure"],
             www + "/", "https://" + reg + "/", "http://" + reg + "/", "https://x." + reg + "/")
    set_then(f"tld/{label}-https-host-prefix", www + "/", ["__Host-a=1; Secure; Path=/",
                                                           "__Host-b=1; Secure; Path=/; Domain=" + reg],
             www + "/", "https://" + reg + "/")
sc("tld/wpt-domain-equals-host-deep", step("http://www.web-platform.test/", "a=1; Domain=www.web-platform.test"),
   step("http://a.www.web-platform.test/"), step("http://web-platform.test/"))
sc("tld/same-name-host-only-and-domain", step("http://www.example.test/", "a=host", "a=dom; Domain=example.test"),
   step("http://www.example.test/"), step("http://example.test/"))
sc("tld/set-on-registrable-itself", step("http://example.test/", "a=1; Domain=example.test", "b=1"),
   step("http://example.test/"), step("http://www.example.test/"))
sc("tld/localhost-parent-from-sub", step("http://api.myapp.localhost/", "a=1; Domain=myapp.localhost"),
   step("http://myapp.localhost/"), step("http://localhost/"), step("http://web.myapp.localhost/"))
sc("tld/trailing-dot-host", step("http://www.example.test./", "a=1", "b=1; Domain=example.test."),
   step("http://www.example.test./"), step("http://example.test./"), step("http://www.example.test/"))
for host in ["intranet", "router"]:
    hchecks = ["http://" + host + "/", "http://sub." + host + "/"]
    set_then(f"tld/single-label-{host}-host-only", "http://" + host + "/", "a=1", *hchecks)
    set_then(f"tld/single-label-{host}-domain-equals-host", "http://" + host + "/", "a=1; Domain=" + host, *hchecks)
    set_then(f"tld/single-label-{host}-domain-leading-dot", "http://" + host + "/", "a=1; Domain=." + host, *hchecks)
set_then("tld/single-label-sub-sets-parent", "http://sub.intranet/", "a=1; Domain=intranet",
         "http://intranet/", "http://sub.intranet/", "http://x.intranet/")
set_then("tld/ipv4-domain-equals-host", "http://127.0.0.1/", ["a=1; Domain=127.0.0.1", "b=1; Domain=.127.0.0.1"],
         "http://127.0.0.1/")
set_then("tld/ipv6-host-only", "http://[::1]/", ["a=1", "b=1; Domain=[::1]", "c=1; Domain=::1"], "http://[::1]/")

# ---------------------------------------------------------------- path
pchecks = lambda base: [base + p for p in ["/", "/a", "/a/", "/a/b", "/a/b/", "/a/bc", "/a/b/c", "/a/b/c/d", "/ab", "/A/b/"]]
set_then("path/default-path-deep", W + "/a/b/c", "x=1", *pchecks(W))
set_then("path/default-path-trailing-slash", W + "/a/b/", "x=1", *pchecks(W))
set_then("path/default-path-single-segment", W + "/a", "x=1", *pchecks(W))
set_then("path/default-path-root", W + "/", "x=1", *pchecks(W))
set_then("path/default-path-no-path-in-url", W, "x=1", *pchecks(W))
set_then("path/default-path-ignores-query", W + "/a/b?q=/c/d", "x=1", *pchecks(W))
set_then("path/default-path-ignores-fragment", W + "/a/b#/c/d", "x=1", *pchecks(W))
set_then("path/attr-a", W + "/", "x=1; Path=/a", *pchecks(W))
set_then("path/attr-a-slash", W + "/", "x=1; Path=/a/", *pchecks(W))
set_then("path/attr-a-b", W + "/", "x=1; Path=/a/b", *pchecks(W))
set_then("path/attr-root", W + "/a/b/c", "x=1; Path=/", *pchecks(W))
set_then("path/attr-no-leading-slash", W + "/a/b/c", "x=1; Path=a", *pchecks(W))
set_then("path/attr-empty", W + "/a/b/c", "x=1; Path=", *pchecks(W))
set_then("path/attr-no-value", W + "/a/b/c", "x=1; Path", *pchecks(W))
set_then("path/attr-duplicate-last-wins", W + "/", "x=1; Path=/a/b; Path=/a", *pchecks(W))
set_then("path/attr-duplicate-last-empty", W + "/a/b/c", "x=1; Path=/a; Path=", *pchecks(W))
set_then("path/attr-uppercase-name", W + "/", "x=1; PATH=/a", *pchecks(W))
set_then("path/attr-spaces", W + "/", "x=1; Path = /a ", *pchecks(W))
set_then("path/attr-case-sensitive", W + "/", "x=1; Path=/A", *pchecks(W))
set_then("path/attr-double-slash", W + "/", "x=1; Path=//", W + "/", W + "//", W + "//a", W + "/a")
set_then("path/attr-with-query-char", W + "/", "x=1; Path=/a?b", W + "/a", W + "/a?b", W + "/a%3Fb")
set_then("path/attr-not-on-slash-boundary", W + "/", "x=1; Path=/ab", W + "/a", W + "/ab", W + "/abc", W + "/ab/c")
set_then("path/request-escape-vs-plain-attr", W + "/", "x=1; Path=/foo", W + "/foo", W + "/f%6Fo", W + "/f%6fo/", W + "/%66oo")
set_then("path/escaped-attr-vs-plain-request", W + "/", "x=1; Path=/f%6Fo", W + "/foo", W + "/f%6Fo", W + "/f%6fo")
set_then("path/default-path-from-escaped-url", W + "/f%6Fo/bar", "x=1", W + "/foo/", W + "/f%6Fo/", W + "/f%6fo/")
set_then("path/non-ascii-attr", W + "/", "x=1; Path=/é", W + "/é", W + "/%C3%A9", W + "/e")
set_then("path/non-ascii-default-path", W + "/é/x", "x=1", W + "/é/", W + "/%C3%A9/", W + "/%c3%a9/")
set_then("path/encoded-slash-default-path", W + "/a%2Fb/c", "x=1", W + "/a%2Fb/", W + "/a/b/", W + "/a%2fb/")
set_then("path/dot-segments-in-url", W + "/a/b/../c/d", "x=1", W + "/a/c/", W + "/a/b/", W + "/a/")
set_then("path/space-in-url-path", W + "/a b/c", "x=1", W + "/a%20b/", W + "/a b/")
set_then("path/attr-with-space", W + "/", "x=1; Path=/a b", W + "/a%20b", W + "/a b")
set_then("path/trailing-slash-cookie-vs-request-without", W + "/", "x=1; Path=/a/b/", W + "/a/b", W + "/a/b/")
sc("path/same-name-different-paths",
   step(W + "/", "x=root; Path=/", "x=a; Path=/a", "x=ab; Path=/a/b"),
   step(W + "/"), step(W + "/a/"), step(W + "/a/b/c"))
set_then("path/backslash-in-url", W + "/a\\b/c", "x=1", W + "/a/b/", W + "/a/")

# ---------------------------------------------------------------- expiry
sc("expiry/session-cookie-persists", step(W + "/", "a=1"), step(W + "/"), step(W + "/x"))
set_then("expiry/max-age-zero", W + "/", "a=1; Max-Age=0", W + "/")
set_then("expiry/max-age-negative", W + "/", "a=1; Max-Age=-1", W + "/")
set_then("expiry/max-age-very-negative", W + "/", "a=1; Max-Age=-99999999999", W + "/")
set_then("expiry/max-age-positive", W + "/", "a=1; Max-Age=3600", W + "/")
set_then("expiry/max-age-huge", W + "/", "a=1; Max-Age=99999999999999999999", W + "/")
set_then("expiry/max-age-plus-sign", W + "/", "a=1; Max-Age=+0", W + "/")
set_then("expiry/max-age-leading-zero", W + "/", "a=1; Max-Age=00", W + "/")
set_then("expiry/max-age-non-numeric", W + "/", "a=1; Max-Age=abc", W + "/")
set_then("expiry/max-age-fraction", W + "/", "a=1; Max-Age=0.5", W + "/")
set_then("expiry/max-age-empty", W + "/", "a=1; Max-Age=", W + "/")
set_then("expiry/max-age-spaces", W + "/", "a=1; Max-Age = 0 ", W + "/")
set_then("expiry/max-age-duplicate-last-wins-zero", W + "/", "a=1; Max-Age=100; Max-Age=0", W + "/")
set_then("expiry/max-age-duplicate-last-wins-positive", W + "/", "a=1; Max-Age=0; Max-Age=100", W + "/")
set_then("expiry/max-age-duplicate-last-invalid", W + "/", "a=1; Max-Age=0; Max-Age=x", W + "/")
sc("expiry/max-age-2-then-1s", step(W + "/", "a=1; Max-Age=3"), step(W + "/", adv=1))
sc("expiry/max-age-1-then-2s", step(W + "/", "a=1; Max-Age=1", "b=2"), step(W + "/", adv=2))
sc("expiry/max-age-2-survives-then-expires",
   step(W + "/", "a=1; Max-Age=2", "b=2; Max-Age=60"), step(W + "/", adv=1), step(W + "/", adv=2))
set_then("expiry/expires-past", W + "/", "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", W + "/")
set_then("expiry/expires-past-1994", W + "/", "a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT", W + "/")
set_then("expiry/expires-future", W + "/", "a=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT", W + "/")
set_then("expiry/expires-rfc850-past", W + "/", "a=1; Expires=Sunday, 06-Nov-94 08:49:37 GMT", W + "/")
set_then("expiry/expires-asctime-past", W + "/", "a=1; Expires=Sun Nov  6 08:49:37 1994", W + "/")
set_then("expiry/expires-two-digit-year-69-future", W + "/", "a=1; Expires=Wed, 01-Jan-69 00:00:00 GMT", W + "/")
set_then("expiry/expires-two-digit-year-70-past", W + "/", "a=1; Expires=Thu, 01-Jan-70 00:00:00 GMT", W + "/")
set_then("expiry/expires-no-gmt-past", W + "/", "a=1; Expires=Sun, 06 Nov 1994 08:49:37", W + "/")
set_then("expiry/expires-garbage", W + "/", "a=1; Expires=not a date", W + "/")
set_then("expiry/expires-empty", W + "/", "a=1; Expires=", W + "/")
set_then("expiry/expires-hour-25", W + "/", "a=1; Expires=Sun, 06 Nov 1994 25:49:37 GMT", W + "/")
set_then("expiry/expires-day-32", W + "/", "a=1; Expires=Sun, 32 Nov 1994 08:49:37 GMT", W + "/")
set_then("expiry/expires-year-1600", W + "/", "a=1; Expires=Sat, 01 Jan 1600 00:00:00 GMT", W + "/")
set_then("expiry/expires-year-1601", W + "/", "a=1; Expires=Mon, 01 Jan 1601 00:00:00 GMT", W + "/")
set_then("expiry/expires-no-weekday-past", W + "/", "a=1; Expires=06 Nov 1994 08:49:37 GMT", W + "/")
set_then("expiry/expires-wrong-weekday-past", W + "/", "a=1; Expires=Fri, 06 Nov 1994 08:49:37 GMT", W + "/")
set_then("expiry/expires-month-name-lowercase-past", W + "/", "a=1; Expires=sun, 06 nov 1994 08:49:37 gmt", W + "/")
set_then("expiry/expires-full-month-name-past", W + "/", "a=1; Expires=06 November 1994 08:49:37 GMT", W + "/")
set_then("expiry/expires-dashes-past", W + "/", "a=1; Expires=06-Nov-1994 08:49:37 GMT", W + "/")
set_then("expiry/expires-missing-time", W + "/", "a=1; Expires=Sun, 06 Nov 1994 GMT", W + "/")
set_then("expiry/expires-unquoted-comma-split", W + "/", "a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT, b=2", W + "/")
set_then("expiry/max-age-overrides-past-expires", W + "/",
         "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=3600", W + "/")
set_then("expiry/max-age-overrides-past-expires-reversed", W + "/",
         "a=1; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT", W + "/")
set_then("expiry/max-age-zero-overrides-future-expires", W + "/",
         "a=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Max-Age=0", W + "/")
set_then("expiry/invalid-max-age-falls-back-to-expires", W + "/",
         "a=1; Max-Age=soon; Expires=Thu, 01 Jan 1970 00:00:00 GMT", W + "/")
sc("expiry/delete-with-max-age-zero", step(W + "/", "a=1", "b=2"), step(W + "/", "a=; Max-Age=0"), step(W + "/"))
sc("expiry/delete-with-expires-past", step(W + "/", "a=1", "b=2"),
   step(W + "/", "a=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT"), step(W + "/"))
sc("expiry/delete-needs-same-path", step(W + "/", "a=1; Path=/"), step(W + "/x/", "a=; Max-Age=0; Path=/x"), step(W + "/x/"))
sc("expiry/delete-needs-same-domain", step(W + "/", "a=1; Domain=example.com"), step(W + "/", "a=; Max-Age=0"),
   step(W + "/"))
sc("expiry/delete-domain-cookie", step(W + "/", "a=1; Domain=example.com"),
   step("http://other.example.com/", "a=; Max-Age=0; Domain=example.com"), step(W + "/"))
sc("expiry/persistent-overwritten-by-session", step(W + "/", "a=1; Max-Age=3600"), step(W + "/", "a=2"), step(W + "/"))
sc("expiry/expired-set-does-not-delete-other-name", step(W + "/", "a=1"), step(W + "/", "b=1; Max-Age=0"), step(W + "/"))

# Chromium's ParseCookieExpirationTime where it departs from RFC 6265bis §5.1.1's grammar: a past
# date deletes the cookie (not sent), a date that fails to parse leaves a session cookie (sent).
CHROMIUM_DATES = {
    "three-digit-time-field-skipped": "01 Jan 000:00:00 2099 00:00:00 GMT",
    "four-digit-second": "Thu, 01 Jan 1970 00:00:0000 GMT",
    "three-digit-second": "01 Jan 1970 1:2:345",
    "second-time-not-a-day": "12:00:00 13:00:00 Jan 1970",
    "time-of-four-fields": "01 Jan 1970 00:00:00:00 GMT",
    "time-of-four-one-digit-fields": "0:0:0:0 1 Jan 1970",
    "two-field-time-not-a-day": "1:2 Jan 1970 00:00:00 GMT",
    "day-with-suffix-is-a-year": "Thu, 1st Jan 1970 00:00:00 GMT",
    "day-with-suffix-and-two-digit-day": "Jan 1st 01 00:00:00 GMT",
    "five-digit-year-leading-zero": "01 Jan 01970 00:00:00 GMT",
    "five-digit-year-future": "01 Jan 02099 00:00:00 GMT",
    "one-digit-year": "01 Jan 5 00:00:00 GMT",
    "year-with-long-suffix": "01 Jan 1970abc 00:00:00 GMT",
    "year-with-short-suffix": "01 Jan 1970x 00:00:00 GMT",
    "three-digit-day": "001 Jan 1970 00:00:00 GMT",
    "three-digit-year-before-1601": "01 Jan 123 00:00:00 GMT",
    "year-1500-day-32": "32 Jan 1500 00:00:00 GMT",
    "year-1500-31-feb": "31 Feb 1500 00:00:00 GMT",
    "year-1500-second-60": "01 Jan 1500 00:00:60 GMT",
    "second-60": "01 Jan 1970 00:00:60 GMT",
    "five-digit-year-far-future": "01 Jan 12345 00:00:00 GMT",
    "six-digit-year": "01 Jan 123456 00:00:00 GMT",
    "second-year-ignored": "Jan 01 1970 00:00:00 2099",
    "javascript-date-string": "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)",
    "iso-8601": "1970-01-01T00:00:00Z",
    "month-prefix-of-word": "01 Janissary 1970 00:00:00",
    "time-without-seconds": "01 Jan 1970 GMT 00:00",
    "time-three-digit-hour": "01 Jan 1970 000:00:00",
    "time-four-digit-hour": "01 Jan 1970 0000:00:00",
    "time-one-digit-fields": "01 Jan 1970 0:0:0",
    "time-many-digit-second": "01 Jan 1970 00:00:000000000000000000000",
    "time-three-digit-second-in-range": "01 Jan 1970 00:00:059",
    "time-letter-tail": "01 Jan 1970 00:00:00x",
    "time-letter-in-hour": "01 Jan 1970 00a:00:00",
    "time-trailing-colon": "01 Jan 1970 00:00:00:",
    "time-empty-field-then-time": "01 Jan 1970 00::00 00:00:00",
    "time-two-fields-then-time": "01 Jan 1970 1:2 00:00:00",
    "time-four-fields-then-time": "01 Jan 1970 1:2:3:4 00:00:00",
    "time-out-of-range-kept": "01 Jan 1970 00:00:99 00:00:00",
    "time-hour-24-kept": "01 Jan 1970 24:00:00 00:00:00",
    "time-overflow-skipped": "01 Jan 1970 99999999999:00:00 00:00:00",
    "time-overflow-u32-skipped": "01 Jan 1970 00:00:4294967296 00:00:00",
    "day-with-suffix-skipped-then-year": "01 Jan 1st 1970 00:00:00",
    "day-with-letter": "1x Jan 1970 00:00:00",
    "day-zero-kept": "00 01 Jan 1970 00:00:00",
    "day-32-kept": "32 01 Jan 1970 00:00:00",
    "year-three-zeros": "01 Jan 000 00:00:00",
    "year-one-zero": "01 Jan 0 00:00:00",
    "year-two-digit-with-letter": "01 Jan 70x 00:00:00",
    "six-digit-token-skipped": "01 Jan 1970 000001 00:00:00",
    "thirteen-digit-day": "0000000000001 Jan 1970 00:00:00",
    "month-two-letters": "01 Ja 1970 00:00:00",
    "month-with-prefix": "01 xJan 1970 00:00:00",
    "word-before-month": "01 Foo Jan 1970 00:00:00",
    "year-1500-29-feb": "29 Feb 1500 00:00:00",
    "year-1600-29-feb": "29 Feb 1600 00:00:00",
    "year-100": "01 Jan 100 00:00:00",
}
for label, date in CHROMIUM_DATES.items():
    set_then(f"expiry/chromium-date-{label}", W + "/", ["a=1; Expires=" + date, "b=1"], W + "/")

# ---------------------------------------------------------------- secure
set_then("secure/set-over-https", WS + "/", "a=1; Secure", WS + "/", W + "/")
set_then("secure/set-over-http-rejected", W + "/", "a=1; Secure", WS + "/", W + "/")
set_then("secure/lowercase-attr", WS + "/", "a=1; secure", WS + "/", W + "/")
set_then("secure/attr-with-value", WS + "/", "a=1; Secure=no", WS + "/", W + "/")
set_then("secure/attr-spaces", WS + "/", "a=1;   Secure   ", WS + "/", W + "/")
set_then("secure/non-secure-from-https-goes-to-http", WS + "/", "a=1", W + "/", WS + "/")
set_then("secure/non-secure-from-http-goes-to-https", W + "/", "a=1", WS + "/", W + "/")
sc("secure/http-cannot-overwrite-secure", step(WS + "/", "a=1; Secure"), step(W + "/", "a=2"), step(WS + "/"))
sc("secure/http-cannot-overwrite-secure-subpath", step(WS + "/", "a=1; Secure; Path=/"),
   step(W + "/sub/", "a=2; Path=/sub"), step(WS + "/sub/"), step(W + "/sub/"))
sc("secure/http-can-set-when-secure-path-is-deeper", step(WS + "/deep/", "a=1; Secure; Path=/deep"),
   step(W + "/", "a=2; Path=/"), step(WS + "/deep/"), step(W + "/"))
sc("secure/http-cannot-shadow-via-domain", step(WS + "/", "a=1; Secure"),
   step(W + "/", "a=2; Domain=example.com"), step(WS + "/"), step("http://example.com/"))
sc("secure/http-cannot-shadow-from-parent", step(WS + "/", "a=1; Secure; Domain=example.com"),
   step("http://example.com/", "a=2"), step("https://example.com/"), step("http://example.com/"))
sc("secure/http-can-set-other-name", step(WS + "/", "a=1; Secure"), step(W + "/", "b=2"), step(WS + "/"), step(W + "/"))
sc("secure/http-cannot-delete-secure", step(WS + "/", "a=1; Secure"), step(W + "/", "a=; Max-Age=0"), step(WS + "/"))
sc("secure/https-overwrites-secure-with-plain", step(WS + "/", "a=1; Secure"), step(WS + "/", "a=2"),
   step(W + "/"), step(WS + "/"))
sc("secure/https-secure-overwrites-plain", step(W + "/", "a=1"), step(WS + "/", "a=2; Secure"), step(W + "/"), step(WS + "/"))
set_then("secure/localhost-http-sets-secure", "http://localhost/", "a=1; Secure", "http://localhost/", "https://localhost/")
set_then("secure/localhost-https-secure-to-http", "https://localhost/", "a=1; Secure", "http://localhost/")
set_then("secure/ip-loopback-http-sets-secure", "http://127.0.0.1/", "a=1; Secure", "http://127.0.0.1/", "https://127.0.0.1/")
set_then("secure/ip-loopback-https-secure-to-http", "https://127.0.0.1/", "a=1; Secure", "http://127.0.0.1/")
set_then("secure/sub-localhost-http-sets-secure", "http://app.localhost/", "a=1; Secure",
         "http://app.localhost/", "https://app.localhost/")
sc("secure/localhost-http-overwrites-secure", step("https://localhost/", "a=1; Secure"),
   step("http://localhost/", "a=2"), step("https://localhost/"), step("http://localhost/"))
sc("secure/secure-and-plain-same-name-different-path", step(WS + "/", "a=1; Secure; Path=/s"),
   step(W + "/", "a=2; Path=/p"), step(WS + "/s"), step(W + "/p"))
set_then("secure/secure-domain-cookie", WS + "/", "a=1; Secure; Domain=example.com",
         "https://example.com/", "http://example.com/", "https://other.example.com/")

# ---------------------------------------------------------------- prefix
for label, url in [("https", WS + "/"), ("http", W + "/")]:
    after = [WS + "/", W + "/"]
    set_then(f"prefix/secure-with-secure-{label}", url, "__Secure-a=1; Secure", *after)
    set_then(f"prefix/secure-without-secure-{label}", url, "__Secure-a=1", *after)
    set_then(f"prefix/host-ok-{label}", url, "__Host-a=1; Secure; Path=/", *after)
set_then("prefix/secure-with-domain", WS + "/", "__Secure-a=1; Secure; Domain=example.com", WS + "/", "https://example.com/")
set_then("prefix/secure-with-path", WS + "/", "__Secure-a=1; Secure; Path=/x", WS + "/x/", WS + "/")
set_then("prefix/host-without-secure", WS + "/", "__Host-a=1; Path=/", WS + "/")
set_then("prefix/host-without-path", WS + "/", "__Host-a=1; Secure", WS + "/", WS + "/x/")
set_then("prefix/host-without-path-deep-url", WS + "/a/b", "__Host-a=1; Secure", WS + "/a/", WS + "/")
set_then("prefix/host-path-not-root", WS + "/", "__Host-a=1; Secure; Path=/a", WS + "/a/", WS + "/")
set_then("prefix/host-path-empty", WS + "/", "__Host-a=1; Secure; Path=", WS + "/")
set_then("prefix/host-with-domain", WS + "/", "__Host-a=1; Secure; Path=/; Domain=www.example.com", WS + "/")
set_then("prefix/host-with-parent-domain", WS + "/", "__Host-a=1; Secure; Path=/; Domain=example.com",
         WS + "/", "https://example.com/")
set_then("prefix/host-with-empty-domain", WS + "/", "__Host-a=1; Secure; Path=/; Domain=", WS + "/")
set_then("prefix/host-with-dot-domain", WS + "/", "__Host-a=1; Secure; Path=/; Domain=.", WS + "/")
set_then("prefix/host-on-ip", "https://127.0.0.1/", "__Host-a=1; Secure; Path=/", "https://127.0.0.1/")
set_then("prefix/host-on-localhost-http", "http://localhost/", "__Host-a=1; Secure; Path=/", "http://localhost/")
set_then("prefix/secure-on-localhost-http", "http://localhost/", "__Secure-a=1; Secure", "http://localhost/")
for variant in ["__HOST-", "__host-", "__Host_", "__Host"]:
    set_then(f"prefix/case-{variant}no-secure", WS + "/", f"{variant}a=1; Path=/", WS + "/")
    set_then(f"prefix/case-{variant}with-domain", WS + "/", f"{variant}a=1; Secure; Path=/; Domain=example.com",
             WS + "/", "https://example.com/")
for variant in ["__SECURE-", "__secure-", "__SeCuRe-"]:
    set_then(f"prefix/case-{variant}no-secure", WS + "/", f"{variant}a=1", WS + "/")
    set_then(f"prefix/case-{variant}with-secure", WS + "/", f"{variant}a=1; Secure", WS + "/", W + "/")
set_then("prefix/nameless-value-host", WS + "/", "=__Host-a=1", WS + "/")
set_then("prefix/nameless-value-host-secure", WS + "/", "=__Host-a=1; Secure; Path=/", WS + "/")
set_then("prefix/no-equals-value-host", WS + "/", "__Host-a", WS + "/")
set_then("prefix/nameless-value-secure", WS + "/", "=__Secure-a=1", WS + "/")
set_then("prefix/no-equals-value-secure-prefix", W + "/", "__Secure-a", W + "/")
set_then("prefix/nameless-value-lowercase-host", WS + "/", "=__host-a=1", WS + "/")
set_then("prefix/leading-space-name", WS + "/", " __Host-a=1; Path=/", WS + "/")
set_then("prefix/http-ok", WS + "/", "__Http-a=1; Secure; HttpOnly", WS + "/", W + "/")
set_then("prefix/http-no-httponly", WS + "/", "__Http-a=1; Secure", WS + "/")
set_then("prefix/http-no-secure", WS + "/", "__Http-a=1; HttpOnly", WS + "/")
set_then("prefix/http-over-http", W + "/", "__Http-a=1; Secure; HttpOnly", WS + "/", W + "/")
set_then("prefix/host-http-ok", WS + "/", "__Host-Http-a=1; Secure; HttpOnly; Path=/", WS + "/")
set_then("prefix/host-http-no-httponly", WS + "/", "__Host-Http-a=1; Secure; Path=/", WS + "/")
set_then("prefix/host-http-with-domain", WS + "/", "__Host-Http-a=1; Secure; HttpOnly; Path=/; Domain=example.com",
         WS + "/")
set_then("prefix/host-http-no-path", WS + "/", "__Host-Http-a=1; Secure; HttpOnly", WS + "/")
set_then("prefix/http-lowercase-no-httponly", WS + "/", "__http-a=1; Secure", WS + "/")
set_then("prefix/prefix-only-name", WS + "/", "__Secure-=1", WS + "/")
set_then("prefix/prefix-only-name-host", WS + "/", "__Host-=1; Secure; Path=/", WS + "/")

# ---------------------------------------------------------------- samesite
for tag, val in [("strict", "Strict"), ("lax", "Lax"), ("none", "None"), ("strict-lowercase", "strict"),
                 ("lax-uppercase", "LAX"), ("none-mixed-case", "nOnE"), ("bogus", "Bogus"), ("empty", ""),
                 ("none-secure", "None; Secure"), ("strict-secure", "Strict; Secure"),
                 ("lax-then-strict", "Lax; SameSite=Strict"), ("strict-then-bogus", "Strict; SameSite=Bogus"),
                 ("none-then-lax", "None; SameSite=Lax")]:
    schemes = [("https", WS + "/"), ("http", W + "/")] if tag in ("strict", "lax", "none", "none-secure") else [
        ("https", WS + "/")]
    for label, url in schemes:
        set_then(f"samesite/{tag}-{label}", url, f"a=1; SameSite={val}", url, WS + "/x")
set_then("samesite/no-value-attr", WS + "/", "a=1; SameSite", WS + "/")
set_then("samesite/spaces", WS + "/", "a=1; SameSite = Strict ", WS + "/")
set_then("samesite/none-secure-http-origin", W + "/", "a=1; SameSite=None; Secure", WS + "/")
set_then("samesite/none-no-secure-localhost", "http://localhost/", "a=1; SameSite=None", "http://localhost/")
set_then("samesite/strict-domain-cookie-subdomain-nav", WS + "/", "a=1; SameSite=Strict; Domain=example.com",
         "https://other.example.com/")

# ---------------------------------------------------------------- size
def sized(total, name_len=None):
    """A name=value whose name+value length is `total`."""
    if name_len is None:
        name_len = 1
    return "n" * name_len + "=" + "v" * (total - name_len)


set_then("size/name-value-4096", W + "/", sized(4096), W + "/")
set_then("size/name-value-4097", W + "/", sized(4097), W + "/")
set_then("size/long-name-4096", W + "/", sized(4096, 4095), W + "/")
set_then("size/long-name-4097", W + "/", sized(4097, 4096), W + "/")
set_then("size/nameless-4096", W + "/", "=" + "v" * 4096, W + "/")
set_then("size/nameless-4097", W + "/", "=" + "v" * 4097, W + "/")
set_then("size/no-equals-4096", W + "/", "v" * 4096, W + "/")
set_then("size/4096-plus-attributes", W + "/", sized(4096) + "; Path=/; Max-Age=3600; HttpOnly", W + "/")
set_then("size/path-1024", W + "/", "a=1; Path=/" + "p" * 1023, W + "/" + "p" * 1023, W + "/")
set_then("size/path-1025", W + "/x/y", "a=1; Path=/" + "p" * 1024, W + "/" + "p" * 1024, W + "/x/", W + "/")
set_then("size/domain-1025", W + "/", "a=1; Domain=" + "d" * 1013 + ".example.com", W + "/")
set_then("size/domain-over-1024-valid-suffix", W + "/",
         "a=1; Domain=" + "x" * 1010 + "; Domain=example.com", "http://example.com/", W + "/")
big = sized(4096)
set_then("size/4096-with-1020-byte-attributes", W + "/",
         big + "; Path=/" + "p" * 1019 + "; Foo=" + "f" * 1020 + "; Bar=" + "b" * 1020 + "; Baz=" + "z" * 1020
         + "; Path=/", W + "/", W + "/x")
set_then("size/4096-with-attributes-over-8k", W + "/",
         big + "; Domain=example.com; " + "; ".join(f"X{i}=" + "x" * 1020 for i in range(5)) + "; Path=/",
         "http://example.com/", W + "/")
set_then("size/oversize-domain-between-valid", W + "/",
         "a=1; Domain=example.com; Domain=" + "d" * 1025 + "; Path=/", "http://example.com/", W + "/")
set_then("size/oversize-path-after-valid", W + "/x/y", "a=1; Path=/x; Path=/" + "q" * 1024,
         W + "/x/z", W + "/", W + "/x/y")
set_then("size/oversize-expires-after-valid", W + "/",
         "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Expires=" + "Thu, 01 Jan 2099 00:00:00 GMT" + " " * 1000 + "x",
         W + "/")
set_then("size/oversize-samesite", W + "/", "a=1; SameSite=" + "s" * 1025 + "; Domain=example.com",
         "http://example.com/")
set_then("size/attribute-exactly-1024", W + "/", "a=1; Path=/" + "p" * 1023 + "; Domain=example.com",
         "http://example.com/" + "p" * 1023, W + "/")
set_then("size/long-unknown-attribute", W + "/", "a=1; Foo=" + "f" * 5000, W + "/")
set_then("size/expires-over-1024", W + "/", "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT" + " " * 1000 + "x", W + "/")
set_then("size/max-age-over-1024", W + "/", "a=1; Max-Age=" + "0" * 1030, W + "/")
set_then("size/two-cookies-4096-each", W + "/", [sized(4096), sized(4096, 2)], W + "/")
sc("size/many-cookies-50", step(W + "/", *[f"c{i:02d}={i}" for i in range(50)]), step(W + "/"))
sc("size/many-cookies-200-one-host", step(W + "/", *[f"c{i:03d}={i}" for i in range(200)]), step(W + "/"))

# ---------------------------------------------------------------- syntax
syn = [
    ("nameless-no-equals", "abc"),
    ("nameless-leading-equals", "=abc"),
    ("equals-in-value", "a=b=c"),
    ("nameless-equals-in-value", "=a=bar"),
    ("double-equals", "a==b"),
    ("empty-value", "a="),
    ("name-only", "a"),
    ("equals-only", "="),
    ("empty-string", ""),
    ("spaces-only", "   "),
    ("semicolon-only", ";"),
    ("leading-semicolon", ";a=b"),
    ("trailing-semicolons", "a=b;;;"),
    ("empty-attributes", "a=b; ; ;Path=/"),
    ("spaces-around-name-and-value", "  a  =  b  "),
    ("tabs-around-name-and-value", "\ta\t=\tb\t"),
    ("space-inside-name", "a b=c"),
    ("space-inside-value", "a=b c"),
    ("tab-inside-value", "a=b\tc"),
    ("quoted-value", 'a="b"'),
    ("quoted-value-with-space", 'a="b c"'),
    ("quoted-value-with-semicolon", 'a="b;c"'),
    ("unbalanced-quote", 'a="b'),
    ("quoted-name", '"a"=b'),
    ("comma-in-value", "a=b,c=d"),
    ("comma-in-name", "a,b=c"),
    ("backslash-in-value", "a=b\\c"),
    ("non-ascii-value", "a=é"),
    ("non-ascii-name", "é=1"),
    ("emoji-value", "a=🍪"),
    ("non-ascii-nameless", "🍪"),
    ("ctl-0x01-in-value", "a=b\x01c"),
    ("ctl-0x01-in-name", "a\x01=b"),
    ("ctl-0x1f-in-value", "a=b\x1fc"),
    ("del-in-value", "a=b\x7fc"),
    ("ctl-in-attribute", "a=b; Path=/\x01"),
    ("ctl-in-unknown-attribute", "a=b; Foo=\x02"),
    ("bare-cr-in-value", "a=b\rc"),
    ("bare-cr-then-header", "a=1\rSet-Cookie: b=2"),
    ("bare-cr-at-end", "a=1\r"),
    ("bare-cr-before-attribute", "a=1\r; Max-Age=0"),
    ("unknown-attribute", "a=b; Foo=bar"),
    ("unknown-flag-attribute", "a=b; Foo"),
    ("httponly-with-value", "a=b; HttpOnly=false"),
    ("attribute-without-name", "a=b; =x"),
    ("attribute-name-case", "a=b; pAtH=/; mAx-AgE=3600"),
    ("cookie-in-attribute-position", "a=b; c=d"),
    ("equals-sign-in-attribute-value", "a=b; Path=/x=y"),
    ("version-attribute", "a=b; Version=1"),
    ("comment-attribute", "a=b; Comment=hi"),
    ("value-looks-like-attribute", "Path=/x"),
    ("name-is-secure", "Secure=1"),
    ("name-is-expires", "expires=1"),
    ("utf8-bom-in-name", "\ufeffa=1"),
    ("nbsp-around-value", "a=\u00a0b\u00a0"),
    ("percent-encoded-value", "a=%3B%20b"),
    ("json-value", 'a={"k":"v"}'),
    ("very-many-attributes", "a=b" + "; Foo=bar" * 200),
]
for tag, v in syn:
    set_then(f"syntax/{tag}", W + "/", v, W + "/")
sc("syntax/nameless-and-named-coexist", step(W + "/", "abc", "a=1", "=def"), step(W + "/"))
sc("syntax/nameless-overwrites-nameless", step(W + "/", "abc"), step(W + "/", "=def"), step(W + "/"))
sc("syntax/whitespace-name-same-cookie", step(W + "/", "a=1"), step(W + "/", " a =2"), step(W + "/"))
sc("syntax/case-sensitive-names", step(W + "/", "a=1", "A=2"), step(W + "/"))
sc("syntax/empty-header-then-cookie", step(W + "/", "", "a=1"), step(W + "/"))
sc("syntax/value-with-trailing-space-overwrite", step(W + "/", "a=1 "), step(W + "/", "b=2"), step(W + "/"))

# ---------------------------------------------------------------- overwrite
sc("overwrite/same-name-replaces", step(W + "/", "a=1"), step(W + "/", "a=2"), step(W + "/"))
sc("overwrite/same-response-last-wins", step(W + "/", "a=1", "a=2"), step(W + "/"))
sc("overwrite/different-path-coexists", step(W + "/", "a=1; Path=/"), step(W + "/", "a=2; Path=/x"),
   step(W + "/x/"), step(W + "/"))
sc("overwrite/host-only-and-domain-coexist", step(W + "/", "a=1"), step(W + "/", "a=2; Domain=example.com"),
   step(W + "/"), step("http://example.com/"))
sc("overwrite/domain-then-host-only-coexist", step(W + "/", "a=1; Domain=example.com"), step(W + "/", "a=2"),
   step(W + "/"), step("http://example.com/"))
sc("overwrite/domain-attr-equal-host-replaces-host-only", step(W + "/", "a=1"),
   step(W + "/", "a=2; Domain=www.example.com"), step(W + "/"), step("http://sub.www.example.com/"))
sc("overwrite/leading-dot-same-as-no-dot", step(W + "/", "a=1; Domain=example.com"),
   step(W + "/", "a=2; Domain=.example.com"), step(W + "/"))
sc("overwrite/domain-case-insensitive", step(W + "/", "a=1; Domain=example.com"),
   step(W + "/", "a=2; Domain=EXAMPLE.com"), step(W + "/"))
sc("overwrite/creation-time-kept", step(W + "/", "a=1", "b=2"), step(W + "/", "a=3"), step(W + "/"))
sc("overwrite/creation-time-kept-across-steps", step(W + "/", "a=1"), step(W + "/", "b=2"),
   step(W + "/", "a=3"), step(W + "/"))
sc("overwrite/deleted-then-recreated-is-newer", step(W + "/", "a=1", "b=2"), step(W + "/", "a=; Max-Age=0"),
   step(W + "/", "a=3"), step(W + "/"))
sc("overwrite/same-value-keeps-order", step(W + "/", "a=1", "b=2"), step(W + "/", "a=1"), step(W + "/"))
sc("overwrite/change-attributes-keeps-order", step(W + "/", "a=1", "b=2"),
   step(W + "/", "a=1; Max-Age=3600; HttpOnly"), step(W + "/"))
sc("overwrite/path-trailing-slash-distinct", step(W + "/a/", "a=1; Path=/a"), step(W + "/a/", "a=2; Path=/a/"),
   step(W + "/a/"))
sc("overwrite/sibling-sets-same-domain-cookie", step(W + "/", "a=1; Domain=example.com"),
   step("http://other.example.com/", "a=2; Domain=example.com"), step(W + "/"))
sc("overwrite/name-case-distinct", step(W + "/", "a=1"), step(W + "/", "A=2"), step(W + "/"))
sc("overwrite/nameless-vs-value-named", step(W + "/", "a"), step(W + "/", "=a"), step(W + "/", "a="), step(W + "/"))
sc("overwrite/http-from-different-scheme", step(WS + "/", "a=1"), step(W + "/", "a=2"), step(WS + "/"), step(W + "/"))
sc("overwrite/httponly-overwritten-over-http", step(W + "/", "a=1; HttpOnly"), step(W + "/", "a=2"), step(W + "/"))
sc("overwrite/ip-and-localhost-separate", step("http://127.0.0.1/", "a=1"), step("http://localhost/", "a=2"),
   step("http://127.0.0.1/"), step("http://localhost/"))

# ---------------------------------------------------------------- ordering
sc("ordering/longer-path-first", step(W + "/a/b/c", "r=1; Path=/", "ab=1; Path=/a/b", "a=1; Path=/a"), step(W + "/a/b/c"))
sc("ordering/longer-path-first-reverse-creation", step(W + "/a/b/c", "ab=1; Path=/a/b", "a=1; Path=/a", "r=1; Path=/"),
   step(W + "/a/b/c"))
sc("ordering/same-path-creation-order", step(W + "/", "z=1", "y=2", "x=3"), step(W + "/"))
sc("ordering/same-path-across-steps", step(W + "/", "z=1"), step(W + "/", "y=2"), step(W + "/", "x=3"), step(W + "/"))
sc("ordering/domain-and-host-only-by-creation", step(W + "/", "h=1", "d=1; Domain=example.com"),
   step("http://example.com/", "p=1"), step(W + "/"))
sc("ordering/trailing-slash-path-longer", step(W + "/a/", "s=1; Path=/a/", "n=1; Path=/a"), step(W + "/a/b"))
sc("ordering/many-cookies-mixed-paths",
   step(W + "/p/q/r/s", *[f"k{i}={i}; Path={['/', '/p', '/p/q', '/p/q/r'][i % 4]}" for i in range(24)]),
   step(W + "/p/q/r/s"), step(W + "/p/"))
sc("ordering/many-cookies-30", step(W + "/", *[f"m{(i * 7) % 30}={i}" for i in range(30)]), step(W + "/"))
sc("ordering/overwritten-keeps-position-with-paths",
   step(W + "/a/", "x=1; Path=/", "y=1; Path=/a"), step(W + "/a/", "x=2; Path=/"), step(W + "/a/"))
sc("ordering/secure-and-plain-by-creation", step(WS + "/", "p=1", "s=1; Secure", "q=1"), step(WS + "/"), step(W + "/"))
sc("ordering/nameless-position", step(W + "/", "a=1", "xyz", "b=2"), step(W + "/"))
sc("ordering/path-length-bytes-not-segments", step(W + "/aaaa/b/", "long=1; Path=/aaaa", "segs=1; Path=/aaaa/b"),
   step(W + "/aaaa/b/c"))
sc("ordering/same-name-different-domains-order", step(W + "/", "a=host", "a=dom; Domain=example.com"),
   step(W + "/"))
sc("ordering/expiry-does-not-affect-order", step(W + "/", "a=1; Max-Age=3600", "b=2", "c=3; Max-Age=60"), step(W + "/"))

# ---------------------------------------------------------------- partitioned
set_then("partitioned/secure-https", WS + "/", "a=1; Secure; Partitioned", WS + "/", W + "/")
set_then("partitioned/secure-samesite-none", WS + "/", "a=1; Secure; SameSite=None; Partitioned", WS + "/")
set_then("partitioned/without-secure-https", WS + "/", "a=1; Partitioned", WS + "/", W + "/")
set_then("partitioned/without-secure-http", W + "/", "a=1; Partitioned", W + "/")
set_then("partitioned/secure-from-http", W + "/", "a=1; Secure; Partitioned", WS + "/", W + "/")
set_then("partitioned/host-prefix", WS + "/", "__Host-a=1; Secure; Path=/; Partitioned", WS + "/")
set_then("partitioned/with-value", WS + "/", "a=1; Secure; Partitioned=no", WS + "/")
set_then("partitioned/lowercase", WS + "/", "a=1; secure; partitioned", WS + "/")
set_then("partitioned/same-site-other-host", WS + "/", "a=1; Secure; Partitioned; Domain=example.com",
         "https://other.example.com/", "https://example.com/")
sc("partitioned/and-unpartitioned-same-name", step(WS + "/", "a=1; Secure", "a=2; Secure; Partitioned"), step(WS + "/"))
set_then("partitioned/localhost-http", "http://localhost/", "a=1; Secure; Partitioned", "http://localhost/")
set_then("partitioned/without-secure-localhost-http", "http://localhost/", "a=1; Partitioned", "http://localhost/")

# ---------------------------------------------------------------- script
# document.cookie: each step navigates (its Cookie header observed, its Set-Cookie applied), then a
# script on the loaded page assigns `script_set` to document.cookie and, with `script_read`, reads it.
def sstep(url, *sets, header=(), read=True):
    s = step(url, *header)
    if sets:
        s["script_set"] = list(sets)
    if read:
        s["script_read"] = True
    return s


def script(name, url, sets, *after, header=()):
    """Sets `sets` from a script on `url` (after the response's `header` cookies), reads
    document.cookie there, then navigates to each URL of `after` and reads it there too."""
    if isinstance(sets, str):
        sets = [sets]
    if isinstance(header, str):
        header = [header]
    sc("script/" + name, sstep(url, *sets, header=header), *[sstep(u) for u in after])


FUT = "Fri, 01 Jan 2100 00:00:00 GMT"
PAST = "Thu, 01 Jan 1970 00:00:00 GMT"
# basics
script("plain", W + "/", "a=b", W + "/x")
script("two-assignments", W + "/", ["a=1", "b=2"], W + "/")
script("path-root", W + "/p/q", "a=1; path=/", W + "/", W + "/z")
script("default-path-from-page", W + "/a/b/c", "a=1", W + "/a/b/", W + "/a/x", W + "/a/b/c/d")
script("default-path-root-page", W + "/page", "a=1", W + "/", W + "/deep/er")
script("relative-path-attribute", W + "/a/b", "a=1; path=rel", W + "/a/", W + "/")
script("path-ordering", W + "/a/b/c", ["r=1; path=/", "ab=1; path=/a/b", "a=1; path=/a"], W + "/a/b/c")
script("creation-ordering", W + "/", ["z=1", "y=2", "x=3"], W + "/")
script("overwrite-own", W + "/", ["a=1", "a=2"], W + "/")
script("overwrite-keeps-position", W + "/", ["a=1", "b=1", "a=2"], W + "/")
script("semicolon-ends-pair", W + "/", "a=b;c=d", W + "/")
script("value-with-equals", W + "/", "a=b=c", W + "/")
script("empty-value", W + "/", "a=", W + "/")
script("empty-string", W + "/", "", W + "/")
script("equals-only", W + "/", "=", W + "/")
script("nameless", W + "/", "justvalue", W + "/")
script("nameless-with-equals-prefix", W + "/", "=value", W + "/")
script("nameless-value-with-equals", W + "/", "=a=b", W + "/")
script("nameless-replaced", W + "/", ["one", "two"], W + "/")
script("spaces-trimmed", W + "/", "  a  =  b  ", W + "/")
script("space-inside-name", W + "/", "a b=c d", W + "/")
script("quoted-value", W + "/", 'a="b c"', W + "/")
script("comma-in-value", W + "/", "a=b,c", W + "/")
script("unicode-value", W + "/", "a=grüße", W + "/")
script("unicode-name", W + "/", "ключ=значение", W + "/")
script("emoji", W + "/", "e=🍪", W + "/")
script("tab-in-value", W + "/", "a=b\tc", W + "/")
script("tab-around-value", W + "/", "a=\tb\t", W + "/")
script("cr-in-value", W + "/", "a=b\rc=d", W + "/")
script("lf-in-value", W + "/", "a=b\nc=d", W + "/")
script("control-char", W + "/", "a=b\x01", W + "/")
script("del-char", W + "/", "a=b\x7f", W + "/")
script("control-in-attribute", W + "/", "a=b; path=/\x02", W + "/")
script("percent-encoded", W + "/", "a=%3B%20x", W + "/")
script("backslash", W + "/", "a=b\\c", W + "/")
# attributes
script("domain-parent", W + "/", "a=1; domain=example.com", "http://example.com/", "http://sub.example.com/")
script("domain-leading-dot", W + "/", "a=1; domain=.example.com", "http://example.com/")
script("domain-equals-host", W + "/", "a=1; domain=www.example.com", "http://sub.www.example.com/")
script("domain-other-site", W + "/", "a=1; domain=example.org", "http://example.org/", W + "/")
script("domain-public-suffix", W + "/", "a=1; domain=com", W + "/")
script("domain-sibling", W + "/", "a=1; domain=other.example.com", "http://other.example.com/", W + "/")
script("host-only-not-for-subdomain", W + "/", "a=1", "http://sub.www.example.com/", "http://example.com/")
script("unlisted-tld-domain", "http://www.example.test/", "a=1; domain=example.test", "http://example.test/")
script("unlisted-tld-tld", "http://www.example.test/", "a=1; domain=test", "http://www.example.test/")
script("ip-host", "http://127.0.0.1/", ["a=1", "b=1; domain=127.0.0.1", "c=1; domain=0.0.1"], "http://127.0.0.1/")
script("localhost-domain", "http://sub.localhost/", ["a=1; domain=localhost", "b=1"], "http://localhost/")
script("expires-future", W + "/", "a=1; expires=" + FUT, W + "/")
script("expires-past-not-stored", W + "/", "a=1; expires=" + PAST, W + "/")
script("max-age-positive", W + "/", "a=1; max-age=3600", W + "/")
script("max-age-zero-not-stored", W + "/", "a=1; max-age=0", W + "/")
script("max-age-negative", W + "/", "a=1; max-age=-5", W + "/")
script("max-age-invalid", W + "/", "a=1; max-age=soon", W + "/")
script("chromium-date-five-digit-year", W + "/", "a=1; expires=01 Jan 01970 00:00:00 GMT", W + "/")
script("chromium-date-four-field-time", W + "/", "a=1; expires=01 Jan 1970 00:00:00:00 GMT", W + "/")
script("samesite-strict", W + "/", "a=1; samesite=strict", W + "/")
script("samesite-lax", W + "/", "a=1; SameSite=Lax", W + "/")
script("samesite-none-insecure", W + "/", "a=1; SameSite=None", W + "/")
script("samesite-none-secure", WS + "/", "a=1; SameSite=None; Secure", WS + "/")
script("samesite-garbage", W + "/", "a=1; SameSite=sometimes", W + "/")
script("partitioned-secure", WS + "/", "a=1; Secure; Partitioned", WS + "/")
script("partitioned-insecure", WS + "/", "a=1; Partitioned", WS + "/")
script("unknown-attribute", W + "/", "a=1; foo=bar; baz", W + "/")
script("duplicate-path-last-wins", W + "/a/b", "a=1; path=/x; path=/a", W + "/a/")
# deleting
script("delete-own-max-age", W + "/", ["a=1", "b=2", "a=; max-age=0"], W + "/")
script("delete-own-expires", W + "/", ["a=1", "a=gone; expires=" + PAST], W + "/")
script("delete-header-cookie", W + "/", "a=; max-age=0", W + "/", header="a=1")
script("delete-needs-same-path", W + "/x/", "a=; max-age=0; path=/x", W + "/", header="a=1; Path=/")
script("delete-needs-same-domain", W + "/", "a=; max-age=0", W + "/", header="a=1; Domain=example.com")
script("delete-domain-cookie", W + "/", "a=; max-age=0; domain=example.com", W + "/", header="a=1; Domain=example.com")
# HttpOnly
script("httponly-refused", W + "/", "a=1; HttpOnly", W + "/")
script("httponly-lowercase-refused", W + "/", "a=1; httponly", W + "/")
script("httponly-invisible", W + "/", [], W + "/", header=["h=1; HttpOnly", "v=1"])
script("httponly-not-overwritten", W + "/", "h=2", W + "/", header="h=1; HttpOnly")
script("httponly-not-deleted", W + "/", "h=; max-age=0", W + "/", header="h=1; HttpOnly")
script("httponly-other-path-shadow", W + "/a/", "h=2; path=/a", W + "/a/", W + "/", header="h=1; HttpOnly; Path=/")
script("httponly-other-domain-shadow", W + "/", "h=2; domain=example.com", W + "/", "http://example.com/",
       header="h=1; HttpOnly")
script("httponly-domain-cookie-not-overwritten", W + "/", "h=2; domain=example.com", W + "/",
       header="h=1; HttpOnly; Domain=example.com")
script("httponly-secure-shadow-https", WS + "/", "h=2; Secure", WS + "/", header="h=1; HttpOnly; Secure")
# Secure and prefixes
script("secure-over-https", WS + "/", "s=1; Secure", WS + "/", W + "/")
script("secure-over-http-refused", W + "/", "s=1; Secure", WS + "/", W + "/")
script("secure-localhost-http", "http://localhost/", "s=1; Secure", "http://localhost/")
sc("script/leave-secure-alone-http-page", sstep(WS + "/", header=["s=1; Secure"]), sstep(W + "/", "s=2"), sstep(WS + "/"))
sc("script/secure-overwritten-from-https", sstep(WS + "/", "s=2; Secure", header=["s=1; Secure"]), sstep(WS + "/"))
script("secure-prefix-ok", WS + "/", "__Secure-a=1; Secure", WS + "/")
script("secure-prefix-no-secure", WS + "/", "__Secure-a=1", WS + "/")
script("secure-prefix-lowercase", WS + "/", "__secure-a=1", WS + "/")
script("secure-prefix-http-page", W + "/", "__Secure-a=1; Secure", WS + "/")
script("host-prefix-ok", WS + "/", "__Host-a=1; Secure; Path=/", WS + "/")
script("host-prefix-with-domain", WS + "/", "__Host-a=1; Secure; Path=/; Domain=example.com", WS + "/")
script("host-prefix-no-path", WS + "/x/", "__Host-a=1; Secure", WS + "/x/")
script("host-prefix-other-path", WS + "/x/", "__Host-a=1; Secure; Path=/x", WS + "/x/")
script("host-prefix-no-secure", WS + "/", "__Host-a=1; Path=/", WS + "/")
script("host-prefix-mixed-case", WS + "/", "__HOST-a=1; Path=/", WS + "/")
script("host-prefix-localhost", "http://localhost/", "__Host-a=1; Secure; Path=/", "http://localhost/")
script("http-prefix-refused", WS + "/", "__Http-a=1; Secure; Path=/", WS + "/")
script("http-prefix-with-httponly-refused", WS + "/", "__Http-a=1; Secure; HttpOnly; Path=/", WS + "/")
script("host-http-prefix-refused", WS + "/", "__Host-Http-a=1; Secure; Path=/", WS + "/")
script("http-prefix-set-by-header-invisible", WS + "/", "__Http-a=2; Secure; Path=/", WS + "/",
       header="__Http-a=1; Secure; HttpOnly; Path=/")
script("nameless-prefix-value", WS + "/", ["__Secure-x", "__Host-y"], WS + "/")
# reading what headers set
script("reads-header-cookies-in-order", W + "/a/b", [], W + "/a/b",
       header=["r=1; Path=/", "ab=1; Path=/a/b", "s=1; SameSite=Strict", "l=1; SameSite=Lax"])
script("reads-domain-and-host-only", "http://www.example.com/", [], W + "/",
       header=["h=1", "d=1; Domain=example.com"])
script("reads-secure-only-on-https", WS + "/", [], WS + "/", W + "/", header=["s=1; Secure", "p=1"])
script("header-then-script-same-name", W + "/", "a=script", W + "/", header="a=header")
script("script-then-header-same-name", W + "/", "a=script", W + "/")
sc("script/script-value-replaced-by-header", sstep(W + "/", "a=script"), sstep(W + "/", header=["a=header"]),
   sstep(W + "/"))
script("host-only-and-domain-same-name", W + "/", ["a=host", "a=dom; domain=example.com"], W + "/", "http://example.com/")
# sizes
script("name-value-4096", W + "/", "n=" + "v" * 4095, W + "/")
script("name-value-4097", W + "/", "n=" + "v" * 4096, W + "/")
script("long-name-4096", W + "/", "n" * 4095 + "=v", W + "/")
script("nameless-4096", W + "/", "v" * 4096, W + "/")
script("path-attribute-1024", W + "/", "a=1; path=/" + "p" * 1023, W + "/" + "p" * 1023)
script("path-attribute-1025-ignored", W + "/x/y", "a=1; path=/" + "p" * 1024, W + "/x/", W + "/")
script("4096-with-long-attributes", W + "/", "n=" + "v" * 4094 + "; foo=" + "f" * 1020 + "; path=/", W + "/x")
sc("script/per-site-limit", sstep(W + "/", *[f"c{i:03d}={i}" for i in range(185)]), sstep(W + "/"))

for s in OUT:
    sys.stdout.write(json.dumps(s, ensure_ascii=False) + "\n")
print(f"{len(OUT)} scenarios", file=sys.stderr)
