/* crumb — fills the page's ad slots with the site's own ads. No dependencies.
   A slot: <div data-crumb-ad="sidebar" data-crumb-ad-size="300x250"></div>
   (docs/ad-slots.md). Loaded by crumb.js on pages that have a slot, or by
   <script src="/crumb-ad.js" defer>. */
(function () {
  "use strict";
  var d = document, api = "__CRUMB_API__", count = 0, sizes = {};
  var N = d.currentScript ? d.currentScript.nonce : "";
  // Loaded twice (crumb.js and the page): the first one fills the slots.
  if (window.crumbAds) return;
  // For slots a page adds later: crumbAds.fill(element).
  window.crumbAds = { fill: function (slot) { reserve(slot); fill(slot); } };

  /* crumb's own rules: the creative fits inside the slot's box (the box
     itself is the page's to reserve, in its style sheet, so that nothing
     moves when the ad arrives), and a slot that asked to collapse when
     there is no ad goes away. */
  var S = d.createElement("style");
  if (N) S.nonce = N;
  // The slot is a column: the creative takes what room there is (its
  // image shrinks, its text keeps its lines) and the label
  // ("Advertisement · …") always keeps its own.
  S.textContent = "[data-crumb-ad]{overflow:hidden;box-sizing:border-box}" +
    "[data-crumb-ad][data-crumb-ad-state=filled]{display:flex;flex-direction:column}" +
    "[data-crumb-ad][hidden]{display:none!important}" +
    "[data-crumb-ad] .crumb-ad{display:block;flex:1 1 auto;min-height:0;overflow:hidden}" +
    "[data-crumb-ad] .crumb-ad:has(>img){display:flex;flex-direction:column}" +
    "[data-crumb-ad] .crumb-ad-label,[data-crumb-ad] .crumb-ad-text{flex:none}" +
    "[data-crumb-ad] img{flex:0 1 auto;min-height:0;max-width:100%;object-fit:contain;align-self:flex-start}";
  d.head.appendChild(S);

  /* A size the page did not reserve itself: a box of that width (at most
     the space there is) and that aspect ratio. This rule arrives with the
     script, after the first paint, so content below such a slot can move
     once: reserve the box in the page's CSS to avoid even that. */
  function reserve(slot) {
    var size = slot.getAttribute("data-crumb-ad-size"), m = /^(\d{1,4})x(\d{1,4})$/.exec(size || "");
    if (!m || sizes[size]) return;
    sizes[size] = 1;
    try {
      S.sheet.insertRule('[data-crumb-ad-size="' + size + '"]{width:100%;max-width:' + m[1] + "px;aspect-ratio:" +
        m[1] + "/" + m[2] + "}", S.sheet.cssRules.length);
    } catch (e) { /* no CSSOM: the page's own CSS only */ }
  }

  /* Asks /api/ad for the slot's ad. Every slot after the page view's
     first says again=1: the server then records the page only once. */
  function fill(slot) {
    if (slot.getAttribute("data-crumb-ad-state")) return;
    slot.setAttribute("data-crumb-ad-state", "loading");
    var url = api + "ad?slot=" + encodeURIComponent(slot.getAttribute("data-crumb-ad")) +
      "&url=" + encodeURIComponent(location.pathname) + (count++ ? "&again=1" : "");
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.status === 200 ? r.json() : null;
    }).then(function (ad) { show(slot, ad); }, function () { show(slot, null); });
  }

  function show(slot, ad) {
    if (!ad || typeof ad.html !== "string" || !ad.html) {
      slot.setAttribute("data-crumb-ad-state", "empty");
      // No ad: the slot keeps its box, unless the page asked it to go.
      if (slot.hasAttribute("data-crumb-ad-collapse")) slot.hidden = true;
      return;
    }
    slot.innerHTML = ad.html;
    var label = slot.querySelector(".crumb-ad-label");
    slot.setAttribute("role", "complementary");
    slot.setAttribute("aria-label", label ? label.textContent : "Advertisement · " + (ad.advertiser || ""));
    slot.setAttribute("data-crumb-ad-state", "filled");
    slot.setAttribute("data-crumb-ad-basis", String(ad.basis || ""));
    slot.setAttribute("data-crumb-ad-campaign", String(ad.campaign || ""));
    if (typeof ad.impression_url === "string" && ad.impression_url) watch(slot, ad.impression_url);
    try {
      slot.dispatchEvent(new CustomEvent("crumb:ad", { bubbles: true, detail: ad }));
    } catch (e) { /* an old browser: no event */ }
  }

  /* The impression: once at least half of the ad has been in view for a
     second (with the tab visible), one POST to impression_url. */
  function watch(slot, url) {
    if (!window.IntersectionObserver) return;
    var timer = null, seen = false, inView = false;
    function start() {
      if (seen || timer || !inView) return;
      timer = setTimeout(function () {
        timer = null;
        if (!inView) return;
        if (d.hidden) { d.addEventListener("visibilitychange", start, { once: true }); return; }
        seen = true;
        io.disconnect();
        beacon(url);
      }, 1000);
    }
    var io = new IntersectionObserver(function (entries) {
      var e = entries[entries.length - 1];
      inView = e.isIntersecting && e.intersectionRatio >= 0.5;
      if (inView) start();
      else if (timer) { clearTimeout(timer); timer = null; }
    }, { threshold: [0, 0.5, 1] });
    io.observe(slot);
  }

  function beacon(url) {
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(url)) return;
      fetch(url, { method: "POST", keepalive: true, credentials: "same-origin" })["catch"](function () {});
    } catch (e) { /* the impression is lost, the page goes on */ }
  }

  /* Slots near the viewport (within 300 px) are filled; the others when
     they come near. */
  function start() {
    var slots = d.querySelectorAll("[data-crumb-ad]"), near = null;
    if (window.IntersectionObserver) {
      near = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) {
          if (e.isIntersecting) { near.unobserve(e.target); fill(e.target); }
        });
      }, { rootMargin: "300px 0px" });
    }
    for (var i = 0; i < slots.length; i++) {
      reserve(slots[i]);
      if (near) near.observe(slots[i]); else fill(slots[i]);
    }
  }
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start); else start();
})();
