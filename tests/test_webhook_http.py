"""The webhook transport against real HTTP servers on this machine: what it refuses, what it sends.

The receivers listen on loopback, which the transport refuses by default; the tests that expect a
delivery name 127.0.0.1 (or localhost, ::1) in allow_hosts, as an operator would.
"""

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ideaboard import webhook_http
from ideaboard.webhook_http import Answer, Refused, Unreachable, check_url, forbidden_reason, post
from tests.servers import free_port

LOOPBACK = frozenset({"127.0.0.1"})
BODY = b'{"event": "idea.created", "id": 42}'
# Long enough for any guard in these tests to have fired, short enough not to stall the suite.
GUARD_SECONDS = 2.5


@dataclass
class Received:
    method: str
    path: str
    headers: Message
    body: bytes


class Receiver(ThreadingHTTPServer):
    """A real HTTP server that records what reaches it and answers with `answer(handler)`."""

    daemon_threads = True

    def __init__(self, host: str, answer: Callable[[BaseHTTPRequestHandler], None]):
        self.answer = answer
        self.connections = 0
        self.requests: list[Received] = []
        # Set when the test ends: a receiver still waiting or dripping stops at once.
        self.release = threading.Event()
        super().__init__((host, 0), ReceiverHandler)

    def verify_request(self, request, client_address) -> bool:
        self.connections += 1
        return True

    @property
    def port(self) -> int:
        return self.server_address[1]


class IPv6Receiver(Receiver):
    address_family = socket.AF_INET6


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append(Received("POST", self.path, self.headers, body))
        # The client may hang up early (that is what some tests check); that is no error here.
        try:
            self.server.answer(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format, *args) -> None:
        pass  # the tests read what was received, not a log on stderr


@contextmanager
def receiving(
    answer: Callable[[BaseHTTPRequestHandler], None],
    host: str = "127.0.0.1",
    server_class: type[Receiver] = Receiver,
    tls: ssl.SSLContext | None = None,
) -> Iterator[Receiver]:
    server = server_class(host, answer)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def answer_with(status: int, body: bytes = b"ok", **headers: str):
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def answer_after_three_seconds(handler: BaseHTTPRequestHandler) -> None:
    handler.server.release.wait(3)
    answer_with(200)(handler)


def answer_five_megabytes(handler: BaseHTTPRequestHandler) -> None:
    chunk = b"x" * 65536
    handler.send_response(200)
    handler.send_header("Content-Length", str(80 * len(chunk)))
    handler.end_headers()
    for _ in range(80):
        handler.wfile.write(chunk)


def answer_one_byte_at_a_time(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    # Each byte comes well within the per-read timeout; only a total deadline stops this.
    for _ in range(1000):
        if handler.server.release.wait(0.1):
            return
        handler.wfile.write(b"x")
        handler.wfile.flush()


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "10.255.255.254",
        "172.16.0.1",
        "172.31.255.1",
        "192.168.1.1",
        "fc00::1",
        "fd12:3456::1",
        "127.0.0.1",
        "127.9.9.9",
        "::1",
        "169.254.1.1",
        "fe80::1",
        "224.0.0.1",
        "239.255.255.250",
        "ff02::1",
        "0.0.0.0",
        "0.1.2.3",
        "::",
        "240.0.0.1",
        "255.255.255.255",
        "100.64.1.1",
        "100.127.255.254",
        "169.254.169.254",
        "fd00:ec2::254",
        "100.100.100.200",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "192.0.2.10",
        "2001:db8::1",
    ],
)
def test_forbidden_reason_names_each_non_public_address(address):
    assert forbidden_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "metadata"),
        ("100.64.1.1", "carrier-grade NAT"),
        ("64:ff9b::a00:1", "private"),
    ],
)
def test_forbidden_reason_says_what_kind_of_address_it_is(address, words):
    assert words in forbidden_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_forbidden_reason_lets_public_addresses_through(address):
    assert forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "gopher://hooks.example.com/x",
        "http://user:pw@hooks.example.com/",
        "http:///nohost",
        "javascript:alert(1)",
        "http://hooks.example.com:0/",
        "http://hooks.example.com:70000/",
        "https://hooks.example.com/x#part",
        "https://hooks.example.com/\nx",
        "",
        "https://hooks.example.com/" + "x" * 2100,
    ],
)
def test_check_url_refuses_urls_that_can_never_be_called(url):
    assert check_url(url)


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/x", "http://127.0.0.1:8000/hook", "http://[::1]:8080/"]
)
def test_check_url_accepts_http_and_https_urls(url):
    assert check_url(url) is None


def test_a_bad_url_is_refused_by_post_too():
    with pytest.raises(Refused, match="http"):
        post("file:///etc/passwd", BODY, {})


