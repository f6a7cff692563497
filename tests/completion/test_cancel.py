"""QsoGenerateOperationId, QsoIsOperationPending, QsoCancelOperation; engine abort hooks."""
from __future__ import annotations

import errno
import socket

from gskit import constants as C
from gskit.compat.errno_state import get_errno, set_errno
from gskit.compat.qso import (
    QsoCancelOperation,
    QsoGenerateOperationId,
    QsoIsOperationPending,
    QsoStartRecv,
    QsoStartSend,
    RecvOp,
)
from gskit.compat.structs import Qso_OverlappedIO_t
from gskit.io import completion

from tests.completion.completion_helpers import Sockets, nothing_posted, wait_one


def recv_io(op_id: int, handle: object = None) -> Qso_OverlappedIO_t:
    return Qso_OverlappedIO_t(buffer=bytearray(16), bufferLength=16, operationId=op_id,
                              descriptorHandle=handle)


def test_generated_ids_are_unique_per_socket(sockets: Sockets) -> None:
    s, c = sockets.pair()
    ids = [QsoGenerateOperationId(s) for _ in range(1000)]
    assert len(set(ids)) == 1000 and min(ids) > 0
    assert QsoGenerateOperationId(c.fileno()) not in ids


def test_generate_id_bad_socket(tmp_path) -> None:  # type: ignore[no-untyped-def]
    set_errno(0)
    assert QsoGenerateOperationId(-1) == 0 and get_errno() == errno.EBADF
    with open(tmp_path / "f", "wb") as f:
        assert QsoGenerateOperationId(f) == 0 and get_errno() == errno.ENOTSOCK


def test_cancel_posts_every_match_with_ecanceled(port: int, sockets: Sockets, family: int) -> None:
    s, c = sockets.pair(family)
    a, b = QsoGenerateOperationId(s), QsoGenerateOperationId(s)
    assert QsoStartRecv(s, port, recv_io(a, "a1")) == 1
    assert QsoStartRecv(s, port, recv_io(b, "b")) == 1
    assert QsoStartRecv(s, port, recv_io(a, "a2")) == 1
    assert (QsoIsOperationPending(s, a), QsoIsOperationPending(s, b)) == (1, 1)
    assert QsoCancelOperation(s, a) == 2
    outs = [wait_one(port, 1) for _ in range(2)]
    assert [(o.descriptorHandle, o.returnValue, o.errnoValue, o.operationId) for o in outs] == [
        ("a1", -1, C.ECANCELED, a), ("a2", -1, C.ECANCELED, a)]
    assert nothing_posted(port)
    assert QsoIsOperationPending(s, a) == 0 and QsoIsOperationPending(s, b) == 1
    assert QsoCancelOperation(s, a) == 0
    c.sendall(b"for b")  # the survivor still works, now at the head of its lane
    out = wait_one(port)
    assert (out.descriptorHandle, out.returnValue) == ("b", 5)
    assert QsoIsOperationPending(s, b) == 0


def test_cancel_with_id_zero_matches_a_memset_structure(port: int, sockets: Sockets) -> None:
    s, _ = sockets.pair()
    big = bytes(8 << 20)
    assert QsoStartSend(s, port, Qso_OverlappedIO_t(buffer=big, bufferLength=len(big))) == 1
    assert QsoCancelOperation(s, 0) == 1
    out = wait_one(port)
    assert out.operationCompleted == C.QSOSTARTSEND and out.errnoValue == C.ECANCELED
    assert out.returnValue == -1 or 0 < out.returnValue < len(big)  # bytes already sent, if any


def test_no_operation_means_zero(sockets: Sockets) -> None:
    s, _ = sockets.pair()  # no port, no engine: nothing can be pending
    assert QsoIsOperationPending(s, 0) == 0
    assert QsoCancelOperation(s, 0) == 0


def test_cancel_and_pending_bad_arguments(port: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for call in (QsoCancelOperation, QsoIsOperationPending):
        assert call(-1, 0) == -1 and get_errno() == errno.EBADF
        assert call(None, 0) == -1 and get_errno() == errno.EBADF
        with open(tmp_path / "f", "wb") as f:
            assert call(f.fileno(), 0) == -1 and get_errno() == errno.ENOTSOCK
    with socket.socket() as s:
        for call in (QsoCancelOperation, QsoIsOperationPending):
            for bad_id in (-1, 1 << 64, "1", None):
                assert call(s, bad_id) == -1 and get_errno() == errno.EINVAL


def test_cancel_refuses_when_a_match_is_uninterruptible(port: int, sockets: Sockets) -> None:
    s, _ = sockets.pair()
    io = recv_io(7, "x")
    stuck = RecvOp(io)
    p = completion.get_port(port)
    assert p.engine.start(p, s, io, stuck) == 1
    assert QsoStartRecv(s, port, recv_io(7, "y")) == 1
    stuck.uninterruptible = True  # as a secure handshake that has begun
    assert QsoCancelOperation(s, 7) == -1 and get_errno() == errno.EAGAIN
    assert QsoIsOperationPending(s, 7) == 1 and nothing_posted(port)
    stuck.uninterruptible = False
    assert QsoCancelOperation(s, 7) == 2


def test_abort_operations_hook_posts_with_the_given_errno(port: int, sockets: Sockets) -> None:
    s, _ = sockets.pair()
    assert QsoStartRecv(s, port, recv_io(1, "r")) == 1
    engine = completion.get_port(port).engine
    assert engine.abort_operations(s.fileno(), C.ECLOSED) == 1
    out = wait_one(port)
    assert (out.descriptorHandle, out.returnValue, out.errnoValue) == ("r", -1, C.ECLOSED)
    assert engine.abort_operations(s.fileno(), C.ECLOSED) == 0
