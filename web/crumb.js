/* crumb — consent banner and preference centre. No dependencies. */
(function () {
  "use strict";
  var C = __CRUMB_CONFIG__, t = C.t, d = document, state, banner, overlay, opener;
  // The page's CSP nonce, if it has one: the scripts and the style this one adds carry it.
  var N = d.currentScript ? d.currentScript.nonce : "";
  var api = { consent: null, open: openSettings, acceptAll: acceptAll, rejectAll: rejectAll, save: save, track: track };
  // The decision last applied ("" before any), the spacer below the page and its size rule;
  // the reads and decisions asked for (a read older than either is dropped).
  var last, spacer, sized, asked = 0, S = el("style");
  // Other tabs of the site hear of a decision at once (nothing is stored for it).
  var bc = window.BroadcastChannel && new BroadcastChannel("crumb");
  window.crumb = api;
  S.nonce = N;
  S.textContent = C.css;
  d.head.appendChild(S);

  function el(tag, attrs, text) {
    var e = d.createElement(tag);
    for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function add(parent, child) { return parent.appendChild(child); }
  function site(s) { return s.split("{site}").join(C.site); }
  function signalOf(id) {
    var r = state ? state.refused_by_signal : [];
    for (var i = 0; i < r.length; i++) if (r[i][0] === id) return r[i][1];
    // The browser's own signals count even if a proxy dropped the headers.
    if (C.gpc && navigator.globalPrivacyControl === true && id === "marketing") return "gpc";
    if (C.dnt && navigator.doNotTrack === "1" && (id === "marketing" || id === "statistics")) return "dnt";
    return null;
  }
  function optional() { return C.cats.filter(function (c) { return c.id !== "necessary"; }); }
  function allowed() {
    return optional().filter(function (c) { return !signalOf(c.id); }).map(function (c) { return c.id; });
  }
  function has(list, id) { return list.indexOf(id) >= 0; }
  // "Marketing: off because your browser sent a … signal", or null: a
  // paragraph in the centre, part of the text in the (compact) banner.
  function offNote(c, inBanner) {
    var s = signalOf(c.id);
    return s ? el(inBanner ? "b" : "p", { "class": "crumb-g", id: inBanner ? null : "crumb-g-" + c.id, "data-crumb-signal": s }, t["off_" + s].split("{cat}").join(c.name)) : null;
  }

  function announce(text) {
    var live = d.getElementById("crumb-live");
    if (!live) live = add(d.body, el("div", { id: "crumb-live", role: "status", "class": "crumb-s" }));
    live.textContent = text;
  }

  function activate(granted) {
    var list = d.querySelectorAll('script[type="text/plain"][data-crumb-category]');
    for (var i = 0; i < list.length; i++) {
      var old = list[i];
      if (!has(granted, old.getAttribute("data-crumb-category"))) continue;
      var s = d.createElement("script");
      for (var j = 0; j < old.attributes.length; j++) {
        var a = old.attributes[j];
        if (a.name !== "type" && a.name !== "data-crumb-category") s.setAttribute(a.name, a.value);
      }
      s.nonce = N;
      s.text = old.text;
      old.parentNode.replaceChild(s, old);
    }
  }

  /* Expires the declared cookies of every category not granted that
     script can reach (HttpOnly ones are the server's to expire). The
     configuration names the optional categories' cookies only. */
  function forget(granted) {
    C.cats.forEach(function (c) {
      if (c.id === "necessary" || has(granted, c.id)) return;
      c.cookies.forEach(function (k) {
        var base = k.name + "=; Max-Age=0; Path=" + (k.path || "/");
        d.cookie = base;
        if (k.domain) d.cookie = base + "; Domain=" + k.domain;
      });
    });
  }

  /* Statistics: page views (also single-page-app navigations), custom
     events (crumb.track(name, props)) and outbound links, to /api/event.
     With statistics consent the server counts by the visitor cookie;
     without it only if the site counts cookieless, and never under a
     signal the site honours. */
  var lastView = null;
  function counting() {
    if (!C.stats || signalOf("statistics")) return false;
    return (api.consent && has(api.consent.granted, "statistics")) || C.stats.cookieless;
  }
  /* The page's URL as sent: origin and path, and of the query only the
     campaign fields the server reads (the rest may hold personal data). */
  function pageUrl() {
    var kept = [];
    try {
      var q = new URLSearchParams(location.search);
      ["utm_source", "utm_medium", "utm_campaign", "ref"].forEach(function (k) {
        if (q.has(k)) kept.push(k + "=" + encodeURIComponent(q.get(k)));
      });
    } catch (e) { /* no URLSearchParams: no campaign fields */ }
    return location.origin + location.pathname + (kept.length ? "?" + kept.join("&") : "");
  }
  /* The referrer's scheme and host: all the server keeps of it. */
  function referrerSite(url) {
    try { var u = new URL(url); return u.host ? u.protocol + "//" + u.host + "/" : ""; } catch (e) { return ""; }
  }
  function send(body) {
    // A prerendered page counts once the visitor actually opens it.
    if (d.prerendering) {
      d.addEventListener("prerenderingchange", function () { send(body); }, { once: true });
      return;
    }
    if (!counting()) return;
    body.url = pageUrl();
    var json = JSON.stringify(body);
    try {
      fetch(C.api + "event", { method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: json })["catch"](function () {});
    } catch (e) { if (navigator.sendBeacon) navigator.sendBeacon(C.api + "event", json); }
  }
  /* One page view per path: a changed query or fragment (replaceState,
     an in-page anchor's popstate) is the same page. */
  function view() {
    if (!counting() || lastView === location.pathname) return;
    var ref = lastView === null ? referrerSite(d.referrer) : "";
    lastView = location.pathname;
    send({ name: "pageview", referrer: ref });
  }
  function track(name, props) { send({ name: String(name), props: props || {} }); }
  function outbound(e) {
    // A middle-click opens a tab: no click event; other auxclicks are no link's.
    if (e.type === "auxclick" && e.button !== 1) return;
    var a = e.target.closest ? e.target.closest("a[href]") : null;
    if (a && /^https?:$/.test(a.protocol) && a.host !== location.host) {
      send({ name: "outbound", link: a.protocol + "//" + a.host + a.pathname });
    }
  }
  function watchNavigation() {
    ["pushState", "replaceState"].forEach(function (m) {
      var original = history[m];
      history[m] = function () { var r = original.apply(this, arguments); setTimeout(view, 0); return r; };
    });
    window.addEventListener("popstate", view);
    d.addEventListener("click", outbound, true);
    d.addEventListener("auxclick", outbound, true);
  }

  function apply(granted) {
    last = granted.join();
    api.consent = { granted: granted.slice(), decided: true };
    if (has(granted, "statistics")) view();
    activate(granted);
    forget(granted);
    if (typeof window.gtag === "function") {
      var m = has(granted, "marketing") ? "granted" : "denied";
      window.gtag("consent", "update", {
        ad_storage: m, ad_user_data: m, ad_personalization: m,
        analytics_storage: has(granted, "statistics") ? "granted" : "denied"
      });
    }
    if (overlay) {
      var sw = overlay.querySelectorAll("[role=switch]:not([disabled])");
      for (var i = 0; i < sw.length; i++) sw[i].setAttribute("aria-checked", has(granted, sw[i].name));
    }
    d.dispatchEvent(new CustomEvent("crumb:consent", { detail: api.consent }));
  }

  /* The server's state: applied when it differs from what this page knows
     (another tab decided, the consent cookie expired or was deleted). */
  function sync(s) {
    state = s;
    if (s.decided && s.granted.join() !== last) apply(s.granted);
    else if (!s.decided && last !== "") {
      // No valid decision: nothing optional may stay in the browser.
      last = "";
      api.consent = { granted: ["necessary"], decided: false };
      forget([]);
    }
    if (s.needs_prompt) showBanner(); else hideBanner();
  }
  function load() {
    var n = ++asked;
    return fetch(C.api + "consent", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) { if (n == asked) sync(s); }, function () {});
  }

  function save(granted) {
    return fetch(C.api + "consent", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ granted: granted, language: C.lang })
    }).then(function (r) {
      if (!r.ok) throw new Error("crumb: consent not saved (" + r.status + ")");
      return r.json();
    }).then(function (receipt) {
      ++asked;
      api.receipt = receipt;
      apply(receipt.granted);
      if (bc) bc.postMessage(1);
      close();
      announce(t.saved);
      return receipt;
    });
  }
  function acceptAll() { return save(allowed()); }
  function rejectAll() { return save([]); }

  function buttons(extra) {
    var row = el("div", { "class": "crumb-x" });
    var limited = allowed().length < optional().length;
    add(row, el("button", { type: "button", "data-crumb": "reject" }, t.reject_all)).onclick = rejectAll;
    if (extra) add(row, extra);
    add(row, el("button", { type: "button", "data-crumb": "accept" }, limited ? t.accept_allowed : t.accept_all)).onclick = acceptAll;
    return row;
  }

  /* The page's end stays reachable above the banner: a spacer as tall
     as the banner after everything else (sized by a rule in crumb's own
     style sheet: no style attribute, so the page's CSP holds). */
  function pad() {
    if (!banner) return;
    if (!spacer) spacer = add(d.body, el("div", { "class": "crumb-p", "aria-hidden": "true" }));
    var rules = S.sheet.cssRules;
    if (sized) S.sheet.deleteRule(rules.length - 1);
    sized = banner.offsetHeight;
    S.sheet.insertRule(".crumb-p{height:" + sized + "px}", rules.length);
  }

  function showBanner() {
    if (banner) return;
    banner = el("section", { "class": "crumb crumb-b", role: "dialog", "aria-modal": "false", "aria-labelledby": "crumb-bt", "aria-describedby": "crumb-bd", lang: C.lang });
    var box = add(banner, el("div")), words = add(box, el("div"));
    add(words, el("h2", { id: "crumb-bt" }, site(t.banner_title)));
    var text = add(words, el("p", { id: "crumb-bd" }, t.banner_text + " "));
    add(text, el("a", { href: C.policy }, t.policy_link));
    optional().forEach(function (c) { var n = offNote(c, 1); if (n) text.append(" ", n); });
    var choose = el("button", { type: "button", "class": "crumb-2", "data-crumb": "choose" }, t.customise);
    choose.onclick = function () { openSettings(); };
    add(box, buttons(choose));
    add(d.body, banner);
    if (window.ResizeObserver) new ResizeObserver(pad).observe(banner); else pad();
    banner.querySelector("button").focus();
  }
  function hideBanner() {
    if (!banner) return;
    banner.parentNode.removeChild(banner);
    if (spacer) spacer.parentNode.removeChild(spacer);
    banner = spacer = null;
  }

  /* Each category's cookies, folded: what each is for and how long it
     lasts come from the policy when the centre opens (few visitors open
     it, so they are not part of every page's script). */
  function cookieList(c, parent) {
    var more = add(parent, el("details", { "class": "crumb-l" }));
    add(more, el("summary", {}, t.cookies_in_category));
    add(more, el("ul", { id: "crumb-l-" + c.id }));
  }
  function describe() {
    fetch(C.policy.replace("?", ".json?")).then(function (r) { return r.json(); }).then(function (p) {
      p.categories.forEach(function (c) {
        var ul = d.getElementById("crumb-l-" + c.id);
        if (ul) c.cookies.forEach(function (k) {
          add(ul, el("li")).append(el("b", {}, k.name), " — " + k.purpose + " (" + k.lifetime + ")");
        });
      });
    }, function () {});
  }

  function openSettings(ev) {
    if (ev && ev.preventDefault) ev.preventDefault();
    if (overlay) return;
    opener = d.activeElement;
    var granted = api.consent ? api.consent.granted : [];
    overlay = el("div", { "class": "crumb-o" });
    var box = add(overlay, el("div", { "class": "crumb crumb-d", role: "dialog", "aria-modal": "true", "aria-labelledby": "crumb-st", lang: C.lang }));
    var top = add(box, el("div", { "class": "crumb-r" }));
    add(top, el("h2", { id: "crumb-st" }, t.settings_title));
    add(top, el("button", { type: "button", "class": "crumb-2", "data-crumb": "close" }, t.close)).onclick = close;
    add(box, el("p", {}, t.settings_text));
    var form = add(box, el("form"));
    // The choices first, each with its purpose; the necessary cookies after, folded.
    optional().forEach(function (c) {
      var id = "crumb-c-" + c.id, note = offNote(c), part = add(form, el("div", { "class": "crumb-c" }));
      var row = add(part, el("div", { "class": "crumb-r" }));
      add(row, el("h3", { id: id + "-n" }, c.name));
      var sw = add(row, el("button", { type: "button", role: "switch", "class": "crumb-w", id: id, name: c.id,
        "aria-checked": !note && has(granted, c.id), "aria-labelledby": id + "-n",
        "aria-describedby": (note ? note.id + " " : "") + id + "-d", disabled: note ? "" : null }));
      sw.onclick = function () { sw.setAttribute("aria-checked", sw.getAttribute("aria-checked") !== "true"); };
      if (note) add(part, note);
      add(part, el("p", { id: id + "-d" }, c.desc));
      cookieList(c, part);
    });
    C.cats.forEach(function (c) {
      if (c.id !== "necessary") return;
      var part = add(form, el("details", { "class": "crumb-c" }));
      add(part, el("summary", {}, c.name + " ")).append(el("span", { "class": "crumb-a" }, t.always_on));
      add(part, el("p", {}, c.desc));
      add(part, el("ul", { id: "crumb-l-" + c.id }));
    });
    form.onsubmit = function (e) {
      e.preventDefault();
      save(allowed().filter(function (id) { return form.elements[id].getAttribute("aria-checked") === "true"; }));
    };
    add(form, buttons(el("button", { type: "submit", "class": "crumb-2", "data-crumb": "save" }, t.save)));
    overlay.addEventListener("keydown", trap);
    add(d.body, overlay);
    describe();
    (box.querySelector("[role=switch]:not([disabled])") || box.querySelector("button")).focus();
  }

  function trap(e) {
    if (e.key === "Escape") { close(); return; }
    if (e.key !== "Tab") return;
    var f = overlay.querySelectorAll("button:not([disabled]),summary,a[href]");
    var first = f[0], end = f[f.length - 1];
    if (e.shiftKey && d.activeElement === first) { e.preventDefault(); end.focus(); }
    else if (!e.shiftKey && d.activeElement === end) { e.preventDefault(); first.focus(); }
  }

  /* Closes the centre (and the banner once decided); focus goes back to
     what opened the centre, or, if that went with the banner, to the
     page's link that opens it again. */
  function close() {
    var was = overlay;
    if (overlay) { overlay.parentNode.removeChild(overlay); overlay = null; }
    if (api.consent && api.consent.decided) hideBanner();
    if (!was) return;
    var to = opener && opener !== d.body && d.body.contains(opener) ? opener
      : banner ? banner.querySelector("button") : d.querySelector("[data-crumb-open]");
    if (to) to.focus();
  }

  function start() {
    d.addEventListener("click", function (e) {
      var target = e.target.closest ? e.target.closest("[data-crumb-open]") : null;
      if (target) openSettings(e);
    });
    if (bc) bc.onmessage = load;
    // Back in this tab: the decision may have changed elsewhere meanwhile.
    window.addEventListener("focus", load);
    d.addEventListener("visibilitychange", function () { if (!d.hidden) load(); });
    load().then(function () { if (C.stats) { watchNavigation(); view(); } });
    // A page with an ad slot gets the slot filler (docs/ad-slots.md).
    if (d.querySelector("[data-crumb-ad]")) add(d.head, el("script", { src: C.api + "../crumb-ad.js", nonce: N }));
  }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start); else start();
})();
