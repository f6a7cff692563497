/* OpenSSL's per-connection calls made from C, and a zero-timeout poll (see ssl_calls.py).
 *
 * cffi releases the interpreter lock around every OpenSSL call, and select.poll around
 * every poll(2).  For a call of a microsecond or two that is the dearest part when another
 * thread wants the lock: the lock changes hands twice, and each side sleeps and is woken in
 * the kernel.  These wrappers call the same OpenSSL functions (their addresses come from
 * cryptography's cffi module: the OpenSSL pyOpenSSL uses) and keep the lock for reads and
 * writes of at most one TLS record, which return at once on the memory BIOs and the
 * non-blocking descriptors gskit runs them on, and for the close_notify alert.  Larger
 * transfers release it, so that two threads' encryption can run side by side, and so does
 * the handshake, which may block and does the public-key work.
 *
 * The errno of the last call is kept per thread (last_errno), for the failure's text.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>

typedef int (*transfer_fn)(void *ssl, void *buffer, int size);
typedef int (*ssl_fn)(void *ssl);
typedef int (*error_fn)(const void *ssl, int result);
typedef void (*void_fn)(void);

static transfer_fn ssl_read_fn, ssl_write_fn;
static ssl_fn ssl_do_handshake_fn, ssl_pending_fn, ssl_shutdown_fn;
static error_fn ssl_get_error_fn;
static void_fn err_clear_error_fn;
static Py_ssize_t quick_limit;      /* bytes a transfer may move keeping the lock */
static _Thread_local int saved_errno;

static int
check_args(const char *name, Py_ssize_t given, Py_ssize_t wanted)
{
    if (given == wanted)
        return 0;
    PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)", name, wanted, given);
    return -1;
}

static int
as_pointer(PyObject *number, void **pointer)
{
    *pointer = PyLong_AsVoidPtr(number);
    if (*pointer == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "a null pointer");
        return -1;
    }
    return 0;
}

static int
as_int(PyObject *number, int *value)
{
    long wide = PyLong_AsLong(number);
    if (wide == -1 && PyErr_Occurred())
        return -1;
    if (wide < INT_MIN || wide > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "out of the range of a C int");
        return -1;
    }
    *value = (int)wide;
    return 0;
}

static PyObject *
bind(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    void *address[7];
    int i;

    if (check_args("bind", nargs, 8) < 0)
        return NULL;
    quick_limit = PyLong_AsSsize_t(args[0]);
    if (quick_limit == -1 && PyErr_Occurred())
        return NULL;
    for (i = 0; i < 7; i++)
        if (as_pointer(args[i + 1], &address[i]) < 0)
            return NULL;
    ssl_read_fn = (transfer_fn)address[0];
    ssl_write_fn = (transfer_fn)address[1];
    ssl_do_handshake_fn = (ssl_fn)address[2];
    ssl_get_error_fn = (error_fn)address[3];
    ssl_pending_fn = (ssl_fn)address[4];
    ssl_shutdown_fn = (ssl_fn)address[5];
    err_clear_error_fn = (void_fn)address[6];
    Py_RETURN_NONE;
}

/* The connection named by `number`, once bind() has given the functions. */
static int
connection(PyObject *number, void **ssl)
{
    if (ssl_read_fn == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() has not been called");
        return -1;
    }
    return as_pointer(number, ssl);
}

static PyObject *
transfer(const char *name, transfer_fn call, int flags, PyObject *const *args, Py_ssize_t nargs)
{
    void *ssl;
    Py_buffer view;
    int size, result;

    if (check_args(name, nargs, 2) < 0 || connection(args[0], &ssl) < 0)
        return NULL;
    if (PyObject_GetBuffer(args[1], &view, flags) < 0)
        return NULL;
    size = view.len > INT_MAX ? INT_MAX : (int)view.len;
    errno = 0;
    if (size <= quick_limit) {
        result = call(ssl, view.buf, size);
        saved_errno = errno;
    } else {
        Py_BEGIN_ALLOW_THREADS
        result = call(ssl, view.buf, size);
        saved_errno = errno;
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&view);
    return PyLong_FromLong(result);
}

