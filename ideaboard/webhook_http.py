"""POSTing a webhook body to an admin-given URL without letting it reach internal services.

Knows nothing of the board: it checks a URL, resolves its host once, refuses private, loopback,
link-local and other non-public addresses (unless the operator allows the host), and connects to
the very address it checked, so a DNS answer that changes between check and use changes nothing.
"""

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "IdeaBoard-Webhooks/1"
# The transport decides these; a caller setting them could desynchronise the request.
TRANSPORT_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
# Characters left as they are in the request target; anything else (non-ASCII) is %-encoded.
TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"

METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack…
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
}
# Checked in order: the first network that holds the address names the reason.
FORBIDDEN_NETWORKS = [
    (ipaddress.ip_network(network), reason)
    for network, reason in [
        ("0.0.0.0/32", "unspecified (0.0.0.0)"),
        ("0.0.0.0/8", "'this network' (0.0.0.0/8)"),
        ("255.255.255.255/32", "broadcast (255.255.255.255)"),
        ("10.0.0.0/8", "private (10.0.0.0/8)"),
        ("172.16.0.0/12", "private (172.16.0.0/12)"),
        ("192.168.0.0/16", "private (192.168.0.0/16)"),
        ("127.0.0.0/8", "loopback (127.0.0.0/8)"),
        ("169.254.0.0/16", "link-local (169.254.0.0/16)"),
        ("100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)"),
        ("224.0.0.0/4", "multicast (224.0.0.0/4)"),
        ("240.0.0.0/4", "reserved (240.0.0.0/4)"),
        ("::/128", "unspecified (::)"),
        ("::1/128", "loopback (::1)"),
        ("64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)"),
        ("2001::/32", "Teredo tunnel (2001::/32)"),
        ("2001:db8::/32", "documentation (2001:db8::/32)"),
        ("fc00::/7", "private (fc00::/7)"),
        ("fe80::/10", "link-local (fe80::/10)"),
        ("fec0::/10", "site-local (fec0::/10)"),
        ("ff00::/8", "multicast (ff00::/8)"),
    ]
]
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Refused(Exception):
    """The URL, or the address its host resolves to, may not be called.

    str() says why, for admins.
    """


class Unreachable(Exception):
    """The call was allowed but failed: DNS failure, connection refused, timeout, TLS error.

    str() says why.
    """


@dataclass(frozen=True)
class Answer:
    status: int  # the HTTP status code received
    body: bytes  # at most max_bytes of the response body
    truncated: bool  # True when the response body was longer than max_bytes


def check_url(url: str) -> str | None:
    """Why a webhook URL can never be used (for the admin form, before saving), or None.

    Only http and https, a host, no user:password@, a port 1-65535 if given, no fragment,
    at most 2000 characters.
    """
    if not url:
        return "the URL is empty"
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    # urlsplit silently drops tabs and newlines; a URL that holds any is refused, not repaired.
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return "the URL contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"the URL cannot be read: {error}"
    if parts.scheme not in DEFAULT_PORTS:
        return f"only http:// and https:// URLs can be called, not {parts.scheme or '(none)'}:"
    if not parts.hostname:
        return "the URL has no host"
    if "@" in parts.netloc:
        return "the URL may not contain a user name or password (user:password@)"
    if port is not None and not 1 <= port <= 65535:
        return "the port must be a number from 1 to 65535"
    if "#" in url:
        return "the URL may not contain a fragment (#…)"
    if not _is_ip_literal(parts.hostname) and not _is_host_name(parts.hostname):
        return f"{parts.hostname!r} is not a valid host name"
    return None


def forbidden_reason(address: IPAddress) -> str | None:
    """Why this resolved address may not be called, or None when it is a public address.

    An IPv6 address that carries an IPv4 address (IPv4-mapped, NAT64, 6to4) is judged by the
    IPv4 address inside, since that is where the packets end up.
    """
    if address in METADATA_ADDRESSES:
        return f"a cloud metadata service ({address})"
    if embedded := _embedded_ipv4(address):
        kind, inner = embedded
        reason = forbidden_reason(inner)
        return f"{kind} address of {inner}, which is {reason}" if reason else None
    for network, reason in FORBIDDEN_NETWORKS:
        if address.version == network.version and address in network:
            return reason
    # The standard library's tables catch what the list above leaves out (documentation,
    # benchmarking and other special-purpose ranges).
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private or not address.is_global:
        return "not a public address"
    return None


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_hosts: frozenset[str] = frozenset(),
    timeout: float = 5.0,
    max_bytes: int = 65536,
) -> Answer:
    """POST body to url. Raises Refused or Unreachable; any status code (even 3xx-5xx) is an Answer.

    allow_hosts: hosts (as written in URLs, or literal IPs) the operator lets resolve to
    addresses that are otherwise forbidden, such as a receiver on the same machine.
    timeout: seconds for connecting and for each read; the whole exchange after connecting gets
    twice that. Redirects are never followed: a 3xx is returned like any other answer.
    """
    reason = check_url(url)
    if reason:
        raise Refused(reason)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    request_headers = _request_headers(headers, len(body))
    addresses = _resolve(host, port)
    if _host_key(host) not in {_host_key(allowed) for allowed in allow_hosts}:
        for address in addresses:
            ip = _ip_of(address)
            if reason := forbidden_reason(ip):
                raise Refused(f"{host} resolves to {ip}, which is {reason}")
    connection_class = PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
    connection = connection_class(host, port, addresses, timeout)
    target = quote(parts.path or "/", safe=TARGET_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=TARGET_SAFE)
    try:
        return _exchange(connection, target, body, request_headers, timeout, max_bytes)
    except Unreachable:
        raise
    except (OSError, http.client.HTTPException) as error:
        raise Unreachable(_describe(error, host, port, timeout)) from error
    finally:
        connection.close()


class PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to addresses already checked; the Host header stays the URL's host."""

    def __init__(self, host: str, port: int, addresses: list[tuple], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses
        self.raw_socket: socket.socket | None = None

    def connect(self) -> None:
        self.sock = self.raw_socket = _open_socket(self.addresses, self.timeout)


class PinnedHTTPSConnection(PinnedHTTPConnection):
    """The same over TLS; the certificate is checked against the URL's host, not the address."""

    default_port = 443

    def connect(self) -> None:
        raw_socket = _open_socket(self.addresses, self.timeout)
        try:
            context = ssl.create_default_context()
            self.sock = self.raw_socket = context.wrap_socket(raw_socket, server_hostname=self.host)
        except BaseException:
            raw_socket.close()
            raise


def _exchange(
    connection: PinnedHTTPConnection,
    target: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    max_bytes: int,
) -> Answer:
    connection.connect()
    # A server that answers one byte at a time never trips the per-read timeout: past the
    # deadline a watchdog shuts the socket, which ends whatever read is waiting.
    deadline_passed = threading.Event()

    def cut_off() -> None:
        deadline_passed.set()
        with contextlib.suppress(OSError):
            socket.socket.shutdown(connection.raw_socket, socket.SHUT_RDWR)

    watchdog = threading.Timer(2 * timeout, cut_off)
    watchdog.daemon = True
    watchdog.start()
    response = None
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        # One byte more than allowed tells whether there was more, without reading the rest.
        data = response.read(max_bytes + 1)
    except (OSError, http.client.HTTPException):
        if deadline_passed.is_set():
            raise Unreachable(f"no complete answer within {2 * timeout:g} s")
        raise
    finally:
        # Stopped before the sockets close, so it can never shut a socket that is reused.
        watchdog.cancel()
        watchdog.join()
        if response is not None:
            response.close()
    if deadline_passed.is_set():
        raise Unreachable(f"no complete answer within {2 * timeout:g} s")
    return Answer(response.status, data[:max_bytes], len(data) > max_bytes)


def _resolve(host: str, port: int) -> list[tuple]:
    """Every (family, type, proto, canonname, sockaddr) the host resolves to, looked up now."""
    # getaddrinfo has no timeout of its own: the system resolver's settings bound it.
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unreachable(f"cannot resolve {host}: {error}") from error
    if not addresses:
        raise Unreachable(f"{host} resolves to no address")
    return addresses


def _open_socket(addresses: list[tuple], timeout: float) -> socket.socket:
    """A socket connected to the first checked address that accepts, within timeout in all."""
    deadline = time.monotonic() + timeout
    last_error: OSError = TimeoutError("timed out")
    for family, kind, proto, _, sockaddr in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(remaining)
            sock.connect(sockaddr)
            sock.settimeout(timeout)
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error


def _request_headers(headers: dict[str, str], body_length: int) -> dict[str, str]:
    chosen = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    for name, value in headers.items():
        if not HEADER_NAME.fullmatch(name):
            raise Refused(f"{name!r} is not a valid header name")
        if name.lower() in TRANSPORT_HEADERS:
            raise Refused(f"the {name} header is set by the webhook sender, not by hand")
        if any(char in value for char in "\r\n\0") or not value.isascii():
            raise Refused(f"the {name} header's value must be one line of ASCII text")
        # A caller's header replaces the default of the same name, whatever its case.
        for default in [key for key in chosen if key.lower() == name.lower()]:
            del chosen[default]
        chosen[name] = value
    chosen["Content-Length"] = str(body_length)
    chosen["Connection"] = "close"
    return chosen


def _describe(error: BaseException, host: str, port: int, timeout: float) -> str:
    """A short sentence an admin can act on."""
    if isinstance(error, ConnectionRefusedError):
        return f"connection refused by {host} port {port}"
    if isinstance(error, TimeoutError):
        return f"{host} did not answer within {timeout:g} s"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"the TLS certificate of {host} is not valid: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed with {host}: {error.reason or error}"
    if isinstance(error, http.client.HTTPException):
        return f"{host} did not give a valid HTTP answer ({type(error).__name__})"
    return f"cannot reach {host} port {port}: {error.strerror or error}"


def _embedded_ipv4(address: IPAddress) -> tuple[str, ipaddress.IPv4Address] | None:
    """The kind and the IPv4 address an IPv6 address hands its traffic to, if it is one of those."""
    if address.version == 4:
        return None
    if address.ipv4_mapped:
        return "IPv4-mapped", address.ipv4_mapped
    if address in NAT64:
        return "NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour:
        return "6to4", address.sixtofour
    return None


def _ip_of(address: tuple) -> IPAddress:
    # An IPv6 sockaddr may carry a zone ("fe80::1%eth0"); the address is what is judged.
    return ipaddress.ip_address(address[4][0].split("%")[0])


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_host_name(host: str) -> bool:
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return bool(HOST_NAME.fullmatch(ascii_host))


def _host_key(host: str) -> str:
    """A host as compared with the allow list: lower-case, literal IPs in their one spelling."""
    host = host.strip("[]").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host
