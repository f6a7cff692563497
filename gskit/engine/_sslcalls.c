/* OpenSSL's connections and their per-record calls, made from C (see ssl_calls.py).
 *
 * cffi releases the interpreter lock around every OpenSSL call, and select.poll around
 * every poll(2).  For a call of a microsecond or two that is the dearest part when another
 * thread wants the lock: the lock changes hands twice, and each side sleeps and is woken in
 * the kernel.  These wrappers call the same OpenSSL functions (their addresses come from
 * cryptography's cffi module: the OpenSSL pyOpenSSL uses):
 *
 * - SSLHandle owns one SSL object, made (SSL_new, on a descriptor or a pair of memory BIOs,
 *   in the client or server state) and freed keeping the lock: a session's setup then lets
 *   no other thread in before its handshake starts;
 * - reads and writes of at most one TLS record keep the lock (they return at once on the
 *   memory BIOs and the non-blocking descriptors gskit runs them on), and so does the
 *   close_notify alert on memory BIOs; larger transfers release it, so that two threads'
 *   encryption can run side by side, and so do the handshake, which may block and does the
 *   public-key work, and the close_notify alert on a descriptor (see ssl_shutdown);
 * - read_waiting, a synchronous read: SSL_read, and if it must wait, poll(2) and SSL_read
 *   again, the whole without the interpreter lock and each SSL_read under the pump's
 *   engine lock (gskit/io/_mutex.h), so that the session's other thread may write while
 *   this one waits.
 * - describe_socket and same_socket: a descriptor's family, type and SO_COOKIE, and whether
 *   it still names the socket of a cookie, without a Python socket object.
 *
 * The errno of the last call is kept per thread (last_errno), for the failure's text.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <structmember.h>
#include <sys/socket.h>
#include <time.h>

#include "_mutex.h"

typedef int (*transfer_fn)(void *ssl, void *buffer, int size);
typedef int (*ssl_fn)(void *ssl);
typedef int (*error_fn)(const void *ssl, int result);
typedef void (*void_fn)(void);
typedef void *(*new_fn)(void *ctx);
typedef void (*ssl_void_fn)(void *ssl);
typedef int (*set_fd_fn)(void *ssl, int fd);
typedef void *(*bio_new_fn)(const void *method);
typedef const void *(*bio_method_fn)(void);
typedef void (*set_bio_fn)(void *ssl, void *rbio, void *wbio);

#define SSL_ERROR_WANT_READ 2
#define SSL_ERROR_WANT_WRITE 3
#define CLOSING (-1)                /* read_waiting's error: the session is being closed */
#define REPLACED (-2)               /* read_waiting's error: the descriptor names another socket */

static transfer_fn ssl_read_fn, ssl_write_fn;
static ssl_fn ssl_do_handshake_fn, ssl_pending_fn, ssl_shutdown_fn;
static error_fn ssl_get_error_fn;
static void_fn err_clear_error_fn;
static new_fn ssl_new_fn;
static ssl_void_fn ssl_free_fn, ssl_set_accept_state_fn, ssl_set_connect_state_fn;
static set_fd_fn ssl_set_fd_fn;
static bio_new_fn bio_new_fn_;
static bio_method_fn bio_s_mem_fn;
static set_bio_fn ssl_set_bio_fn;
static Py_ssize_t quick_limit;      /* bytes a transfer may move keeping the lock */
static PyTypeObject *mutex_type;    /* gskit.io._mutex.Mutex, or NULL: read_waiting refuses */
static PyObject *registry;          /* SSL address -> app data, for OpenSSL's callbacks */
static _Thread_local int saved_errno;

