/* @description CWE-667: a C extension's native thread calls the Python C-API without the GIL.
 * notify_from_native_thread(callback, value) starts a pthread that reports `value` to a Python
 * callback, the way an I/O or timer library reports completions. A thread created by
 * pthread_create has no Python thread state and does not hold the GIL; before any C-API
 * call it must take both with PyGILState_Ensure(). The broken build calls straight in: the
 * first call that allocates a Python object runs the allocator without the GIL (under
 * PYTHONMALLOC=debug CPython stops: "Python memory allocator called without holding the GIL"),
 * and the call itself dereferences a NULL thread state. The fix is in this file. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>

struct report {
    PyObject *callback;
    long value;
};

static void *report_from_native_thread(void *arg) {
    struct report *r = arg;
#ifdef FAULTLAB_FIXED
    PyGILState_STATE gil = PyGILState_Ensure(); /* FIX: a thread state and the GIL before any C-API call */
#else
    /* FLAW: no PyGILState_Ensure(): the calls below run with no thread state and without the GIL */
#endif
    PyObject *value = PyLong_FromLong(r->value);
    PyObject *result = value ? PyObject_CallOneArg(r->callback, value) : NULL;
    if (result == NULL)
        PyErr_WriteUnraisable(r->callback);
    Py_XDECREF(result);
    Py_XDECREF(value);
#ifdef FAULTLAB_FIXED
    PyGILState_Release(gil);
#endif
    return NULL;
}

static PyObject *notify_from_native_thread(PyObject *self, PyObject *args) {
    struct report r;
    if (!PyArg_ParseTuple(args, "Ol", &r.callback, &r.value))
        return NULL;
    pthread_t thread;
    int err;
    Py_BEGIN_ALLOW_THREADS /* the native thread may need the GIL while we wait for it */
    err = pthread_create(&thread, NULL, report_from_native_thread, &r);
    if (err == 0)
        pthread_join(thread, NULL);
    Py_END_ALLOW_THREADS
    if (err != 0) {
        errno = err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"notify_from_native_thread", notify_from_native_thread, METH_VARARGS,
     "Call callback(value) from a new native thread and wait for it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "libgil_violation", NULL, -1, methods};

PyMODINIT_FUNC PyInit_libgil_violation(void) { return PyModule_Create(&module); }
