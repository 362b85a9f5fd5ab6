"""Response headers every page carries. (Who may open a page is `portal.permissions`.)"""
from __future__ import annotations

from flask import Flask, request, session

# No inline script or style anywhere: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static" and ("_user_id" in session or session.modified):
            # A page for a signed-in person (and the answer that signs them in or otherwise writes
            # the session) is kept by no cache: not the browser's history after signing out on a
            # shared computer, nor a proxy. Stylesheets and scripts are the same for everyone.
            headers["Cache-Control"] = "no-store"
        return response
