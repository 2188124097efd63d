"""Fixtures for the cross-app tests (browser, API fuzzing) that talk to pytest-django's live server over HTTP."""

from __future__ import annotations

from django.core.servers.basehttp import WSGIRequestHandler

# The live server writes the status line, each header and the body in separate small send() calls. With Nagle's
# algorithm on, every response on a kept-alive connection then waits for the client's delayed ACK (~40 ms), which
# makes a browser page or a schemathesis run several times slower. TCP_NODELAY (socketserver's documented switch)
# removes the wait; it changes nothing else.
WSGIRequestHandler.disable_nagle_algorithm = True
