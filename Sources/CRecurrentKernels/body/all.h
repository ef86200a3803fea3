// Every kernel body, then the table that names them, for the instruction set and element type
// the including translation unit set up (see `common.h`).

#include "common.h"
#include "activations.h"
#include "gemm.h"
#include "pack.h"
#include "cells.h"
#include "rowstep.h"
#include "vectors.h"
#include "optimizer.h"

const rk_kernels RK_TABLE = {
    .name = RK_ISA_NAME,
    .isa = RK_ISA_ID,
    .wide_tile = RK_WIDE,
    .pack_b = pack_b,
    .pack_slivers = pack_slivers,
    .gemm_block = gemm_block,
    .gemm_row = gemm_row,
    .gemm_thin = gemm_thin,
    .pack_row_blocks = pack_row_blocks,
    .row_block = row_block,
    .row_step = row_step,
    .row_back_product = row_back_product,
    .cell_forward = cell_forward,
    .cell_backward = cell_backward,
    .cell_vectors_backward = cell_vectors_backward,
    .add = add,
    .add_column_sums = add_column_sums,
    .scale = scale,
    .sum_of_squares = sum_of_squares,
    .all_finite = all_finite,
    .activation = activation,
    .sgd_step = sgd_step,
    .adam_step = adam_step,
};
