"""Anti-automation without captchas: per-IP and per-account rate limits, and a honeypot field."""

import hashlib
import ipaddress
from collections.abc import Callable

from flask import Flask, abort, current_app, request
from flask_limiter import Limiter
from flask_login import current_user

# Imported for its side effect: it registers the sqlite:/// storage (the default) with limits.
import ideaboard.ratelimit_store  # noqa: F401
from ideaboard.models import normalize_email
from ideaboard.web.errors import MESSAGES

# A text field people never see; bots that fill in every input give themselves away.
HONEYPOT_FIELD = "website"


def ip_key() -> str:
    """The client's address; IPv6 by its /64, since one customer usually holds a whole /64."""
    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address}"
    if ip.version == 6:
        return f"ip:{ipaddress.ip_network((ip, 64), strict=False)}"
    return f"ip:{ip}"


def account_key() -> str:
    """The account a request acts for: the logged-in user, or the email an anonymous form names."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    email = normalize_email(request.form.get("email", ""))
    # Hashed, so the rate-limit store never holds people's addresses.
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


# Moving window: no burst of twice the limit around a window edge. Headers: Retry-After on 429.
limiter = Limiter(key_func=ip_key, strategy="moving-window", headers_enabled=True)


def _setting(name: str) -> Callable[[], str]:
    # Read at request time, so each app (and each test) can set its own numbers.
    return lambda: current_app.config[name]


def _failed(response) -> bool:
    return response.status_code == 400


def throttle(
    action: str,
    failures_only: bool = False,
    exempt_when: Callable[[], bool] | None = None,
    methods: tuple[str, ...] = ("POST",),
) -> Callable:
    """Limit writes to a view per IP and per account, as RATELIMIT_<action>_PER_IP/_ACCOUNT
    say (the API's PUT, PATCH and DELETE count as the site's POSTs)."""

    def decorate(view: Callable) -> Callable:
        for suffix, key_func in (("PER_IP", ip_key), ("PER_ACCOUNT", account_key)):
            view = limiter.limit(
                _setting(f"RATELIMIT_{action}_{suffix}"),
                key_func=key_func,
                methods=list(methods),
                error_message=MESSAGES[429],
                exempt_when=exempt_when,
                deduct_when=_failed if failures_only else None,
            )(view)
        return view

    return decorate


def check_honeypot() -> None:
    """Refuse a form whose hidden field was filled in: 400, nothing saved, no hint why."""
    if request.form.get(HONEYPOT_FIELD):
        abort(400)


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    app.jinja_env.globals["HONEYPOT_FIELD"] = HONEYPOT_FIELD