def test_loopback_is_refused_and_nothing_reaches_the_receiver():
    with receiving(answer_with(200)) as receiver:
        with pytest.raises(Refused, match=r"127\.0\.0\.1.*loopback"):
            post(f"http://127.0.0.1:{receiver.port}/hook", BODY, {})
        assert receiver.connections == 0 and receiver.requests == []


def test_an_allowed_host_receives_the_exact_body_and_headers():
    with receiving(answer_with(200, b'{"ok": true}')) as receiver:
        url = f"http://127.0.0.1:{receiver.port}/hook?team=7"
        answer = post(url, BODY, {"X-IdeaBoard-Signature": "sha256=abc"}, allow_hosts=LOOPBACK)
    assert answer == Answer(status=200, body=b'{"ok": true}', truncated=False)
    [received] = receiver.requests
    assert (received.method, received.path, received.body) == ("POST", "/hook?team=7", BODY)
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"] == "IdeaBoard-Webhooks/1"
    assert received.headers["X-IdeaBoard-Signature"] == "sha256=abc"
    assert received.headers["Content-Length"] == str(len(BODY))
    assert received.headers["Connection"] == "close"
    assert received.headers["Host"] == f"127.0.0.1:{receiver.port}"


def test_a_header_passed_in_replaces_the_default_content_type():
    with receiving(answer_with(204, b"")) as receiver:
        headers = {"content-type": "application/cloudevents+json"}
        post(f"http://127.0.0.1:{receiver.port}/", BODY, headers, allow_hosts=LOOPBACK)
    assert receiver.requests[0].headers.get_all("Content-Type") == ["application/cloudevents+json"]


@pytest.mark.parametrize(
    "headers", [{"X-Evil": "a\r\nHost: elsewhere"}, {"Host": "elsewhere"}, {"Bad Name": "x"}]
)
def test_headers_that_would_change_the_request_are_refused(headers):
    with receiving(answer_with(200)) as receiver:
        with pytest.raises(Refused):
            post(f"http://127.0.0.1:{receiver.port}/", BODY, headers, allow_hosts=LOOPBACK)
        assert receiver.connections == 0


def test_localhost_is_refused_unless_allowed():
    with receiving(answer_with(200)) as receiver:
        url = f"http://localhost:{receiver.port}/hook"
        with pytest.raises(Refused, match="localhost resolves to .*loopback"):
            post(url, BODY, {})
        with pytest.raises(Refused):
            post(url, BODY, {}, allow_hosts=LOOPBACK)  # the name is what the operator allows
        assert receiver.connections == 0
        assert post(url, BODY, {}, allow_hosts=frozenset({"localhost"})).status == 200
    assert len(receiver.requests) == 1


def test_ipv6_loopback_is_refused():
    with pytest.raises(Refused, match="loopback"):
        post("http://[::1]:8080/", BODY, {})


