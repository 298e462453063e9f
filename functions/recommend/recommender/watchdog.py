"""Hold each upstream exchange to the request deadline, on the request's own thread.

Socket timeouts bound each read, not their sum: a server that sends a byte now and then (headers
included, which the caller never sees arrive in pieces) could hold a request for ever. A worker-thread
hand-off would bound it but costs more than a model call's own overhead, so instead the exchange runs
under a `deadline_guard`, the connection registers its socket with the guard when it starts waiting for
the answer, and one watchdog thread shuts down the socket of any guard whose time is up. The blocked
read then fails at once and the client reports a timeout.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# The longest the watchdog sleeps with nothing due; a guard due sooner than its next look wakes it.
IDLE_S = 1.0


class Guard:
    """One exchange's claim on the watchdog; `fired` tells whether the watchdog cut it off."""

    def __init__(self, watchdog: Watchdog, expires: float):
        self.expires = expires
        self.fired = False
        self._watchdog = watchdog

    def attach(self, sock: socket.socket) -> None:
        self._watchdog.watch(self, sock)

    def release(self) -> bool:
        """Stop watching; True if the watchdog had already cut the exchange off. Safe to call twice."""
        return self._watchdog.forget(self)


class Watchdog:
    """A daemon thread that shuts down the sockets of guards past their expiry (monotonic seconds).

    It sleeps until the earliest expiry it knows of; arming a guard wakes it only when that guard is
    due sooner, so the usual exchange (armed, answered in milliseconds, released) costs two dict
    operations under a lock and no thread switch.
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._watched: dict[Guard, socket.socket] = {}
        self._next_look = 0.0
        self._owner_pid: int | None = None

    def watch(self, guard: Guard, sock: socket.socket) -> None:
        with self._wake:
            # Threads do not survive fork: gunicorn imports the app in its master, serves in a worker.
            if self._owner_pid != os.getpid():
                self._owner_pid = os.getpid()
                threading.Thread(target=self._run, name="deadline-watchdog", daemon=True).start()
            self._watched[guard] = sock
            if guard.expires < self._next_look:
                self._wake.notify()

    def forget(self, guard: Guard) -> bool:
        """Stop watching `guard`; whether it fired, decided under the lock so the answer is final."""
        with self._wake:
            self._watched.pop(guard, None)
            return guard.fired

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                for guard in [guard for guard in self._watched if guard.expires <= now]:
                    guard.fired = True
                    _shut_down(self._watched.pop(guard))
                self._next_look = min((guard.expires for guard in self._watched), default=now + IDLE_S)
                self._wake.wait(max(0.0, self._next_look - now))


def _shut_down(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by its owner
        sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = Watchdog()
_current = threading.local()


@contextlib.contextmanager
def deadline_guard(seconds: float, watchdog: Watchdog = WATCHDOG) -> Iterator[Guard]:
    """Guard the exchanges this thread makes in the block: none outlives `seconds` by more than a tick."""
    guard = Guard(watchdog, time.monotonic() + seconds)
    _current.guard = guard
    try:
        yield guard
    finally:
        _current.guard = None
        guard.release()


class _GuardedConnectionMixin:
    """Registers the socket with the thread's guard, if any, before waiting for the answer."""

    sock: socket.socket

    def getresponse(self):
        guard = getattr(_current, "guard", None)
        if guard is not None:
            guard.attach(self.sock)
        return super().getresponse()


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedPoolMixin:
    """Releases the thread's guard before a connection goes back to the pool.

    urllib3 returns a connection to the pool inside the read that reaches the end of the body; were the
    guard still armed then, the watchdog could shut the socket down under the next exchange using it.
    A connection whose guard had already fired is closed rather than pooled.
    """

    def _put_conn(self, conn) -> None:
        guard = getattr(_current, "guard", None)
        if conn is not None and guard is not None and guard.release():
            conn.close()
        super()._put_conn(conn)


class _GuardedHTTPPool(_GuardedPoolMixin, HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(_GuardedPoolMixin, HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """requests' HTTPAdapter whose connections answer to `deadline_guard`."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
