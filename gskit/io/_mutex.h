/* The layout of gskit.io._mutex.Mutex, shared with gskit/engine/_sslcalls.c, whose
 * synchronous read takes a pump's engine lock without the interpreter lock. */
#ifndef GSKIT_MUTEX_H
#define GSKIT_MUTEX_H

#include <Python.h>
#include <errno.h>
#include <semaphore.h>

typedef struct {
    PyObject_HEAD
    sem_t sem;
    char locked;            /* changed with the interpreter lock held, but by gskit_mutex_lock/unlock */
} gskit_Mutex;

/* Take and give back the lock without the interpreter lock (a short wait: EINTR retries). */
static inline void
gskit_mutex_lock(gskit_Mutex *mutex)
{
    while (sem_wait(&mutex->sem) != 0 && errno == EINTR)
        ;
    mutex->locked = 1;
}

static inline void
gskit_mutex_unlock(gskit_Mutex *mutex)
{
    mutex->locked = 0;
    sem_post(&mutex->sem);
}

#endif
