"""`kizuna crawl` and `kizuna sources --check` go through `HTTPS_PROXY` when it is set.

A real CONNECT proxy on 127.0.0.1 tunnels every request to a TLS copy of the KPL fixture
site (a throwaway CA from trustme signs its kpl.gov.la certificate). Nothing is mirrored and
offline mode is off: without the proxy, the crawl would have to resolve and reach
kpl.gov.la itself, which this machine cannot (no network), and the proxy records each
CONNECT it tunnelled.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
import yaml

from kizuna.fixture_server import DEMO_SITES, FixtureServer, FixtureSite

from conftest import REPO, Env, config_dir
from test_crawl import _export


class _Tunnel(socketserver.BaseRequestHandler):
    target: tuple[str, int]
    seen: list[str]

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, authority, _ = line.split(" ", 2)
        self.seen.append(f"{method} {authority}")
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = socket.create_connection(self.target)
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pipes = [
            threading.Thread(target=_pipe, args=(self.request, upstream), daemon=True),
            threading.Thread(target=_pipe, args=(upstream, self.request), daemon=True),
        ]
        for t in pipes:
            t.start()
        for t in pipes:
            t.join(timeout=60)
        upstream.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def proxied_kpl(tmp_path: Path) -> Iterator[tuple[str, list[str], Path]]:
    ca = trustme.CA()
    cert = ca.issue_cert("kpl.gov.la", "www.kpl.gov.la")
    context = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with FixtureServer(FixtureSite.load(DEMO_SITES / "kpl"), tls=context) as site:
        seen: list[str] = []
        handler = type("Tunnel", (_Tunnel,), {"target": ("127.0.0.1", site.port), "seen": seen})
        proxy = _Server(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{proxy.server_address[1]}", seen, ca_file
        finally:
            proxy.shutdown()
            proxy.server_close()


def _kpl_only_config(tmp_path: Path) -> Path:
    data = yaml.safe_load((REPO / "config" / "sources.yaml").read_text(encoding="utf-8"))
    data["sources"] = [s for s in data["sources"] if s["key"] == "kpl-en"]
    # The "site" is on this machine: no need to be slow or to retry a failed lookup.
    data["sources"][0]["politeness"] = {"delay": 0, "retries": 0}
    return config_dir(tmp_path, {"sources.yaml": data})


def test_crawl_goes_through_https_proxy(kenv: Env, proxied_kpl, tmp_path: Path) -> None:
    proxy, seen, _ca = proxied_kpl
    config = str(_kpl_only_config(tmp_path))
    done = kenv.run(
        "crawl",
        "kpl-en",
        extra={"HTTPS_PROXY": proxy, "NO_PROXY": "", "KIZUNA_CONFIG_DIR": config},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(_export(kenv)) == 12
    assert seen and all(s == "CONNECT kpl.gov.la:443" for s in seen)


def test_sources_check_goes_through_https_proxy(kenv: Env, proxied_kpl, tmp_path: Path) -> None:
    proxy, seen, ca_file = proxied_kpl
    extra = {
        "HTTPS_PROXY": proxy,
        "NO_PROXY": "",
        "SSL_CERT_FILE": str(ca_file),
        "KIZUNA_CONFIG_DIR": str(_kpl_only_config(tmp_path)),
        "COLUMNS": "200",
    }
    done = kenv.run("sources", "--check", extra=extra)
    assert done.returncode == 0, done.stdout + done.stderr
    row = next(line for line in done.stdout.splitlines() if "kpl-en" in line)
    assert " ok " in row and "4 article links" in row
    assert "CONNECT kpl.gov.la:443" in seen
