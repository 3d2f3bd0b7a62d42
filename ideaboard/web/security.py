"""HTTP hardening: security headers, HTTPS-only cookies, and trusting a proxy only when told."""

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """Scripts and styles only from our own static files: no inline code, no eval; framing
    by nobody (but the embeddable badge: web/embed.py)."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
HSTS = "max-age=63072000; includeSubDomains"


class SessionInterface(SecureCookieSessionInterface):
    """Over HTTPS the session cookie is Secure and named __Host- (no subdomain can set it)."""

    def get_cookie_name(self, app: Flask) -> str:
        name = super().get_cookie_name(app)
        return f"__Host-{name}" if request.is_secure else name

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure

    def open_session(self, app: Flask, request):
        # Most visitors have no cookie: skip building the signing serializer for them.
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        # Static files never need the session; re-signing it there would add Set-Cookie and
        # Vary: Cookie, and browsers and CDNs would not cache the immutable assets.
        if request.endpoint == "static":
            return None
        if not session and not session.modified:
            # Nothing to store or delete (the base class works out every cookie setting first).
            if session.accessed:
                response.vary.add("Cookie")
            return None
        return super().save_session(app, session, response)


SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _add_headers(response):
    # One pass over the headers instead of a search per header: this runs on every answer.
    present = {name.lower() for name, _ in response.headers}
    wanted = SECURITY_HEADERS.items()
    if request.is_secure:
        wanted = [*wanted, ("Strict-Transport-Security", HSTS)]
    response.headers.extend((k, v) for k, v in wanted if k.lower() not in present)
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    if app.config["TRUST_PROXY"]:
        # Only behind a proxy we run: otherwise any client could claim to be on HTTPS.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.after_request(_add_headers)