static PyObject *
ssl_read(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    return transfer("ssl_read", ssl_read_fn, PyBUF_WRITABLE, args, nargs);
}

static PyObject *
ssl_write(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    return transfer("ssl_write", ssl_write_fn, PyBUF_SIMPLE, args, nargs);
}

static PyObject *
ssl_do_handshake(PyObject *module, PyObject *ssl_number)
{
    void *ssl;
    int result;

    if (connection(ssl_number, &ssl) < 0)
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    errno = 0;
    result = ssl_do_handshake_fn(ssl);
    saved_errno = errno;
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(result);
}

/* One close_notify alert, sent once and not waited for: a few dozen bytes, at the end of a
 * handshake (the socket's buffer then empty) or on a descriptor gskit holds non-blocking.
 * Its failure is nobody's concern: OpenSSL's error queue is cleared. */
static PyObject *
ssl_shutdown(PyObject *module, PyObject *ssl_number)
{
    void *ssl;
    int result;

    if (connection(ssl_number, &ssl) < 0)
        return NULL;
    result = ssl_shutdown_fn(ssl);
    if (result < 0)
        err_clear_error_fn();
    return PyLong_FromLong(result);
}

static PyObject *
ssl_get_error(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    void *ssl;
    int result;

    if (check_args("ssl_get_error", nargs, 2) < 0 || connection(args[0], &ssl) < 0
        || as_int(args[1], &result) < 0)
        return NULL;
    return PyLong_FromLong(ssl_get_error_fn(ssl, result));
}

static PyObject *
ssl_pending(PyObject *module, PyObject *ssl_number)
{
    void *ssl;

    if (connection(ssl_number, &ssl) < 0)
        return NULL;
    return PyLong_FromLong(ssl_pending_fn(ssl));
}

static PyObject *
last_errno(PyObject *module, PyObject *unused)
{
    return PyLong_FromLong(saved_errno);
}

static PyObject *
readable_now(PyObject *module, PyObject *fd_number)
{
    struct pollfd entry;
    int fd, ready;

    if (as_int(fd_number, &fd) < 0)
        return NULL;
    entry.fd = fd;
    entry.events = POLLIN;
    entry.revents = 0;
    ready = poll(&entry, 1, 0);
    if (ready < 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    return PyBool_FromLong(ready > 0);
}

static PyMethodDef methods[] = {
    {"bind", (PyCFunction)(void (*)(void))bind, METH_FASTCALL,
     "bind(quick_limit, SSL_read, SSL_write, SSL_do_handshake, SSL_get_error, SSL_pending,"
     " SSL_shutdown, ERR_clear_error): the largest transfer made keeping the lock, and the"
     " functions' addresses."},
    {"ssl_read", (PyCFunction)(void (*)(void))ssl_read, METH_FASTCALL,
     "ssl_read(ssl, buffer) -> SSL_read's result, into a writable buffer."},
    {"ssl_write", (PyCFunction)(void (*)(void))ssl_write, METH_FASTCALL,
     "ssl_write(ssl, data) -> SSL_write's result."},
    {"ssl_do_handshake", ssl_do_handshake, METH_O,
     "ssl_do_handshake(ssl) -> SSL_do_handshake's result (the lock released)."},
    {"ssl_get_error", (PyCFunction)(void (*)(void))ssl_get_error, METH_FASTCALL,
     "ssl_get_error(ssl, result) -> SSL_get_error's result."},
    {"ssl_pending", ssl_pending, METH_O, "ssl_pending(ssl) -> SSL_pending's result."},
    {"ssl_shutdown", ssl_shutdown, METH_O,
     "ssl_shutdown(ssl) -> SSL_shutdown's result; a failure's errors are cleared."},
    {"last_errno", last_errno, METH_NOARGS,
     "last_errno() -> errno after this thread's last read, write or handshake."},
    {"readable_now", readable_now, METH_O,
     "readable_now(fd) -> has the descriptor something to read (or an error, or the end) now?"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "gskit.engine._sslcalls",
    .m_doc = "OpenSSL's per-connection calls, keeping the interpreter lock for short ones.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__sslcalls(void)
{
    return PyModule_Create(&module_def);
}