#define BOUND 15                    /* the functions bind() takes, in its order */

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
bind_functions(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    void *address[BOUND];
    int i;

    if (check_args("bind", nargs, BOUND + 2) < 0)
        return NULL;
    quick_limit = PyLong_AsSsize_t(args[0]);
    if (quick_limit == -1 && PyErr_Occurred())
        return NULL;
    if (args[1] != Py_None) {
        if (!PyType_Check(args[1]) || ((PyTypeObject *)args[1])->tp_basicsize != sizeof(gskit_Mutex)) {
            PyErr_SetString(PyExc_TypeError, "bind() takes gskit.io._mutex.Mutex or None");
            return NULL;
        }
    }
    for (i = 0; i < BOUND; i++)
        if (as_pointer(args[i + 2], &address[i]) < 0)
            return NULL;
    if (registry == NULL && (registry = PyDict_New()) == NULL)
        return NULL;
    Py_XDECREF(mutex_type);
    mutex_type = args[1] == Py_None ? NULL : (PyTypeObject *)args[1];
    Py_XINCREF(mutex_type);
    ssl_read_fn = (transfer_fn)address[0];
    ssl_write_fn = (transfer_fn)address[1];
    ssl_do_handshake_fn = (ssl_fn)address[2];
    ssl_get_error_fn = (error_fn)address[3];
    ssl_pending_fn = (ssl_fn)address[4];
    ssl_shutdown_fn = (ssl_fn)address[5];
    err_clear_error_fn = (void_fn)address[6];
    ssl_new_fn = (new_fn)address[7];
    ssl_free_fn = (ssl_void_fn)address[8];
    ssl_set_fd_fn = (set_fd_fn)address[9];
    ssl_set_accept_state_fn = (ssl_void_fn)address[10];
    ssl_set_connect_state_fn = (ssl_void_fn)address[11];
    bio_new_fn_ = (bio_new_fn)address[12];
    bio_s_mem_fn = (bio_method_fn)address[13];
    ssl_set_bio_fn = (set_bio_fn)address[14];
    Py_RETURN_NONE;
}

/* -- SSLHandle: one SSL object ------------------------------------------------------------ */
typedef struct {
    PyObject_HEAD
    void *ssl;
    void *rbio, *wbio;          /* the memory BIOs (the SSL object owns them), or NULL */
    PyObject *key;              /* the address as registered with app data, or NULL */
    char closing;               /* set at the session's close: read_waiting starts no read */
} SSLHandle;

static PyTypeObject SSLHandleType;

static void
handle_dealloc(SSLHandle *self)
{
    if (self->key != NULL) {
        if (PyDict_DelItem(registry, self->key) < 0)
            PyErr_Clear();
        Py_DECREF(self->key);
    }
    if (self->ssl != NULL)
        ssl_free_fn(self->ssl);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
handle_address(SSLHandle *self, void *closure)
{
    return PyLong_FromVoidPtr(self->ssl);
}

static PyObject *
handle_rbio(SSLHandle *self, void *closure)
{
    return PyLong_FromVoidPtr(self->rbio);
}

static PyObject *
handle_wbio(SSLHandle *self, void *closure)
{
    return PyLong_FromVoidPtr(self->wbio);
}

static PyGetSetDef handle_getset[] = {
    {"address", (getter)handle_address, NULL, "The SSL object's address (for cffi: ffi.cast(\"SSL *\", address)).", NULL},
    {"rbio", (getter)handle_rbio, NULL, "The incoming memory BIO's address (0 on a descriptor).", NULL},
    {"wbio", (getter)handle_wbio, NULL, "The outgoing memory BIO's address (0 on a descriptor).", NULL},
    {NULL},
};

static PyMemberDef handle_members[] = {
    {"closing", T_BOOL, offsetof(SSLHandle, closing), 0,
     "Set at the session's close (under the engine lock): read_waiting starts no read after it."},
    {NULL},
};

static PyTypeObject SSLHandleType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gskit.engine._sslcalls.SSLHandle",
    .tp_doc = "One OpenSSL connection (SSL object), freed with the handle; made by new_ssl().",
    .tp_basicsize = sizeof(SSLHandle),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)handle_dealloc,
    .tp_getset = handle_getset,
    .tp_members = handle_members,
};

/* The SSL object of `object`, an SSLHandle, once bind() has given the functions. */
static int
connection(PyObject *object, void **ssl)
{
    if (Py_TYPE(object) != &SSLHandleType) {
        PyErr_Format(PyExc_TypeError, "an SSLHandle is required, not %.100s", Py_TYPE(object)->tp_name);
        return -1;
    }
    *ssl = ((SSLHandle *)object)->ssl;
    return 0;
}

