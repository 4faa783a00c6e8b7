/* @description The boundary bench's CPython C-API extension: the cheapest honest way in.
 * add_one(x) is a METH_O function around bl_add_one(), so a call pays argument
 * conversion and nothing else: the floor of the Python bindings. sum(buffer, n) is the
 * batched form: bl_sum() over the first n ints of any buffer (array.array('i')), no copy. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "boundary.h"

static PyObject *add_one(PyObject *self, PyObject *arg) {
    long x = PyLong_AsLong(arg);
    if (x == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(bl_add_one((int)x));
}

static PyObject *sum(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y*n", &view, &n))
        return NULL;
    if (n < 0 || (size_t)n > (size_t)view.len / sizeof(int)) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_ValueError, "sum(buffer, n): the buffer holds fewer than %zd ints", n);
    }
    long long total = bl_sum((const int *)view.buf, (size_t)n);
    PyBuffer_Release(&view);
    return PyLong_FromLongLong(total);
}

static PyMethodDef methods[] = {
    {"add_one", add_one, METH_O, "x + 1, computed in C"},
    {"sum", sum, METH_VARARGS, "the sum of x + 1 over the first n ints of a buffer, computed in C"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_bench_boundary_ext", NULL, -1, methods};

PyMODINIT_FUNC PyInit__bench_boundary_ext(void) {
    return PyModule_Create(&module);
}
