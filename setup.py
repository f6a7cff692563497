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

Only the modules on an asynchronous request's path are compiled (measured on the TLS
echo, ``bench/completion_port.py``: ``compat/structs.py``, so that the engine reads and
writes ``Qso_OverlappedIO_t`` as a C struct, +9 %; ``compat/buffers.py`` +4 %;
``engine/session_engine.py`` +2 %, nothing on handshakes; ``io/blocking.py``, the pumps,
+7 %).  ``io/transports.py`` stays Python: ``BorrowedSocket`` extends ``_socket.socket``,
and tests replace its methods to see where a thread waits.
"""
import os

from setuptools import setup

NATIVE_MODULES = [
    "gskit/io/completion.py",
    "gskit/io/secure_ops.py",
    "gskit/compat/qso.py",
    "gskit/compat/async_gsk.py",
    "gskit/compat/structs.py",
    "gskit/compat/buffers.py",
    "gskit/engine/session_engine.py",
    "gskit/io/blocking.py",
]

ext_modules = []
if os.environ.get("GSKIT_PURE_PYTHON") != "1":
    from mypyc.build import mypycify

    # Third-party types are Any, whether or not the build environment has the packages:
    # the compiled code is then the same in an isolated build and in a development tree.
    options = ["--no-site-packages", "--ignore-missing-imports", "--no-warn-unused-ignores"]
    ext_modules = mypycify(options + NATIVE_MODULES, opt_level="3", group_name="gskit._native")

setup(ext_modules=ext_modules)
