/* @description The boundary bench's CPython C-API extension: the cheapest honest way in.
 * add_one(x) is a METH_O function around bl_add_one(), so a call pays argument
 * conversion and nothing else: the floor the other bindings are compared with. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "boundary.h"

static PyObject *add_one(PyObject *self, PyObject *arg) {
    long x = PyLong_AsLong(arg);
    if (x == -1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromLong(bl_add_one((int)x));
}

static PyMethodDef methods[] = {
    {"add_one", add_one, METH_O, "x + 1, computed in C"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_bench_boundary_ext", NULL, -1, methods};

PyMODINIT_FUNC PyInit__bench_boundary_ext(void) {
    return PyModule_Create(&module);
}
