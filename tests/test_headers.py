"""Security headers on every response, and HTTPS handling behind a proxy."""

import pytest

from ideaboard import create_app
from tests.conftest import PASSWORD

PAGES = ["/", "/roadmap", "/login", "/register", "/feeds/accepted.rss", "/no-such-page"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_everywhere(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    # Plain HTTP: no HSTS (it would be ignored, and breaks local development).
    assert "Strict-Transport-Security" not in headers


def test_pages_have_no_inline_script_or_style(client):
    """The CSP forbids inline code, so none may be needed by our own pages."""
    for path in ("/", "/roadmap", "/login", "/register"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "<style" not in page and " style=" not in page
        assert " onclick=" not in page and " onload=" not in page


def make_app(tmp_path, monkeypatch, trust_proxy: bool):
    monkeypatch.setenv("IDEABOARD_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("IDEABOARD_TRUST_PROXY", "1" if trust_proxy else "0")
    return create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'proxy.db'}"})


@pytest.mark.parametrize("trusted", [True, False])
def test_forwarded_proto_only_believed_when_configured(tmp_path, monkeypatch, trusted):
    app = make_app(tmp_path, monkeypatch, trusted)
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert ("Strict-Transport-Security" in response.headers) is trusted
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=") is trusted
    assert ("Secure" in cookie) is trusted


def test_static_files_leave_the_session_alone(client, users):
    client.post_form(
        "/login",
        {"email": "member@example.com", "password": PASSWORD, "remember": "y"},
    )
    page = client.get("/").get_data(as_text=True)
    css = page.split('rel="stylesheet" href="')[1].split('"')[0]
    response = client.get(css)
    response.close()  # a file response: close it, or the file stays open
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert "immutable" in response.headers["Cache-Control"]
