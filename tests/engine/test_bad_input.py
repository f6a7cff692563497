"""Bad input, tried systematically: the compat layer answers with return codes, never raises.

Hypothesis drives random attribute IDs, values of every type, lengths, handle states and
call orders; every call must return an int (or the documented tuple), within a deadline,
without leaking descriptors or threads.
"""
from __future__ import annotations

import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gskit
from gskit import *  # noqa: F403
from gskit.attributes.table import ATTRIBUTES
from tests.deadlines import open_fd_set

KNOWN_IDS = sorted(ATTRIBUTES) + [c for c in (GSK_PKCS11_DRIVER_PATH, GSK_CSP_NAME, 0, -1, 2**31, 70000)]
ids = st.one_of(st.sampled_from(KNOWN_IDS), st.integers(-2**40, 2**40), st.none(), st.text(max_size=5),
                st.booleans(), st.floats(allow_nan=True))
values = st.one_of(st.integers(-2**70, 2**70), st.sampled_from([GSK_TRUE, GSK_FALSE, 500, 507, 508, 518, 6995]),
                   st.text(max_size=40), st.binary(max_size=40), st.none(), st.floats(allow_nan=True),
                   st.lists(st.integers(), max_size=3), st.booleans(), st.just(object()))
sizes = st.one_of(st.none(), st.integers(-5, 100), st.just(2**40), st.text(max_size=2))
handles = st.sampled_from(["env", "session", "closed_env", "closed_session", "none", "int", "str"])

SETTERS = [gsk_attribute_set_buffer, gsk_attribute_set_enum, gsk_attribute_set_numeric_value,
           gsk_attribute_set_callback]
GETTERS = [gsk_attribute_get_buffer, gsk_attribute_get_enum, gsk_attribute_get_numeric_value,
           gsk_attribute_get_cert_info]


def make_handles() -> dict:
    rc, env = gsk_environment_open()
    rc, init_env = gsk_environment_open()
    gsk_attribute_set_buffer(init_env, GSK_KEYRING_FILE, "")
    gsk_environment_init(init_env)
    rc, session = gsk_secure_soc_open(init_env)
    rc, closed_env = gsk_environment_open()
    gsk_environment_close(closed_env)
    rc, closed_session = gsk_secure_soc_open(init_env)
    gsk_secure_soc_close(closed_session)
    return {"env": env, "session": session, "closed_env": closed_env, "closed_session": closed_session,
            "none": None, "int": 3, "str": "handle"}


def is_rc(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(calls=st.lists(st.tuples(st.integers(0, 13), handles, ids, values, sizes), min_size=1, max_size=12))
def test_random_calls_return_codes(calls):
    fds_before, threads_before = open_fd_set(), threading.active_count()
    named = make_handles()
    for which, handle_name, attr_id, value, size in calls:
        handle = named[handle_name]
        if which < 4:
            args = (handle, attr_id, value) + ((size,) if which == 0 and size is not None else ())
            result = SETTERS[which](*args)
            assert is_rc(result), (SETTERS[which].__name__, args, result)
        elif which < 8:
            result = GETTERS[which - 4](handle, attr_id)
            assert isinstance(result, tuple) and is_rc(result[0])
            if result[0] != GSK_OK:
                assert result[1] is None
        elif which == 8:
            assert is_rc(gsk_environment_init(handle))
        elif which == 9:
            result = gsk_secure_soc_read(handle, value if isinstance(value, (bytes, str)) else bytearray(8), size)
            assert is_rc(result[0]) and result[1] == 0
        elif which == 10:
            result = gsk_secure_soc_write(handle, value, size)
            assert is_rc(result[0])
        elif which == 11:
            assert is_rc(gsk_secure_soc_misc(handle, value))
        elif which == 12:
            result = gsk_secure_soc_open(handle)
            assert is_rc(result[0])
            if result[0] == GSK_OK:
                named["session"] = result[1]
        else:
            assert is_rc(gsk_secure_soc_init(handle))
    for handle in named.values():
        gsk_secure_soc_close(handle)
        gsk_environment_close(handle)
    assert open_fd_set() <= fds_before
    assert threading.active_count() <= threads_before


@given(rc=st.one_of(st.integers(-2**70, 2**70), st.none(), st.text(), st.floats(allow_nan=True)))
def test_strerror_never_raises(rc):
    assert isinstance(gsk_strerror(rc), str)


def test_every_compat_name_is_exported():
    for name in gskit.__all__:
        assert getattr(gskit, name) is not None, name
