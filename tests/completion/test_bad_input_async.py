"""Bad input to the asynchronous calls, tried systematically: the Qso calls answer -1 with an
errno (or their documented value), the GSKit start calls a return code; never an exception,
a hang or a leaked descriptor, and nothing that was started is posted twice.

Hypothesis drives random call orders over real sockets (connected, listening, UDP, closed,
numbers that name nothing), ports (live, destroyed, nonsense), communication areas with
every field bent, and GSKit session handles in every state.
"""
from __future__ import annotations

import socket
import ssl
import threading
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gskit import *  # noqa: F403
from gskit.compat.errno_state import get_errno
from gskit.io import completion
from tests.completion.completion_helpers import Sockets
from tests.conftest import DEADLINE
from tests.engine.test_return_codes import server_env

QSO_STARTS = [QsoStartRecv, QsoStartSend, QsoStartAccept]
GSK_STARTS = [gsk_secure_soc_startInit, gsk_secure_soc_startRecv, gsk_secure_soc_startSend]
ASYNCHRONOUS = {gsk_secure_soc_startInit: GSK_IBMI_ASYNCHRONOUS_SOC_INIT,
                gsk_secure_soc_startRecv: GSK_IBMI_ASYNCHRONOUS_RECV,
                gsk_secure_soc_startSend: GSK_IBMI_ASYNCHRONOUS_SEND}

# Mostly the usable choice, so that calls also get past their checks and start.
descriptors = st.sampled_from(["connected"] * 6 + ["connected_fd", "peer", "listener", "udp", "closed_fd",
                                                  -1, 2**31, None, "x", 3.5, True])
ports = st.sampled_from(["live"] * 6 + ["other", "destroyed", -1, 10**9, None, "x", 1.0])
sessions = st.sampled_from(["ready"] * 4 + ["fresh", "closed", "env", None, 7, "x"])
small = st.one_of(st.integers(-3, 3), st.sampled_from([2**31, 2**64, -2**63, None, "1", 1.5, True]))
BENT = {
    "buffer": st.sampled_from(["bytes", "readonly", None, "str", 5]),
    "bufferLength": st.one_of(st.integers(-2, 70000), st.sampled_from([None, "8", 2.0, 2**40])),
    "postFlag": small, "fillBuffer": small, "operationId": small,
    "operationWaitTime": st.sampled_from([-1, 1.5, "1", timeval(0, 0), timeval(-1, 0), timeval(0, -5),
                                          timeval(2**40, 0), timeval(1, 5)]),
    "postedDescriptor": st.sampled_from([-1, "connected", 2**31, None, "x"]),
    "reserved1": small, "reserved2": small,
}
usable_areas = st.fixed_dictionaries({
    "buffer": st.just("bytearray"), "bufferLength": st.sampled_from([1, 5, 64]),
    "postFlag": st.sampled_from([0, 1]), "fillBuffer": st.sampled_from([0, 0, 1]),
    "operationWaitTime": st.sampled_from([None, 0, timeval(1, 0)]),
})
areas = st.one_of(
    usable_areas,
    st.tuples(usable_areas, st.fixed_dictionaries({}, optional=BENT)).map(lambda two: {**two[0], **two[1]}),
    st.sampled_from([None, "area", 42]),
)
timeouts = st.sampled_from([0, 0, timeval(0, 0), timeval(0, 1000), -1, "x", timeval(-1, 0), 0.01])
calls = st.tuples(st.integers(0, 9), descriptors, ports, sessions, areas, timeouts)


def _handshaken_server(pki: Any, env: Any, sockets: Sockets) -> tuple[Any, ssl.SSLSocket]:
    """A server session after its handshake with a Python ssl client, which has sent data."""
    server_side, client_side = sockets.pair()
    rc, session = gsk_secure_soc_open(env)
    assert rc == GSK_OK
    assert gsk_attribute_set_numeric_value(session, GSK_FD, server_side.fileno()) == GSK_OK
    context = ssl.create_default_context(cafile=str(pki.ca_pem))
    client: list[ssl.SSLSocket] = []
    peer = threading.Thread(target=lambda: client.append(
        context.wrap_socket(client_side, server_hostname="localhost")), daemon=True)
    peer.start()
    assert gsk_secure_soc_init(session) == GSK_OK
    peer.join(DEADLINE)
    client[0].sendall(b"records for the receives")
    return session, client[0]


