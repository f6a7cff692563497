/* The lock of the engines' short critical sections (see locks.py).
 *
 * threading.Lock costs more around a section of a few hundred nanoseconds than the section
 * itself: every acquire parses its arguments as a tuple and keywords and reads the clock
 * for a deadline it does not have, and __exit__ builds a tuple of its three arguments.
 * This lock is the same POSIX semaphore without that: acquire and release take no
 * arguments but the optional "blocking" flag, and only an acquire that has to wait
 * releases the interpreter lock (as threading.Lock's does).  Like threading.Lock (and
 * unlike a pthread mutex) it may be released by a thread other than the one that took it.
 *
 * A wait ends with the exception of a signal handler that raises, as threading.Lock's does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>

#include "_mutex.h"

typedef gskit_Mutex Mutex;

static PyObject *
mutex_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    if (PyTuple_GET_SIZE(args) || (kwargs && PyDict_GET_SIZE(kwargs))) {
        PyErr_SetString(PyExc_TypeError, "Mutex() takes no arguments");
        return NULL;
    }
    Mutex *self = (Mutex *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    if (sem_init(&self->sem, 0, 1) != 0) {
        Py_DECREF(self);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return (PyObject *)self;
}

static void
mutex_dealloc(Mutex *self)
{
    sem_destroy(&self->sem);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
take(Mutex *self)
{
    while (sem_trywait(&self->sem) != 0) {
        int failed, error = 0;
        Py_BEGIN_ALLOW_THREADS
        failed = sem_wait(&self->sem);
        if (failed)
            error = errno;
        Py_END_ALLOW_THREADS
        if (!failed)
            break;
        if (error != EINTR) {
            errno = error;
            PyErr_SetFromErrno(PyExc_OSError);
            return -1;
        }
        if (PyErr_CheckSignals() < 0)   /* a handler raised (KeyboardInterrupt, ...) */
            return -1;
    }
    self->locked = 1;
    return 0;
}

static PyObject *
mutex_enter(Mutex *self, PyObject *Py_UNUSED(ignored))
{
    if (take(self) < 0)
        return NULL;
    Py_RETURN_TRUE;
}

static PyObject *
mutex_acquire(Mutex *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "acquire() takes at most 1 argument (%zd given)", nargs);
        return NULL;
    }
    if (nargs == 1) {
        int blocking = PyObject_IsTrue(args[0]);
        if (blocking < 0)
            return NULL;
        if (!blocking) {
            if (sem_trywait(&self->sem) != 0)
                Py_RETURN_FALSE;
            self->locked = 1;
            Py_RETURN_TRUE;
        }
    }
    return mutex_enter(self, NULL);
}

static PyObject *
mutex_release(Mutex *self, PyObject *Py_UNUSED(ignored))
{
    if (!self->locked) {
        PyErr_SetString(PyExc_RuntimeError, "release unlocked lock");
        return NULL;
    }
    self->locked = 0;
    sem_post(&self->sem);
    Py_RETURN_NONE;
}

static PyObject *
mutex_exit(Mutex *self, PyObject *const *Py_UNUSED(args), Py_ssize_t Py_UNUSED(nargs))
{
    return mutex_release(self, NULL);
}

static PyObject *
mutex_is_locked(Mutex *self, PyObject *Py_UNUSED(ignored))
{
    return PyBool_FromLong(self->locked);
}

static PyMethodDef mutex_methods[] = {
    {"acquire", (PyCFunction)(void (*)(void))mutex_acquire, METH_FASTCALL,
     "acquire(blocking=True, /) -> bool: take the lock (waiting for it unless blocking is false)."},
    {"release", (PyCFunction)mutex_release, METH_NOARGS, "release() -> None: give the lock back."},
    {"locked", (PyCFunction)mutex_is_locked, METH_NOARGS, "locked() -> bool: is it held?"},
    {"__enter__", (PyCFunction)mutex_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)(void (*)(void))mutex_exit, METH_FASTCALL, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject MutexType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "gskit.io._mutex.Mutex",
    .tp_doc = "Mutex(): a lock for short critical sections, as threading.Lock without a timeout.",
    .tp_basicsize = sizeof(Mutex),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = mutex_new,
    .tp_dealloc = (destructor)mutex_dealloc,
    .tp_methods = mutex_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "gskit.io._mutex", "A lock for short critical sections.", -1, NULL,
};

PyMODINIT_FUNC
PyInit__mutex(void)
{
    PyObject *m = PyModule_Create(&module);

    if (m != NULL && PyModule_AddType(m, &MutexType) < 0)   /* readies the type */
        Py_CLEAR(m);
    return m;
}
