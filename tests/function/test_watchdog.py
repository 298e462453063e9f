"""The deadline watchdog: a guard past its time has its socket shut down; a released guard never fires."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from functions.recommend.recommender.watchdog import Watchdog, deadline_guard

SLACK_S = 0.3


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    ours.settimeout(5.0)
    yield ours, theirs
    ours.close()
    theirs.close()


def test_a_blocked_read_ends_when_its_guard_expires(pair):
    ours, _ = pair
    started = time.monotonic()
    with deadline_guard(0.2, Watchdog()) as guard:
        guard.attach(ours)
        assert ours.recv(1) == b""  # shut down under the read, not the 5 s socket timeout
    assert 0.2 <= time.monotonic() - started < 0.2 + SLACK_S
    assert guard.fired


def test_a_guard_released_in_time_leaves_its_socket_alone(pair):
    ours, theirs = pair
    watchdog = Watchdog()
    with deadline_guard(0.1, watchdog) as guard:
        guard.attach(ours)
    # A second guard keeps the watchdog looking past the first one's expiry.
    with socket.socket() as spare, deadline_guard(0.15, watchdog) as other:
        other.attach(spare)
        time.sleep(0.3)
    theirs.sendall(b"x")
    assert ours.recv(1) == b"x"
    assert (guard.fired, other.fired) == (False, True)


def test_a_guard_due_sooner_than_the_others_wakes_the_watchdog(pair):
    ours, _ = pair
    watchdog = Watchdog()
    with socket.socket() as spare, deadline_guard(30.0, watchdog) as late:
        late.attach(spare)
        started = time.monotonic()
        with deadline_guard(0.2, watchdog) as soon:
            soon.attach(ours)
            assert ours.recv(1) == b""
    assert time.monotonic() - started < 0.2 + SLACK_S
    assert (soon.fired, late.fired) == (True, False)


def test_releasing_a_guard_tells_whether_the_watchdog_already_cut_it_off(pair):
    ours, theirs = pair
    watchdog = Watchdog()
    with deadline_guard(5.0, watchdog) as kept:
        kept.attach(ours)
        assert kept.release() is False
    with deadline_guard(0.05, watchdog) as cut:
        cut.attach(theirs)
        time.sleep(0.05 + SLACK_S)
        assert cut.release() is True
    assert kept.release() is False  # released twice: the answer stays the same
