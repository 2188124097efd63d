// Registers the service worker named on <body data-pv-sw="..." data-pv-sw-scope="...">: the portal and the agent UI
// are installable web apps. Nothing happens where service workers are unavailable (plain http on another host).
(function () {
  "use strict";
  var body = document.body;
  var url = body && body.getAttribute("data-pv-sw");
  if (!url || !("serviceWorker" in navigator)) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: body.getAttribute("data-pv-sw-scope") || "/" }).catch(function () {});
  });
})();