static PyObject *
new_ssl(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    void *ctx;
    int fd, server;
    SSLHandle *self;

    if (check_args("new_ssl", nargs, 4) < 0 || as_pointer(args[0], &ctx) < 0 || as_int(args[1], &fd) < 0)
        return NULL;
    if ((server = PyObject_IsTrue(args[2])) < 0)
        return NULL;
    if (ssl_new_fn == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() has not been called");
        return NULL;
    }
    self = PyObject_New(SSLHandle, &SSLHandleType);
    if (self == NULL)
        return NULL;
    self->rbio = self->wbio = NULL;
    self->key = NULL;
    self->closing = 0;
    self->ssl = ssl_new_fn(ctx);
    if (self->ssl == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    if (fd >= 0) {
        if (ssl_set_fd_fn(self->ssl, fd) != 1) {
            err_clear_error_fn();
            Py_DECREF(self);
            return PyErr_NoMemory();
        }
    } else {
        self->rbio = bio_new_fn_(bio_s_mem_fn());
        self->wbio = bio_new_fn_(bio_s_mem_fn());
        if (self->rbio == NULL || self->wbio == NULL) {
            ssl_set_bio_fn(self->ssl, self->rbio, self->wbio);   /* the one made is freed with the SSL */
            Py_DECREF(self);
            return PyErr_NoMemory();
        }
        ssl_set_bio_fn(self->ssl, self->rbio, self->wbio);
    }
    if (server)
        ssl_set_accept_state_fn(self->ssl);
    else
        ssl_set_connect_state_fn(self->ssl);
    if (args[3] != Py_None) {
        self->key = PyLong_FromVoidPtr(self->ssl);
        if (self->key == NULL || PyDict_SetItem(registry, self->key, args[3]) < 0) {
            Py_CLEAR(self->key);
            Py_DECREF(self);
            return NULL;
        }
    }
    return (PyObject *)self;
}

static PyObject *
app_data_of(PyObject *module, PyObject *address)
{
    PyObject *found = registry != NULL ? PyDict_GetItemWithError(registry, address) : NULL;
    if (found == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    Py_INCREF(found);
    return found;
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
ssl_do_handshake(PyObject *module, PyObject *handle)
{
    void *ssl;
    int result;

    if (connection(handle, &ssl) < 0)
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
 * Its failure is nobody's concern: OpenSSL's error queue is cleared.  On a descriptor the
 * interpreter lock is released: the write wakes the peer, which in the same process then
 * wants the lock (to return the data it read just before); on memory BIOs it is kept. */
static PyObject *
ssl_shutdown(PyObject *module, PyObject *object)
{
    PyThreadState *released = NULL;
    int result;
    void *ssl;

    if (connection(object, &ssl) < 0)
        return NULL;
    if (((SSLHandle *)object)->rbio == NULL)
        released = PyEval_SaveThread();
    result = ssl_shutdown_fn(ssl);
    if (result < 0)
        err_clear_error_fn();
    if (released != NULL)
        PyEval_RestoreThread(released);
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
ssl_pending(PyObject *module, PyObject *handle)
{
    void *ssl;

    if (connection(handle, &ssl) < 0)
        return NULL;
    return PyLong_FromLong(ssl_pending_fn(ssl));
}

/* One SSL_read under the engine lock; the error code of a result <= 0 (CLOSING, unlocked,
 * once the session is closing). */
static int
locked_read(SSLHandle *handle, gskit_Mutex *lock, void *buffer, int size, int *result)
{
    int error = 0;

    gskit_mutex_lock(lock);
    if (handle->closing) {
        gskit_mutex_unlock(lock);
        *result = 0;
        return CLOSING;
    }
    errno = 0;
    *result = ssl_read_fn(handle->ssl, buffer, size);
    saved_errno = errno;
    if (*result <= 0)
        error = ssl_get_error_fn(handle->ssl, *result);
    gskit_mutex_unlock(lock);
    return error;
}

/* Does descriptor fd still name the socket whose cookie is `cookie` (8 bytes)? */
static int
same_socket(int fd, const char *cookie)
{
#ifdef SO_COOKIE
    char now[8];
    socklen_t size = sizeof(now);
    return getsockopt(fd, SOL_SOCKET, SO_COOKIE, now, &size) == 0 && size == 8 && memcmp(now, cookie, 8) == 0;
#else
    return 0;
#endif
}

static PyObject *
same_socket_of(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    int fd;

    if (check_args("same_socket", nargs, 2) < 0 || as_int(args[0], &fd) < 0)
        return NULL;
    if (!PyBytes_Check(args[1]) || PyBytes_GET_SIZE(args[1]) != 8) {
        PyErr_SetString(PyExc_TypeError, "same_socket() takes the socket's cookie as 8 bytes");
        return NULL;
    }
    return PyBool_FromLong(same_socket(fd, PyBytes_AS_STRING(args[1])));
}

/* (family, type, cookie or None) of the socket descriptor fd: what a session checks and
 * keeps of GSK_FD, without a socket object (a session OpenSSL runs on the descriptor never
 * needs one). */
static PyObject *
describe_socket(PyObject *module, PyObject *fd_number)
{
    int fd, family, type;
    socklen_t size;

    if (as_int(fd_number, &fd) < 0)
        return NULL;
#ifdef SO_DOMAIN
    size = sizeof(family);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &size) < 0)
        return PyErr_SetFromErrno(PyExc_OSError);
#else
    {
        struct sockaddr_storage address;
        size = sizeof(address);
        if (getsockname(fd, (struct sockaddr *)&address, &size) < 0)
            return PyErr_SetFromErrno(PyExc_OSError);
        family = address.ss_family;
    }
#endif
    size = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) < 0)
        return PyErr_SetFromErrno(PyExc_OSError);
#ifdef SO_COOKIE
    {
        char cookie[8];
        size = sizeof(cookie);
        if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &size) == 0 && size == sizeof(cookie))
            return Py_BuildValue("(iiy#)", family, type, cookie, (Py_ssize_t)sizeof(cookie));
    }
