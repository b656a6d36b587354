"""uvicorn's worker supervisor with one listening socket per worker (SO_REUSEPORT).

With uvicorn's own `--workers`, every worker accepts from one shared socket, and whichever wakes
first takes every connection waiting: 8 keep-alive clients that connect together all land on
one worker, which then runs at 100 % of a core while the other idles (measured: /v1/performance
at 295 requests/s, one worker at 1.06 cores, the other at 0). Here each worker listens on a
socket of its own, bound to the same address with SO_REUSEPORT, and the kernel spreads new
connections over them by a hash of the client's address and port (as nginx's `reuseport` and
gunicorn's `--reuse-port` do).

The supervisor (the parent) binds and keeps every socket, so a worker that dies leaves its
socket open: connections the kernel hands it meanwhile wait in its queue for the replacement,
which gets the same socket. Restart, health checks and signals are uvicorn's `Multiprocess`.
"""

from __future__ import annotations

import logging
import socket
import sys

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("uvicorn.error")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) with SO_REUSEPORT, inheritable by the workers."""
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
    """`Multiprocess` in which worker `i` serves `sockets[i]` only (one socket per worker)."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self._slots: list[int] = []
        #: A worker failed before serving (bad app, database or socket): the parent stops.
        self.failed_to_start = False

    def _spawn(self, slot: int) -> Process:
        process = Process(self.config, [self.sockets[slot]])
        process.start()
        return process

    def init_processes(self) -> None:
        self._slots = list(range(self.processes_num))
        self.processes = [self._spawn(slot) for slot in self._slots]

    def keep_subprocess_alive(self) -> None:
        """uvicorn's loop, with a replacement worker given the dead one's socket."""
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
            self.processes[index] = self._spawn(self._slots[index])

    def restart_all(self) -> None:
        """SIGHUP: replace each worker in turn, the new one on the old one's socket."""
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._spawn(self._slots[index])
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def handle_ttin(self) -> None:
        logger.info("Received SIGTTIN, adding a worker on a socket of its own.")
        host, port = self.sockets[0].getsockname()[:2]
        self.sockets.append(reuse_port_socket(host, port))
        self._slots.append(len(self.sockets) - 1)
        self.processes_num += 1
        self.processes.append(self._spawn(self._slots[-1]))

    def handle_ttou(self) -> None:
        if self.processes_num <= 1:
            logger.info("Already one worker: not removing it.")
            return
        logger.info("Received SIGTTOU, removing a worker and its socket.")
        self.processes_num -= 1
        process = self.processes.pop()
        slot = self._slots.pop()
        process.terminate()
        process.join()
        # Connections still queued on the socket are refused once it closes; new ones go to
        # the remaining sockets.
        self.sockets[slot].close()


def serve_with_workers(config: Config) -> int:
    """Run `config.workers` workers (one too: a dead one is replaced) on one SO_REUSEPORT socket
    each, supervised. Returns the exit status: uvicorn's STARTUP_FAILURE when a worker could
    not start."""
    first = reuse_port_socket(config.host, config.port)
    port = first.getsockname()[1]  # the port the kernel chose, when asked for port 0
    sockets = [first] + [reuse_port_socket(config.host, port) for _ in range(config.workers - 1)]
    logger.info(
        "Uvicorn running on http://%s:%d with %d workers, one SO_REUSEPORT socket each",
        config.host,
        port,
        config.workers,
    )
    supervisor = ReusePortSupervisor(config, sockets)
    try:
        supervisor.run()
    finally:
        for sock in supervisor.sockets:
            sock.close()
    return STARTUP_FAILURE if supervisor.failed_to_start else 0