class World:
    """What one example's calls act on; everything it opens, it closes."""

    def __init__(self, pki: Any) -> None:
        self.sockets = Sockets()
        self.connected, self.peer = self.sockets.pair()
        self.peer.sendall(b"bytes for the receives")
        self.listener = self.sockets.listener()
        self.udp = self.sockets.keep(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        gone = socket.socket()
        self.closed_fd = gone.fileno()
        gone.close()
        self.ports = {"live": QsoCreateIOCompletionPort(), "other": QsoCreateIOCompletionPort(),
                      "destroyed": QsoCreateIOCompletionPort()}
        assert QsoDestroyIOCompletionPort(self.ports["destroyed"]) == 0
        self.env = server_env(pki, pki.server_ec)
        self.sessions: dict[str, Any] = {}
        self.sessions["ready"], self.tls_peer = _handshaken_server(pki, self.env, self.sockets)
        for name in ("fresh", "closed"):
            rc, session = gsk_secure_soc_open(self.env)
            assert rc == GSK_OK
            assert gsk_attribute_set_numeric_value(session, GSK_FD, self.connected.fileno()) == GSK_OK
            self.sessions[name] = session
        assert gsk_secure_soc_close(self.sessions["closed"]) == GSK_OK
        self.started: list[Qso_OverlappedIO_t] = []   # pending or posted: each comes back once

    def descriptor(self, name: Any) -> Any:
        named = {"connected": self.connected, "connected_fd": self.connected.fileno(), "peer": self.peer,
                 "listener": self.listener, "udp": self.udp, "closed_fd": self.closed_fd}
        return named.get(name, name) if isinstance(name, str) else name

    def port(self, name: Any) -> Any:
        return self.ports.get(name, name) if isinstance(name, str) else name

    def session(self, name: Any) -> Any:
        if name == "env":
            return self.env
        return self.sessions.get(name, name) if isinstance(name, str) else name

    def area(self, fields: Any) -> Any:
        if not isinstance(fields, dict):
            return fields
        fields = dict(fields, descriptorHandle=len(self.started))
        buffers = {"bytearray": bytearray(64), "bytes": bytes(64), "readonly": memoryview(bytes(64)),
                   "str": "sixty-four"}
        if isinstance(fields.get("buffer"), str):
            fields["buffer"] = buffers[fields["buffer"]]
        if fields.get("postedDescriptor") == "connected":
            fields["postedDescriptor"] = self.connected
        return Qso_OverlappedIO_t(**fields)

    def close(self) -> None:
        for session in self.sessions.values():
            gsk_secure_soc_close(session)
        gsk_environment_close(self.env)
        for number in self.ports.values():
            QsoDestroyIOCompletionPort(number)
        self.tls_peer.close()
        self.sockets.close_all()


def _errno_is_set() -> bool:
    return isinstance(get_errno(), int) and get_errno() > 0


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=st.lists(calls, min_size=1, max_size=10))
def test_random_asynchronous_calls_answer_with_codes(pki, steps) -> None:
    world = World(pki)
    try:
        for which, sd_name, port_name, session_name, fields, timeout in steps:
            sd, port, session = world.descriptor(sd_name), world.port(port_name), world.session(session_name)
            io = world.area(fields)
            if which < 3:
                result = QSO_STARTS[which](sd, port, io)
                assert result in (-1, 0, 1), (QSO_STARTS[which].__name__, result)
                if result == -1:
                    assert _errno_is_set()
                elif result == 1:
                    world.started.append(io)
            elif which < 6:
                call = GSK_STARTS[which - 3]
                result = call(session, port, io)
                assert isinstance(result, int) and not isinstance(result, bool), (call.__name__, result)
                if result == ASYNCHRONOUS[call]:
                    world.started.append(io)
            elif which == 6:
                result = QsoPostIOCompletion(port, io)
                assert result in (-1, 0)
                if result == 0:
                    world.started.append(io)
            elif which == 7:
                out = Qso_OverlappedIO_t()
                result = QsoWaitForIOCompletion(port, out, timeout)
                assert result in (-1, 1)
            elif which == 8:
                result = QsoCancelOperation(sd, fields.get("operationId") if isinstance(fields, dict) else fields)
                assert isinstance(result, int) and result >= -1
            else:
                assert QsoIsOperationPending(sd, 1) in (-1, 0, 1)
        # What was started on the live port comes back exactly once, once it is ended.
        live = world.ports["live"]
        QsoCancelOperation(world.connected, 0)
        QsoCancelOperation(world.listener, 0)
        for session in world.sessions.values():
            gsk_secure_soc_close(session)
        seen: list[object] = []
        out = Qso_OverlappedIO_t()
        while QsoWaitForIOCompletion(live, out, 0) == 1:
            seen.append(out.descriptorHandle)
        assert len(seen) == len(set(seen)), seen      # nothing posted twice
    finally:
        world.close()
    assert completion.current_engine() is None
