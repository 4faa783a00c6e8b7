/* Walk a list of records, calling the visitor on each; a non-zero return stops the walk
 * and is returned, the only way a visitor can report an error to this C code. */
int walk_records(const char *const *records, int count, int (*visit)(const char *record)) {
    for (int i = 0; i < count; i++) {
        int status = visit(records[i]);
        if (status != 0)
            return status;
    }
    return 0;
}
