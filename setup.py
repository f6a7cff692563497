"""Build hook: the completion-port engine, the asynchronous calls and the TLS pumps compiled
to C (mypyc).

The compiled modules are the same source as the pure-Python ones and behave the same
(``make test`` runs the completion-port and engine tests on both builds); they only run
faster.
``GSKIT_PURE_PYTHON=1`` skips the compilation (no C compiler needed); a module without
its compiled form runs as Python.  What compiled code asks of the source, learnt here:

* annotations are checked at run time: a value that contradicts one is a TypeError
  (hence ``Any`` for what a caller stores in ``Qso_OverlappedIO_t``);
* a class cannot extend a C type such as ``_socket.socket``, and its methods cannot be
  replaced at run time (tests that do so run on the pure-Python build only); one that
  Python code may subclass says so (``Operation``: ``allow_interpreted_subclasses``);
* a class constant that may be tuned at run time is a ``ClassVar`` (``Port.STALL``,
  ``Engine.GRACE``, ``_EpollPoller.MAX_EVENTS``): otherwise compiled code keeps its own copy;
  a module constant that may not is ``Final``: a C static, or folded where it is a literal
  (the generated constant stubs' too), where otherwise each use is a look-up by name;
* no ``continue`` inside a ``with`` block (unimplemented in mypyc), no attribute named
  ``_thread`` (its C name clashes);
* mypyc 2.4.1 evaluates a slice bound twice (``view[sock.send(view):]`` sends twice):
  compute the bound into a local first.

* a compiled class has a fixed layout: an ``Environment`` or ``Session`` takes no
  attributes of the application's own (``GSK_USER_DATA`` is GSKit's place for them; a
  subclass, which ``allow_interpreted_subclasses`` permits, may keep its own), no weak
  references, and has no ``vars()`` (deriving it from a Python class would give it a
  ``__dict__`` and weak references, but with mypyc 2.4.1 the collector then crashed on a
  freed session); a class-level default of a union of two compiled classes was dropped by
  mypyc 2.4.1 (``Session.pump``): such an attribute is set in ``__init__``.

The modules on an asynchronous request's path and on a handshake's are compiled (measured
on the TLS echo, ``bench/completion_port.py``: ``compat/structs.py``, so that the engine
reads and writes ``Qso_OverlappedIO_t`` as a C struct, +9 %; ``compat/buffers.py`` +4 %;
``engine/session_engine.py`` +2 %; ``io/blocking.py``, the pumps, +7 %; the handles, the
compat ``gsk_*`` calls, the state and attribute tables, with the operations typed: +3.5 %
on the echo and 4.6 % less time a handshake, ``bench/handshake.py``, medians of
interleaved pairs); ``io/transports.py`` too, whose methods every session calls at its
start, its first read and its close (alone no difference measured; +2 % handshakes with
both ends in one process together with four smaller changes, docs/performance.md).  Two
modules stay Python:
``io/borrowed.py``, whose ``BorrowedSocket`` extends ``_socket.socket``, and ``audit.py``
(mypyc refuses its nested handler class, and it runs once a handshake only when auditing
is on).

Two modules are C: ``gskit/engine/_sslcalls.c``, OpenSSL's per-record calls and the
completion engine's readiness probe keeping the interpreter lock
(``gskit/engine/ssl_calls.py`` and ``gskit/io/completion.py``, which fall back to cffi and
``select.poll`` without it): +10 % on the TLS echo with four workers; each session's SSL
object made and freed keeping it, and a synchronous read's waits made without it
(``read_waiting``): +15 % handshakes with both ends in one process; a descriptor's
family, type and cookie read without a socket object (``describe_socket``, ``same_socket``:
with the compat calls made directly and the state tables typed, +2 % to +6 %); and
``gskit/io/_mutex.c``, the lock of the engines' short sections (``gskit/io/locks.py``,
``threading.Lock`` without it): +5 %; its layout is ``gskit/io/_mutex.h``, which
``_sslcalls.c`` shares to take a pump's engine lock without the interpreter lock.
"""
import os

from setuptools import Extension, setup

NATIVE_MODULES = [
    "gskit/io/completion.py",
    "gskit/io/secure_ops.py",
    "gskit/compat/qso.py",
    "gskit/compat/async_gsk.py",
    "gskit/compat/structs.py",
    "gskit/compat/buffers.py",
    "gskit/engine/session_engine.py",
    "gskit/io/blocking.py",
    "gskit/io/transports.py",
    "gskit/handle.py",
    "gskit/session.py",
    "gskit/environment.py",
    "gskit/compat/gsk.py",
    "gskit/engine/states.py",
    "gskit/attributes/values.py",
    "gskit/attributes/table.py",
]

C_MODULES = [Extension("gskit.engine._sslcalls", ["gskit/engine/_sslcalls.c"],
                       include_dirs=["gskit/io"], depends=["gskit/io/_mutex.h"]),
             Extension("gskit.io._mutex", ["gskit/io/_mutex.c"], depends=["gskit/io/_mutex.h"])]

ext_modules = []
if os.environ.get("GSKIT_PURE_PYTHON") != "1":
    from mypyc.build import mypycify

    # Third-party types are Any, whether or not the build environment has the packages:
    # the compiled code is then the same in an isolated build and in a development tree.
    options = ["--no-site-packages", "--ignore-missing-imports", "--no-warn-unused-ignores"]
    ext_modules = mypycify(options + NATIVE_MODULES, opt_level="3", group_name="gskit._native")
    ext_modules += C_MODULES

setup(ext_modules=ext_modules)