#endif
    return Py_BuildValue("(iiO)", family, type, Py_None);
}

static PyObject *
read_waiting(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    SSLHandle *handle;
    gskit_Mutex *lock;
    Py_buffer view;
    void *ssl;
    const char *cookie = NULL;
    int fd, timeout, size, result, error;

    if (check_args("read_waiting", nargs, 6) < 0 || connection(args[0], &ssl) < 0)
        return NULL;
    if (args[5] != Py_None) {
        if (!PyBytes_Check(args[5]) || PyBytes_GET_SIZE(args[5]) != 8) {
            PyErr_SetString(PyExc_TypeError, "read_waiting() takes the socket's cookie as 8 bytes, or None");
            return NULL;
        }
        cookie = PyBytes_AS_STRING(args[5]);
    }
    handle = (SSLHandle *)args[0];
    if (mutex_type == NULL || Py_TYPE(args[2]) != mutex_type) {
        PyErr_SetString(PyExc_TypeError, "read_waiting() takes the engine lock, a gskit.io._mutex.Mutex");
        return NULL;
    }
    lock = (gskit_Mutex *)args[2];
    if (as_int(args[3], &fd) < 0 || as_int(args[4], &timeout) < 0)
        return NULL;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_WRITABLE) < 0)
        return NULL;
    size = view.len > INT_MAX ? INT_MAX : (int)view.len;
    Py_BEGIN_ALLOW_THREADS
    error = locked_read(handle, lock, view.buf, size, &result);
    if (timeout != 0) {
        struct timespec now;
        long long deadline = 0;
        if (timeout > 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            deadline = now.tv_sec * 1000LL + now.tv_nsec / 1000000 + timeout;
        }
        /* A record may come in pieces, and the tickets that follow a TLS 1.3 handshake come
         * before the data: wait and read until there is data, a failure or the deadline. */
        while (result <= 0 && (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)) {
            struct pollfd entry;
            int wait = -1;
            if (timeout > 0) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                long long left = deadline - (now.tv_sec * 1000LL + now.tv_nsec / 1000000);
                if (left <= 0)
                    break;
                wait = (int)left;
            }
            entry.fd = fd;
            entry.events = error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
            entry.revents = 0;
            if (poll(&entry, 1, wait) <= 0)
                break;                  /* the deadline (or EINTR: the caller looks again) */
            /* The application may have closed the descriptor and its number may name another
             * socket by now, whose bytes are not ours: read again only from the same one. */
            if (cookie == NULL)
                break;                  /* the caller looks (the system has no cookies) */
            if (!same_socket(fd, cookie)) {
                error = REPLACED;
                break;
            }
            error = locked_read(handle, lock, view.buf, size, &result);
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return Py_BuildValue("(ii)", result, error);
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
    {"bind", (PyCFunction)(void (*)(void))bind_functions, METH_FASTCALL,
     "bind(quick_limit, mutex_type, SSL_read, SSL_write, SSL_do_handshake, SSL_get_error,"
     " SSL_pending, SSL_shutdown, ERR_clear_error, SSL_new, SSL_free, SSL_set_fd,"
     " SSL_set_accept_state, SSL_set_connect_state, BIO_new, BIO_s_mem, SSL_set_bio): the"
     " largest transfer made keeping the lock, the engine lock's type (None: no"
     " read_waiting), and the functions' addresses."},
    {"new_ssl", (PyCFunction)(void (*)(void))new_ssl, METH_FASTCALL,
     "new_ssl(ctx, fd, server, app_data) -> SSLHandle: an SSL object of the SSL_CTX at"
     " address ctx, on descriptor fd (-1: a pair of memory BIOs), in the server's or the"
     " client's state; app_data (None: none) is what app_data_of() finds for it."},
    {"app_data_of", app_data_of, METH_O,
     "app_data_of(address) -> the app data of the SSL object at address, or None."},
    {"read_waiting", (PyCFunction)(void (*)(void))read_waiting, METH_FASTCALL,
     "read_waiting(handle, buffer, lock, fd, timeout_ms, cookie) -> (result, error): SSL_read"
     " under lock; while it wants I/O, for up to timeout_ms (-1: for ever, 0: no wait), poll(2)"
     " fd and, if fd still names the socket whose SO_COOKIE is cookie (8 bytes; None: the"
     " caller looks, no second read), SSL_read again; the interpreter lock released throughout.  error is"
     " SSL_get_error's for a result <= 0, -1 once handle.closing is set, -2 when poll(2)"
     " woke and the socket could not be seen to be the same."},
    {"ssl_read", (PyCFunction)(void (*)(void))ssl_read, METH_FASTCALL,
     "ssl_read(handle, buffer) -> SSL_read's result, into a writable buffer."},
    {"ssl_write", (PyCFunction)(void (*)(void))ssl_write, METH_FASTCALL,
     "ssl_write(handle, data) -> SSL_write's result."},
    {"ssl_do_handshake", ssl_do_handshake, METH_O,
     "ssl_do_handshake(handle) -> SSL_do_handshake's result (the lock released)."},
    {"ssl_get_error", (PyCFunction)(void (*)(void))ssl_get_error, METH_FASTCALL,
     "ssl_get_error(handle, result) -> SSL_get_error's result."},
    {"ssl_pending", ssl_pending, METH_O, "ssl_pending(handle) -> SSL_pending's result."},
    {"ssl_shutdown", ssl_shutdown, METH_O,
     "ssl_shutdown(handle) -> SSL_shutdown's result; a failure's errors are cleared."},
    {"last_errno", last_errno, METH_NOARGS,
     "last_errno() -> errno after this thread's last read, write or handshake."},
    {"describe_socket", describe_socket, METH_O,
     "describe_socket(fd) -> (family, type, SO_COOKIE as 8 bytes or None) of a socket descriptor;"
     " OSError when fd is not one."},
    {"same_socket", (PyCFunction)(void (*)(void))same_socket_of, METH_FASTCALL,
     "same_socket(fd, cookie) -> does fd still name the socket whose SO_COOKIE is cookie?"},
    {"readable_now", readable_now, METH_O,
     "readable_now(fd) -> has the descriptor something to read (or an error, or the end) now?"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "gskit.engine._sslcalls",
    .m_doc = "OpenSSL's connections and their per-record calls, keeping the interpreter lock for short ones.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__sslcalls(void)
{
    PyObject *module = PyModule_Create(&module_def);

    if (module != NULL && PyModule_AddType(module, &SSLHandleType) < 0)   /* readies the type */
        Py_CLEAR(module);
    return module;
}
