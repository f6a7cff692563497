"""A seeded storm of mixed operations across threads: every started operation is posted
exactly once (or completed at once), nothing is lost or duplicated, nothing leaks."""
from __future__ import annotations

import collections
import errno
import itertools
import random
import socket
import threading
import time

from gskit import constants as C
from gskit.compat.errno_state import get_errno
from gskit.compat.qso import (
    QsoCancelOperation,
    QsoCreateIOCompletionPort,
    QsoDestroyIOCompletionPort,
    QsoGenerateOperationId,
    QsoPostIOCompletion,
    QsoStartRecv,
    QsoStartSend,
    QsoWaitForIOCompletion,
)
from gskit.compat.structs import Qso_OverlappedIO_t

from tests.completion.completion_helpers import spawn

SEED = 28609
ACTORS = 4
ACTIONS_PER_ACTOR = 1000
PAIRS = 24
CONSUMERS = 3
START_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN}


class Pair:
    """A server-side socket (the one the operations run on) and its blocking-free client."""

    def __init__(self, ls: socket.socket) -> None:
        self.client = socket.create_connection(ls.getsockname(), timeout=5)
        self.server, _ = ls.accept()
        self.client.setblocking(False)
        self.ids: list[int] = []

    def close(self) -> None:
        self.server.close()
        self.client.close()


class Ledger:
    """What was started and what was posted, by token."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.expected: set[int] = set()
        self.at_once: set[int] = set()
        self.posted: collections.Counter[int] = collections.Counter()
        self.errnos: collections.Counter[int] = collections.Counter()
        self.tokens = itertools.count()

    def record_start(self, token: int, rc: int) -> None:
        with self.lock:
            if rc == 1:
                self.expected.add(token)
            elif rc == 0:
                self.at_once.add(token)
            else:
                assert get_errno() in START_ERRNOS, get_errno()


def actor(rng: random.Random, port: int, pairs: list[Pair], locks: list[threading.Lock],
          ls: socket.socket, ledger: Ledger, failures: list[BaseException]) -> None:
    try:
        act(rng, port, pairs, locks, ls, ledger)
    except BaseException as exc:  # reported by the test, not lost in a thread
        failures.append(exc)


def act(rng: random.Random, port: int, pairs: list[Pair], locks: list[threading.Lock],
        ls: socket.socket, ledger: Ledger) -> None:
    for _ in range(ACTIONS_PER_ACTOR):
        i = rng.randrange(len(pairs))
        with locks[i]:
            pair = pairs[i]
            roll = rng.random()
            token = next(ledger.tokens)
            if roll < 0.30:
                op_id = rng.choice(pair.ids) if pair.ids and rng.random() < 0.5 else QsoGenerateOperationId(pair.server)
                pair.ids.append(op_id)
                size = rng.randint(1, 512)
                io = Qso_OverlappedIO_t(descriptorHandle=token, buffer=bytearray(size), bufferLength=size,
                                        postFlag=rng.randint(0, 1), fillBuffer=int(rng.random() < 0.2),
                                        operationId=op_id, operationWaitTime=1 if rng.random() < 0.02 else None)
                ledger.record_start(token, QsoStartRecv(pair.server, port, io))
            elif roll < 0.50:
                data = bytes(rng.randint(1, 4096))
                io = Qso_OverlappedIO_t(descriptorHandle=token, buffer=data, bufferLength=len(data),
                                        postFlag=rng.randint(0, 1))
                ledger.record_start(token, QsoStartSend(pair.server, port, io))
            elif roll < 0.70:
                try:
                    pair.client.send(bytes(rng.randint(1, 700)))
                except OSError:
                    pass
            elif roll < 0.82:
                try:
                    pair.client.recv(1 << 16)
                except OSError:
                    pass
            elif roll < 0.90 and pair.ids:
                assert QsoCancelOperation(pair.server, rng.choice(pair.ids)) >= 0
            elif roll < 0.96:
                with ledger.lock:
                    ledger.expected.add(token)
                assert QsoPostIOCompletion(port, Qso_OverlappedIO_t(descriptorHandle=token)) == 0
            else:  # close the socket under whatever is pending; replace the pair
                pair.close()
                pairs[i] = Pair(ls)


def consumer(port: int, ledger: Ledger, stop: threading.Event) -> None:
    io = Qso_OverlappedIO_t()
    while not stop.is_set():
        rc = QsoWaitForIOCompletion(port, io, 0.05)
        if rc == 1:
            with ledger.lock:
                ledger.posted[io.descriptorHandle] += 1
                ledger.errnos[io.errnoValue] += 1
        else:
            assert get_errno() == C.ETIME


def test_stress_mixed_operations() -> None:
    rng = random.Random(SEED)
    port = QsoCreateIOCompletionPort()
    ls = socket.create_server(("127.0.0.1", 0), backlog=64)
    pairs = [Pair(ls) for _ in range(PAIRS)]
    locks = [threading.Lock() for _ in pairs]
    ledger = Ledger()
    failures: list[BaseException] = []
    stop = threading.Event()
    consumers = [spawn(consumer, port, ledger, stop) for _ in range(CONSUMERS)]
    started = time.monotonic()
    try:
        actors = [spawn(actor, random.Random(rng.random()), port, pairs, locks, ls, ledger, failures) for _ in range(ACTORS)]
        for t in actors:
            t.join(25)
        assert not any(t.is_alive() for t in actors)
        assert not failures, failures
        for pair in pairs:  # everything still pending now ends with ECLOSED
            pair.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with ledger.lock:
                if set(ledger.posted) >= ledger.expected:
                    break
            time.sleep(0.02)
        time.sleep(0.3)  # room for a duplicate or a stray to show up
    finally:
        stop.set()
        for t in consumers:
            t.join(5)
        ls.close()
        for pair in pairs:
            pair.close()
        assert QsoDestroyIOCompletionPort(port) == 0
    assert time.monotonic() - started < 30
    duplicates = {t: n for t, n in ledger.posted.items() if n > 1}
    assert not duplicates
    assert set(ledger.posted) == ledger.expected, (
        f"lost {sorted(ledger.expected - set(ledger.posted))[:10]}, "
        f"stray {sorted(set(ledger.posted) - ledger.expected)[:10]}")
    assert not ledger.at_once & set(ledger.posted)
    assert len(ledger.expected) + len(ledger.at_once) > 1500
    assert ledger.errnos[C.ECLOSED] > 0 and ledger.errnos[C.ECANCELED] > 0
