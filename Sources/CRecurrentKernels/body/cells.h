// The C side's registration list. A cell is one file, `cells/<name>.h`: its equations, its
// description (`<name>_info`, read by dispatch.c) and its element-wise step (`<name>_forward`,
// `<name>_backward`, `<name>_vectors_backward`, compiled into every kernel table). It is
// registered by its include below and its name in RK_CELLS; its id (`rk_cell`) is its place in
// RK_CELLS. The Swift side reads every description at start-up (`CellKind.allCases`): it needs
// no list of its own.

#define RK_CELLS(X) X(rnn) X(gated) X(lstm) X(gru) X(peephole) X(cifg)

#include "cells/rnn.h"
#include "cells/gated.h"
#include "cells/lstm.h"
#include "cells/gru.h"
#include "cells/peephole.h"
#include "cells/cifg.h"

#ifndef RK_T
/// Every description, in the order of the ids.
static const rk_cell_info *const cell_infos[] = {
#define RK_CELL_INFO(name) &name##_info,
    RK_CELLS(RK_CELL_INFO)
#undef RK_CELL_INFO
};
#else
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
