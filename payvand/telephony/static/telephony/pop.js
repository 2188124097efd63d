/* Payvand screen-pop and click-to-call (payvand/telephony). Loaded on every agent page by base.html.
 *
 * - A {"type": "call", "event": "ringing"|"transferred", "url": ..., "contact_url": ...} push on the live socket
 *   (core/static/core/live.js dispatches it as a `pv:live` event) fetches the call banner from `url` (rendered by
 *   the server with the agent's permissions) and shows it in #pv-call-pop, in every open tab. The visible tab, unless
 *   the agent is typing in a form, then opens the caller's 360° page (`contact_url`, one match only), where the
 *   banner sits at the top of the page (?call=<id>).
 * - Later pushes for the shown call (answered, hung up) refresh the banner.
 * - With a PBX connected (data-originate-url set), every tel: link starts the call through the PBX instead.
 * Test hook: <html data-pv-pop="<call id>"> once a banner is shown.
 */
(function () {
  "use strict";
  var script = document.getElementById("pv-telephony");
  var box = document.getElementById("pv-call-pop");
  if (!script || !box) {
    return;
  }
  var originateUrl = script.dataset.originateUrl;
  var popUrl = script.dataset.popUrl; // .../calls/0/pop/
  var csrf = script.dataset.csrf;
  var shown = null;
  var dirty = false;

  document.addEventListener("input", function (event) {
    if (event.target && event.target.closest && event.target.closest("form") && !box.contains(event.target)) {
      dirty = true; // a half-typed form must not be lost to a page change
    }
  });

  function urlFor(callId) {
    return popUrl.replace("/0/", "/" + callId + "/") + "?here=" + encodeURIComponent(location.pathname + location.search);
  }

  function load(url, into, callId) {
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        into.innerHTML = html;
        into.hidden = false;
        document.documentElement.dataset.pvPop = String(callId);
      })
      .catch(function () { /* the call is not ours to see, or the network blinked: nothing to show */ });
  }

  function slot() {
    var main = document.querySelector("main");
    var el = document.getElementById("pv-call-banner-slot");
    if (!el && main) {
      el = document.createElement("div");
      el.id = "pv-call-banner-slot";
      el.className = "card mb-3 border-primary";
      main.insertBefore(el, main.firstChild);
    }
    return el;
  }

  function pop(payload) {
    shown = payload.call;
    var banner = document.getElementById("pv-call-banner-slot");
    if (banner && banner.dataset.call === String(payload.call)) {
      load(urlFor(payload.call), banner, payload.call);
      return;
    }
    load(urlFor(payload.call), box, payload.call);
    var here = location.pathname + location.search;
    if (payload.contact_url && here !== payload.contact_url && document.visibilityState === "visible" && !dirty) {
      location.assign(payload.contact_url);
    }
  }

  document.addEventListener("pv:live", function (event) {
    var payload = event.detail;
    if (!payload || payload.type !== "call") {
      return;
    }
    if (payload.event === "ringing" || payload.event === "transferred") {
      pop(payload);
    } else if (payload.call === shown) {
      var banner = document.getElementById("pv-call-banner-slot");
      load(urlFor(payload.call), banner && !banner.hidden ? banner : box, payload.call);
    }
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-pv-pop-close]");
    if (close) {
      var holder = close.closest("#pv-call-pop, #pv-call-banner-slot");
      if (holder) {
        holder.hidden = true;
      }
      return;
    }
    var link = event.target.closest && event.target.closest('a[href^="tel:"]');
    if (!link || !originateUrl) {
      return; // no PBX: the tel: link opens the agent's phone application
    }
    event.preventDefault();
    var body = new FormData();
    body.append("number", decodeURIComponent(link.getAttribute("href").slice(4)));
    var contact = link.dataset.contact || (document.body.dataset.pvContact || "");
    if (contact) {
      body.append("contact", contact);
    }
    if (link.dataset.callbackOf) {
      body.append("callback_of", link.dataset.callbackOf);
    }
    fetch(originateUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
    })
      .then(function (response) { return response.json(); })
      .then(function (data) { notice(data.message || data.detail || ""); })
      .catch(function () { notice(""); });
  });

  function notice(text) {
    var el = document.createElement("div");
    el.className = "alert alert-info position-fixed top-0 start-50 translate-middle-x mt-2 shadow";
    el.style.zIndex = "1090";
    el.setAttribute("role", "status");
    el.textContent = text;
    document.body.appendChild(el);
    window.setTimeout(function () { el.remove(); }, 5000);
  }

  var callId = new URLSearchParams(location.search).get("call");
  if (callId && /^[0-9]+$/.test(callId)) {
    var el = slot();
    if (el) {
      el.dataset.call = callId;
      shown = Number(callId);
      load(urlFor(callId), el, callId);
    }
  }
})();
