/* Payvand live updates: one WebSocket per signed-in page (served by payvand/helpdesk/consumers.py at /ws/live/).
 *
 * The server pushes small JSON payloads: {"type": "ticket", "ticket": 42, "verb": "referred"} when a ticket the
 * user may care about changes, {"type": "notification", "kind": "assigned"} when the user gets a notification.
 * Nothing is rendered from the payload itself: page parts that show live data carry
 *   data-pv-refresh-on="ticket notification"   (the payload types they care about)
 *   hx-get="..." hx-trigger="pv-refresh"        (how htmx re-fetches them)
 * and this script fires `pv-refresh` on them, so the server renders the fresh state with the viewer's permissions.
 * A part with data-pv-keep-selection="<id>" is not refreshed while one of its checkboxes is ticked (a bulk action is
 * being prepared); the element with that id is shown instead (a "the list changed, refresh" notice).
 *
 * Hooks for tests and other scripts: <html data-pv-live="connecting|open|closed">, and a `pv:live` event on
 * document for every payload (event.detail is the payload).
 */
(function () {
  "use strict";

  // A "select all" box: <input type="checkbox" data-pv-check-all="ticket"> ticks every box named "ticket" in the
  // page (lists re-rendered by htmx included, since the handler sits on document).
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || !box.matches || !box.matches("input[data-pv-check-all]")) {
      return;
    }
    var name = box.getAttribute("data-pv-check-all");
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });

  // Once a list with a "changed" notice is re-rendered with nothing ticked, the notice is out of date.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[data-pv-keep-selection]").forEach(function (el) {
      var notice = document.getElementById(el.dataset.pvKeepSelection);
      if (notice && !el.querySelector("input[type=checkbox]:checked")) {
        notice.hidden = true;
      }
    });
  });

  var body = document.body;
  if (!body || !("pvLiveUrl" in body.dataset) || !("WebSocket" in window)) {
    return;
  }
  var root = document.documentElement;
  var path = body.dataset.pvLiveUrl || "/ws/live/";
  var url = (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host + path;

  var MIN_DELAY = 1000;
  var MAX_DELAY = 30000;
  var PING_EVERY = 25000;
  var NOT_SIGNED_IN = 4401;

  var delay = MIN_DELAY;
  var socket = null;
  var pingTimer = null;
  var everOpened = false;
  var pending = {};
  var flushTimer = null;
  var leaving = false;

  function setState(state) {
    root.dataset.pvLive = state;
  }

  function refresh(kind) {
    pending[kind] = true;
    if (flushTimer === null) {
      // Several pushes in a burst (a bulk action, a merge) become one request per page part.
      flushTimer = window.setTimeout(flush, 250);
    }
  }

  function flush() {
    var kinds = pending;
    pending = {};
    flushTimer = null;
    if (!window.htmx) {
      return;
    }
    document.querySelectorAll("[data-pv-refresh-on]").forEach(function (el) {
      var wanted = el.dataset.pvRefreshOn.split(/\s+/);
      if (!wanted.some(function (kind) { return kinds[kind] || kinds["*"]; })) {
        return;
      }
      var noticeId = el.dataset.pvKeepSelection;
      if (noticeId && el.querySelector("input[type=checkbox]:checked")) {
        var notice = document.getElementById(noticeId);
        if (notice) {
          notice.hidden = false;
        }
        return;
      }
      window.htmx.trigger(el, "pv-refresh");
    });
  }

  function onMessage(event) {
    var payload;
    try {
      payload = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (!payload || typeof payload.type !== "string" || payload.type === "pong") {
      return;
    }
    document.dispatchEvent(new CustomEvent("pv:live", { detail: payload }));
    refresh(payload.type);
  }

  function connect() {
    setState("connecting");
    try {
      socket = new WebSocket(url);
    } catch (e) {
      schedule();
      return;
    }
    socket.addEventListener("open", function () {
      setState("open");
      delay = MIN_DELAY;
      if (everOpened) {
        refresh("*"); // we may have missed pushes while the socket was down
      }
      everOpened = true;
      pingTimer = window.setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ type: "ping" }));
        }
      }, PING_EVERY);
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      setState("closed");
      window.clearInterval(pingTimer);
      socket = null;
      if (leaving || event.code === NOT_SIGNED_IN) {
        return; // the page is going away, or the session ended (the next page load asks the user to sign in)
      }
      schedule();
    });
  }

  function schedule() {
    // Exponential backoff with jitter, so a restarted server is not hit by every browser at the same moment.
    var wait = delay / 2 + Math.random() * (delay / 2);
    delay = Math.min(delay * 2, MAX_DELAY);
    window.setTimeout(connect, wait);
  }

  window.addEventListener("pagehide", function () {
    leaving = true;
    if (socket) {
      socket.close(1000);
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && leaving) {
      // Back from the back/forward cache: listen again and catch up.
      leaving = false;
      everOpened = true;
      connect();
    }
  });

  connect();
})();
