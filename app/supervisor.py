"""uvicorn's worker supervisor with one listening socket per worker (SO_REUSEPORT).

With uvicorn's own `--workers`, every worker accepts from one shared socket, and whichever wakes
first takes every connection waiting: 8 keep-alive clients that connect together all land on
one worker, which then runs at 100 % of a core while the other idles (measured: /v1/performance
at 295 requests/s, one worker at 1.06 cores, the other at 0). Here each worker listens on a
socket of its own, bound to the same address with SO_REUSEPORT, and the kernel spreads new
connections over the sockets listening (by a hash of the client's address and port, as nginx's
`reuseport` and gunicorn's `--reuse-port` do).

The supervisor binds each worker's socket, hands it over and closes its own copy, so the socket
lives exactly as long as its worker: when a worker dies its socket closes with it and new
connections go to the other workers at once (a replacement takes seconds to import the app, and
a socket kept open meanwhile made the connections hashed to it wait that long). The replacement
gets a new socket. Connections already queued on the dead worker's socket are reset, as they
would be with any dead process. Restart, health checks and signals are uvicorn's
`Multiprocess`.
"""

from __future__ import annotations

import logging
import socket
import sys

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("uvicorn.error")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) with SO_REUSEPORT, inheritable by a worker."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        logger.error(exc)
        sys.exit(STARTUP_FAILURE)
    sock.set_inheritable(True)
    return sock


class ReusePortSupervisor(Multiprocess):
    """`Multiprocess` in which every worker, first or replacement, gets a socket of its own."""

    def __init__(self, config: Config, first: socket.socket) -> None:
        super().__init__(config, [])
        #: The first worker's socket, bound before the supervisor starts (so that a port the
        #: kernel chose is known); the others bind to the same port.
        self._first: socket.socket | None = first
        self.host, self.port = config.host, first.getsockname()[1]
        #: A worker failed before serving (bad app, database or socket): the parent stops.
        self.failed_to_start = False

    def _spawn(self, sock: socket.socket | None = None) -> Process:
        sock = sock or reuse_port_socket(self.host, self.port)
        process = Process(self.config, [sock])
        process.start()
        # The worker has its own copy now (multiprocessing duplicated it for the child).
        sock.close()
        return process

    def init_processes(self) -> None:
        first, self._first = self._first, None
        self.processes = [self._spawn(first)]
        self.processes += [self._spawn() for _ in range(self.processes_num - 1)]

    def keep_subprocess_alive(self) -> None:
        """uvicorn's loop, with a replacement worker on a new socket."""
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung, or already gone
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                logger.error(
                    f"Child process [{process.pid}] failed to start, stopping the parent process."
                )
                self.failed_to_start = True
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info(f"Child process [{process.pid}] died")
            self.processes[index] = self._spawn()

    def restart_all(self) -> None:
        """SIGHUP: replace each worker in turn, the new one ready before the old one stops."""
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._spawn()
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def handle_ttin(self) -> None:
        logger.info("Received SIGTTIN, adding a worker.")
        self.processes_num += 1
        self.processes.append(self._spawn())


def serve_with_workers(config: Config) -> int:
    """Run `config.workers` workers (one too: a dead one is replaced) on one SO_REUSEPORT socket
    each, supervised. Returns the exit status: uvicorn's STARTUP_FAILURE when a worker could
    not start."""
    first = reuse_port_socket(config.host, config.port)
    port = first.getsockname()[1]  # the port the kernel chose, when asked for port 0
    logger.info(
        "Uvicorn running on http://%s:%d with %d workers, one SO_REUSEPORT socket each",
        config.host,
        port,
        config.workers,
    )
    supervisor = ReusePortSupervisor(config, first)
    supervisor.run()
    return STARTUP_FAILURE if supervisor.failed_to_start else 0
