/* crumb — consent banner and preference centre. No dependencies. */
(function () {
  "use strict";
  var C = __CRUMB_CONFIG__, t = C.t, d = document, state = null, banner = null, overlay = null, opener = null;
  // The page's CSP nonce, if it has one: the scripts this one adds carry it.
  var N = d.currentScript ? d.currentScript.nonce : "";
  var api = { consent: null, open: openSettings, acceptAll: acceptAll, rejectAll: rejectAll, save: save, track: track };
  window.crumb = api;

  function el(tag, attrs, text) {
    var e = d.createElement(tag);
    for (var k in attrs) if (attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function site(s) { return s.split("{site}").join(C.site); }
  function signalOf(id) {
    var r = state ? state.refused_by_signal : [];
    for (var i = 0; i < r.length; i++) if (r[i][0] === id) return r[i][1];
    // The browser's own signals count even if a proxy dropped the headers.
    if (C.gpc && navigator.globalPrivacyControl === true && id === "marketing") return "gpc";
    if (C.dnt && navigator.doNotTrack === "1" && (id === "marketing" || id === "statistics")) return "dnt";
    return null;
  }
  function optional() {
    return C.cats.filter(function (c) { return c.id !== "necessary"; }).map(function (c) { return c.id; });
  }
  function allowed() { return optional().filter(function (id) { return !signalOf(id); }); }
  function has(list, id) { return list.indexOf(id) >= 0; }

  function announce(text) {
    var live = d.getElementById("crumb-live");
    if (!live) { live = el("div", { id: "crumb-live", role: "status", "class": "crumb-s" }); d.body.appendChild(live); }
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
      if (N) s.nonce = N;
      s.text = old.text;
      old.parentNode.replaceChild(s, old);
    }
  }

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
      fetch(C.stats.api, { method: "POST", keepalive: true, credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: json })["catch"](function () {});
    } catch (e) { if (navigator.sendBeacon) navigator.sendBeacon(C.stats.api, json); }
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
    if (e.type === "auxclick" && e.button !== 1) return; // middle-click opens a tab: no click event
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
    d.dispatchEvent(new CustomEvent("crumb:consent", { detail: api.consent }));
  }

  function save(granted) {
    return fetch(C.api, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ granted: granted, language: C.lang })
    }).then(function (r) {
      if (!r.ok) throw new Error("crumb: consent not saved (" + r.status + ")");
      return r.json();
    }).then(function (receipt) {
      api.receipt = receipt;
      apply(receipt.granted);
      close();
      announce(t.saved);
      return receipt;
    });
  }
  function acceptAll() { return save(allowed()); }
  function rejectAll() { return save([]); }

  function buttons(extra) {
    var row = el("div", { "class": "crumb-x" });
    var reject = el("button", { type: "button", "data-crumb": "reject" }, t.reject_all);
    var accept = el("button", { type: "button", "data-crumb": "accept" }, t.accept_all);
    reject.onclick = rejectAll;
    accept.onclick = acceptAll;
    row.appendChild(reject);
    if (extra) row.appendChild(extra);
    row.appendChild(accept);
    return row;
  }

  function signalNotes(parent) {
    ["gpc", "dnt"].forEach(function (s) {
      var off = optional().filter(function (id) { return signalOf(id) === s; });
      if (off.length) parent.appendChild(el("p", { "data-crumb-signal": s }, t["refused_" + s]));
    });
  }

  function showBanner() {
    if (banner) return;
    banner = el("section", { "class": "crumb-b", role: "dialog", "aria-modal": "false", "aria-labelledby": "crumb-bt", "aria-describedby": "crumb-bd", lang: C.lang });
    banner.appendChild(el("h2", { id: "crumb-bt" }, site(t.banner_title)));
    banner.appendChild(el("p", { id: "crumb-bd" }, t.banner_text));
    signalNotes(banner);
    var choose = el("button", { type: "button", "class": "crumb-2", "data-crumb": "choose" }, t.customise);
    choose.onclick = function () { openSettings(); };
    banner.appendChild(buttons(choose));
    var more = el("p", {});
    more.appendChild(el("a", { href: C.policy }, t.policy_link));
    banner.appendChild(more);
    d.body.appendChild(banner);
    banner.querySelector("button").focus();
  }

  function openSettings(ev) {
    if (ev && ev.preventDefault) ev.preventDefault();
    if (overlay) return;
    opener = d.activeElement;
    var granted = api.consent ? api.consent.granted : [];
    overlay = el("div", { "class": "crumb-o" });
    var box = el("div", { "class": "crumb-d", role: "dialog", "aria-modal": "true", "aria-labelledby": "crumb-st", lang: C.lang });
    box.appendChild(el("h2", { id: "crumb-st" }, t.settings_title));
    box.appendChild(el("p", {}, t.settings_text));
    var form = el("form", {});
    C.cats.forEach(function (c) {
      var fs = el("fieldset", {}), sig = signalOf(c.id), id = "crumb-c-" + c.id;
      fs.appendChild(el("legend", {}, c.name));
      var label = el("label", { "for": id });
      var box2 = el("input", { type: "checkbox", id: id, name: c.id, "aria-describedby": id + "-d" });
      if (c.id === "necessary") { box2.checked = true; box2.disabled = true; }
      else if (sig) { box2.checked = false; box2.disabled = true; }
      else box2.checked = has(granted, c.id);
      label.appendChild(box2);
      label.appendChild(d.createTextNode(c.id === "necessary" ? t.always_on : c.name));
      fs.appendChild(label);
      var desc = el("small", { id: id + "-d" }, sig ? t["refused_" + sig] + " " + c.desc : c.desc);
      fs.appendChild(desc);
      var ul = el("ul", { "aria-label": t.cookies_in_category });
      c.cookies.forEach(function (k) { ul.appendChild(el("li", {}, k.name + " — " + k.purpose + " (" + k.lifetime + ")")); });
      fs.appendChild(ul);
      form.appendChild(fs);
    });
    var saveBtn = el("button", { type: "submit", "class": "crumb-2", "data-crumb": "save" }, t.save);
    form.onsubmit = function (e) {
      e.preventDefault();
      save(optional().filter(function (id) { var i = form.elements[id]; return i && i.checked && !i.disabled; }));
    };
    form.appendChild(buttons(saveBtn));
    var closeBtn = el("button", { type: "button", "class": "crumb-2", "data-crumb": "close" }, t.close);
    closeBtn.onclick = close;
    var row = el("div", { "class": "crumb-x" });
    row.appendChild(closeBtn);
    form.appendChild(row);
    box.appendChild(form);
    overlay.appendChild(box);
    overlay.addEventListener("keydown", trap);
    d.body.appendChild(overlay);
    var first = box.querySelector("input:not([disabled]),button");
    if (first) first.focus();
  }

  function trap(e) {
    if (e.key === "Escape") { close(); return; }
    if (e.key !== "Tab") return;
    var f = overlay.querySelectorAll("input:not([disabled]),button,a[href]");
    var first = f[0], last = f[f.length - 1];
    if (e.shiftKey && d.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && d.activeElement === last) { e.preventDefault(); first.focus(); }
  }

  function close() {
    var wasOpen = overlay;
    if (overlay) { overlay.parentNode.removeChild(overlay); overlay = null; }
    if (banner && api.consent && api.consent.decided) { banner.parentNode.removeChild(banner); banner = null; }
    if (wasOpen && banner) banner.querySelector("button").focus();
    else if (wasOpen && opener && opener.focus) opener.focus();
  }

  function start() {
    d.addEventListener("click", function (e) {
      var target = e.target.closest ? e.target.closest("[data-crumb-open]") : null;
      if (target) openSettings(e);
    });
    fetch(C.api, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (s) {
      state = s;
      if (s.decided) apply(s.granted);
      else api.consent = { granted: ["necessary"], decided: false };
      if (s.needs_prompt) showBanner();
      if (C.stats) { watchNavigation(); view(); }
    });
  }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start); else start();
})();
