// The cells' element-wise steps, one file each, behind one entry per direction: the C side's
// registration list (with `rk_cell` in `RecurrentKernels.h`).

#include "cells/rnn.h"
#include "cells/gated.h"
#include "cells/lstm.h"
#include "cells/gru.h"
#include "cells/peephole.h"

static void cell_forward(rk_cell cell, const rk_cell_step *s) {
    switch (cell) {
    case RK_CELL_RNN: rnn_forward(s); break;
    case RK_CELL_GATED: gated_forward(s); break;
    case RK_CELL_LSTM: lstm_forward(s); break;
    case RK_CELL_GRU: gru_forward(s); break;
    case RK_CELL_PEEPHOLE: peephole_forward(s); break;
    }
}

static void cell_backward(rk_cell cell, const rk_cell_back *s) {
    switch (cell) {
    case RK_CELL_RNN: rnn_backward(s); break;
    case RK_CELL_GATED: gated_backward(s); break;
    case RK_CELL_LSTM: lstm_backward(s); break;
    case RK_CELL_GRU: gru_backward(s); break;
    case RK_CELL_PEEPHOLE: peephole_backward(s); break;
    }
}

static void cell_vectors_backward(rk_cell cell, const rk_cell_vectors_back *s) {
    switch (cell) {
    case RK_CELL_PEEPHOLE: peephole_vectors_backward(s); break;
    default: break;
    }
}
