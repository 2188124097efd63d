// Payvand's service worker (served at /sw.js for the agent UI and /portal/sw.js for the portal). Pages are always
// fetched from the network (they are personal and change all the time); offline, a short notice is shown. Static files (versioned by whitenoise) are served from the cache once fetched.
"use strict";
var CACHE = "payvand-v1";

self.addEventListener("install", function (event) { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        });
      });
    }));
    return;
  }
  if (request.mode === "navigate") {
    // Personal pages are never cached (a shared phone must not show the last customer's requests offline).
    event.respondWith(fetch(request).catch(function () {
      return new Response("<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
        "<p style='font-family:sans-serif;padding:1rem'>Offline · آفلاین · Nincs kapcsolat</p>",
        { headers: { "Content-Type": "text/html; charset=utf-8" } });
    }));
  }
});
