// The C side's registration list. Each cell's element-wise step is one file, `cells/<name>.h`,
// defining `<name>_forward`, `<name>_backward` and `<name>_vectors_backward`; a cell is
// registered by its include below and its name in RK_CELLS. Its id (`rk_cell`) is its place in
// RK_CELLS; Swift finds it by name (`rk_cell_named`), so the two sides never share a number.
// Without RK_T (dispatch.c) only the list is read; with it, the kernel bodies and the entries
// that switch between them, for the including table's instruction set and element type.

#define RK_CELLS(X) X(rnn) X(gated) X(lstm) X(gru) X(peephole)

#ifdef RK_T
#include "cells/rnn.h"
#include "cells/gated.h"
#include "cells/lstm.h"
#include "cells/gru.h"
#include "cells/peephole.h"

enum {
#define RK_CELL_ID(name) RK_CELL_##name,
    RK_CELLS(RK_CELL_ID)
#undef RK_CELL_ID
};

static void cell_forward(rk_cell cell, const rk_cell_step *s) {
    switch (cell) {
#define RK_CELL_CASE(name) case RK_CELL_##name: name##_forward(s); break;
    RK_CELLS(RK_CELL_CASE)
#undef RK_CELL_CASE
    }
}

static void cell_backward(rk_cell cell, const rk_cell_back *s) {
    switch (cell) {
#define RK_CELL_CASE(name) case RK_CELL_##name: name##_backward(s); break;
    RK_CELLS(RK_CELL_CASE)
#undef RK_CELL_CASE
    }
}

static void cell_vectors_backward(rk_cell cell, const rk_cell_vectors_back *s) {
    switch (cell) {
#define RK_CELL_CASE(name) case RK_CELL_##name: name##_vectors_backward(s); break;
    RK_CELLS(RK_CELL_CASE)
#undef RK_CELL_CASE
    }
}
#endif