def ipv6_loopback_problem() -> str | None:
    """Why this machine cannot listen on ::1 (no IPv6 in a container, say), or None."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError as error:
        return f"this machine cannot listen on ::1 ({error})"
    return None


def test_ipv6_loopback_is_reached_when_allowed():
    if problem := ipv6_loopback_problem():
        pytest.skip(problem)
    with receiving(answer_with(200), host="::1", server_class=IPv6Receiver) as receiver:
        url = f"http://[::1]:{receiver.port}/hook"
        with pytest.raises(Refused):
            post(url, BODY, {})
        assert post(url, BODY, {}, allow_hosts=frozenset({"::1"})).status == 200
    assert receiver.requests[0].headers["Host"] == f"[::1]:{receiver.port}"


def test_a_redirect_is_returned_not_followed():
    with (
        receiving(answer_with(200)) as other,
        receiving(answer_with(302, b"", Location=f"http://127.0.0.1:{other.port}/")) as receiver,
    ):
        answer = post(f"http://127.0.0.1:{receiver.port}/", BODY, {}, allow_hosts=LOOPBACK)
        assert answer.status == 302
        assert other.connections == 0 and other.requests == []


def test_the_allow_list_is_checked_on_every_call():
    with receiving(answer_with(200)) as receiver:
        url = f"http://127.0.0.1:{receiver.port}/hook"
        assert post(url, BODY, {}, allow_hosts=LOOPBACK).status == 200
        with pytest.raises(Refused):
            post(url, BODY, {}, allow_hosts=frozenset())
    assert len(receiver.requests) == 1


def test_the_host_is_resolved_once_per_call_and_that_address_is_used(monkeypatch):
    lookups = []

    def resolve(host, port, *args, **kwargs):
        lookups.append(host)
        if host != "rebind.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]

    with receiving(answer_with(200)) as receiver:
        monkeypatch.setattr(webhook_http.socket, "getaddrinfo", resolve)
        url = f"http://rebind.test:{receiver.port}/hook"
        with pytest.raises(Refused, match=r"rebind\.test resolves to 127\.0\.0\.1"):
            post(url, BODY, {})
        assert lookups == ["rebind.test"] and receiver.connections == 0

        lookups.clear()
        assert post(url, BODY, {}, allow_hosts=frozenset({"rebind.test"})).status == 200
        assert lookups == ["rebind.test"]
        assert post(url, BODY, {}, allow_hosts=frozenset({"rebind.test"})).status == 200
        assert lookups == ["rebind.test", "rebind.test"]
    assert receiver.requests[0].headers["Host"] == f"rebind.test:{receiver.port}"


def test_a_host_that_does_not_resolve_is_unreachable(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhook_http.socket, "getaddrinfo", resolve)
    with pytest.raises(Unreachable, match="cannot resolve nowhere.test"):
        post("https://nowhere.test/hook", BODY, {})


def test_a_receiver_that_does_not_answer_times_out():
    with receiving(answer_after_three_seconds) as receiver:
        started = time.monotonic()
        with pytest.raises(Unreachable, match="did not answer"):
            url = f"http://127.0.0.1:{receiver.port}/"
            post(url, BODY, {}, allow_hosts=LOOPBACK, timeout=0.5)
        assert time.monotonic() - started < GUARD_SECONDS


def test_a_slow_drip_body_is_cut_off_at_the_total_deadline():
    with receiving(answer_one_byte_at_a_time) as receiver:
        started = time.monotonic()
        with pytest.raises(Unreachable, match="no complete answer"):
            url = f"http://127.0.0.1:{receiver.port}/"
            post(url, BODY, {}, allow_hosts=LOOPBACK, timeout=0.3)
        assert time.monotonic() - started < GUARD_SECONDS


def test_a_large_body_is_cut_at_max_bytes():
    with receiving(answer_five_megabytes) as receiver:
        url = f"http://127.0.0.1:{receiver.port}/"
        answer = post(url, BODY, {}, allow_hosts=LOOPBACK, max_bytes=1000)
    assert answer.status == 200 and answer.truncated is True
    assert answer.body == b"x" * 1000


def test_a_body_of_exactly_max_bytes_is_not_truncated():
    with receiving(answer_with(200, b"y" * 1000)) as receiver:
        url = f"http://127.0.0.1:{receiver.port}/"
        answer = post(url, BODY, {}, allow_hosts=LOOPBACK, max_bytes=1000)
    assert answer == Answer(status=200, body=b"y" * 1000, truncated=False)


def test_a_closed_port_is_unreachable():
    with pytest.raises(Unreachable, match="refused"):
        post(f"http://127.0.0.1:{free_port()}/", BODY, {}, allow_hosts=LOOPBACK)


def test_a_server_error_is_an_answer():
    with receiving(answer_with(500, b"boom")) as receiver:
        url = f"http://127.0.0.1:{receiver.port}/"
        answer = post(url, BODY, {}, allow_hosts=LOOPBACK)
    assert answer == Answer(status=500, body=b"boom", truncated=False)


@pytest.fixture
def localhost_certificate(tmp_path):
    """A self-signed certificate for the name localhost (and no IP address), made by openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    key, certificate = tmp_path / "key.pem", tmp_path / "certificate.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", str(key)]
        + ["-out", str(certificate), "-addext", "subjectAltName=DNS:localhost"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    return certificate, context


def test_https_refuses_an_untrusted_certificate(localhost_certificate):
    _, tls = localhost_certificate
    with receiving(answer_with(200), tls=tls) as receiver:
        with pytest.raises(Unreachable, match="certificate"):
            url = f"https://localhost:{receiver.port}/"
            post(url, BODY, {}, allow_hosts=frozenset({"localhost"}))
        assert receiver.requests == []


def test_https_checks_the_certificate_against_the_url_host(localhost_certificate, monkeypatch):
    certificate, tls = localhost_certificate
    # Trusted the way an operator would add a private CA: OpenSSL reads SSL_CERT_FILE.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    with receiving(answer_with(200), tls=tls) as receiver:
        allowed = frozenset({"localhost", "127.0.0.1"})
        answer = post(f"https://localhost:{receiver.port}/", BODY, {}, allow_hosts=allowed)
        assert answer.status == 200
        with pytest.raises(Unreachable, match="certificate"):
            post(f"https://127.0.0.1:{receiver.port}/", BODY, {}, allow_hosts=allowed)
    assert receiver.requests[0].headers["Host"] == f"localhost:{receiver.port}"
