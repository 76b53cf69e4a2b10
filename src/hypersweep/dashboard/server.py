"""Serving the dashboard with uvicorn, in the foreground (the CLI) or in a background thread."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Collection
from types import TracebackType
from typing import TYPE_CHECKING

from hypersweep.api.workspace import Workspace

if TYPE_CHECKING:
    import uvicorn

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DashboardServer",
    "allowed_hosts_for",
    "exposure_warning",
    "is_loopback",
]

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_ANY_ADDRESS = ("0.0.0.0", "::", "")
_START_TIMEOUT_SECONDS = 10.0


def is_loopback(host: str) -> bool:
    """Return whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1,
    localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """Return a warning when binding to ``host`` lets other machines reach the dashboard."""
    if is_loopback(host):
        return None

    return (f"The dashboard listens on {host or 'every address'}, so other machines on the "
            "network can read every sweep, metric, tag and log of this workspace; it has no "
            "login. Use --host 127.0.0.1 unless the network is trusted.")


def allowed_hosts_for(host: str, port: int, extra: Collection[str] = ()) -> set[str]:
    """Return the ``Host`` header values (``name:port``) that a dashboard on ``host`` accepts.

    A loopback address accepts the loopback names. An unspecified address (0.0.0.0 or ::)
    accepts those and this machine's host names; ``extra`` adds names, such as the address
    that other machines use.
    """
    names: set[str] = set()
    if is_loopback(host) or host in _ANY_ADDRESS:
        names.update(_LOOPBACK_NAMES)
    if host in _ANY_ADDRESS:
        names.update({socket.gethostname(), socket.getfqdn()})
    elif host:
        names.add(_bracketed(host))
    names.update(_bracketed(name) for name in extra)
    return {f"{name.lower()}:{port}" for name in names if name}


class DashboardServer:
    """The dashboard of one workspace, served by uvicorn on ``host:port``.

    ``port=0`` picks a free port; :attr:`url` gives the address once bound. Use
    :meth:`serve_forever` in a program, or :meth:`start` and :meth:`stop` (or a ``with``
    block) to serve from a background thread, for example inside a notebook.
    """

    def __init__(self, workspace: Workspace | str | None = None, *, host: str = DEFAULT_HOST,
                 port: int = DEFAULT_PORT, allowed_hosts: Collection[str] = (),
                 log_level: str = "warning") -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ValueError(f"port={port!r} is invalid; use an int from 0 to 65535 "
                             "(0 picks a free port).")

        self.workspace = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        self.host = host
        self.port = port
        self.extra_hosts = tuple(allowed_hosts)
        self.log_level = log_level
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The address of the dashboard's home page."""
        shown = "127.0.0.1" if self.host in _ANY_ADDRESS else _bracketed(self.host)
        return f"http://{shown}:{self.port}/"

    def bind(self) -> socket.socket:
        """Open the listening socket (once) and return it; raises OSError when the address is
        in use."""
        if self._socket is not None:
            return self._socket

        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # Naming the protocol matters: asyncio turns off Nagle's algorithm only on sockets whose
        # proto is IPPROTO_TCP, and without that each small response waited about 40 ms for
        # the client's delayed ACK (measured on Linux with uvicorn 0.55).
        listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host.strip("[]"), self.port))
            listener.listen(128)
        except OSError:
            listener.close()
            raise

        self.port = listener.getsockname()[1]
        self._socket = listener
        return listener

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C) or until :meth:`stop` is called from elsewhere."""
        server, listener = self._prepare()
        logger.info("Dashboard of %s serving at %s", self.workspace.path, self.url)
        try:
            server.run(sockets=[listener])
        finally:
            self._close_socket()

    def start(self) -> DashboardServer:
        """Serve from a daemon thread and return once the server accepts connections."""
        if self._thread is not None:
            return self

        server, listener = self._prepare()
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]},
                                  name="hypersweep-dashboard", daemon=True)
        self._thread = thread
        thread.start()

        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not server.started:
            self.stop()
            raise RuntimeError(f"The dashboard did not start on {self.url} within "
                               f"{_START_TIMEOUT_SECONDS:g} s; see the log for the error.")
        return self

    def stop(self) -> None:
        """Stop a server started with :meth:`start` and wait for its thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_START_TIMEOUT_SECONDS)
            self._thread = None
        self._close_socket()

    def __enter__(self) -> DashboardServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def _prepare(self) -> tuple[uvicorn.Server, socket.socket]:
        import uvicorn

        from hypersweep.dashboard.app import create_app

        listener = self.bind()
        warning = exposure_warning(self.host)
        if warning:
            logger.warning(warning)

        hosts = allowed_hosts_for(self.host, self.port, self.extra_hosts)
        app = create_app(self.workspace, allowed_hosts=hosts)
        # log_config=None leaves logging to the program, as a library should. Proxy headers
        # are ignored because no proxy runs in front of a local dashboard.
        config = uvicorn.Config(app, log_config=None, log_level=self.log_level,
                                access_log=False, proxy_headers=False, server_header=False,
                                lifespan="off", timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        self._server = server
        return server, listener

    def _close_socket(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
            self._socket = None


def _bracketed(host: str) -> str:
    """Return an IPv6 address in brackets, as it appears in a Host header."""
    return f"[{host.strip('[]')}]" if ":" in host.strip("[]") else host
