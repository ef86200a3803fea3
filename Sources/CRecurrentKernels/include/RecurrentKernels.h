#ifndef RECURRENT_KERNELS_H
#define RECURRENT_KERNELS_H

// The hot loops of Recurrent, in C so that each can be compiled for several instruction sets
// in one binary (Swift has no per-function target). Every kernel body is written once
// (`body/*.h`) and compiled once per instruction set and element type (`isa/*.c`), each
// instantiation under its own `target(...)` attribute; one table of function pointers per
// instantiation. Swift asks for the table of the instruction set it runs on
// (`rk_kernels_for`), once per operation, and keeps the plans, the threads and the time loops.
//
// Contract shared by every instantiation: a product's element is c0 + a0*b0 + ... + a(K-1)*b(K-1),
// k upwards, one running sum (one fused multiply-add per k where the set has FMA, a multiply
// then an add where it has not), so results depend neither on the register tile, the blocking
// nor the thread split. The FMA instruction sets (avx2, avx512, neon) compute the same
// operations on every lane and so give bit-identical results; the x86-64 baseline (SSE2, no FMA)
// rounds products separately and agrees with them to rounding.
//
// Pointers are `void *` so that one table type serves `float` and `double`; each table reads
// them as its own element type. Sizes are element counts.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The instruction sets a kernel table can be compiled for.
typedef enum rk_isa {
    /// x86-64 without extensions beyond SSE2, or the plain target on other architectures.
    RK_ISA_BASELINE = 0,
    /// x86-64 with AVX2 and FMA (Haswell, Zen 1 and later).
    RK_ISA_AVX2 = 1,
    /// x86-64 with AVX-512 F, BW, VL and DQ (Skylake-SP, Ice Lake, Zen 4 and later).
    RK_ISA_AVX512 = 2,
    /// arm64 with NEON and FMA (every arm64 CPU).
    RK_ISA_NEON = 3,
} rk_isa;

enum { RK_ISA_COUNT = 4 };

/// The element types of the tables.
typedef enum rk_dtype { RK_F32 = 0, RK_F64 = 1 } rk_dtype;

/// A registered cell: its place in the C registration list (`body/cells.h`), 0 ..< `rk_cell_count()`.
typedef int rk_cell;

/// What the library needs to know of a cell besides its element-wise step, written in the
/// cell's own file (`body/cells/<name>.h`) beside that step. Every cell stores PyTorch's four
/// tensors, `weight_ih` (G·H, X), `weight_hh` (G·H, H), `bias_ih` and `bias_hh` (G·H).
typedef struct rk_cell_info {
    /// The cell's name as `--cell` and model files write it (`"lstm"`), and its module's (`"LSTM"`).
    const char *_Nonnull name, *_Nonnull module_name;
    /// The PyTorch module with this cell (`"nn.LSTM"`), or NULL when PyTorch has none.
    const char *_Nullable torch_module_name;
    /// One line: what the cell computes, for documentation and `--help`.
    const char *_Nonnull summary;
    /// G, the stacked gate blocks of `weight_ih` and `weight_hh`.
    int gate_count;
    /// 1 when it carries a memory cell c besides h (the tape then keeps c_{t-1} and c_t).
    int has_cell_state;
    /// 1 when the recurrent product W_hh h + b_hh is kept apart from the input projection
    /// (the GRU scales part of it by r) rather than added into the same gates.
    int keeps_recurrent_part_apart;
    /// 1 when ∂L/∂h_{t-1} has a direct term besides the product through W_hh (the GRU's
    /// z ⊙ dh): the backward step writes it, the product adds to it.
    int has_direct_state_gradient;
    /// 1 when `proj_size` applies (PyTorch's LSTM only).
    int allows_projection;
    /// 1 when the simple RNN's choice of nonlinearity (tanh or ReLU) applies.
    int uses_nonlinearity;
    /// The block of the gate whose opening keeps the state (the forget-bias option sets its
    /// bias), and the block of an input gate (chrono initialisation sets its bias); -1 for none.
    int forget_gate_block, input_gate_block;
    /// Names of the vectors of H values each that follow PyTorch's four tensors, in the order
    /// the step reads them, separated by commas (`"weight_ci,weight_cf,weight_co"`), or "".
    const char *_Nonnull unit_vectors;
} rk_cell_info;

/// The number of registered cells.
int rk_cell_count(void);

/// The description of cell `cell`, or NULL outside 0 ..< `rk_cell_count()`.
const rk_cell_info *_Nullable rk_cell_info_of(rk_cell cell);

/// The id of the cell named `name` (`"lstm"`), or -1 when no cell of that name is registered.
int rk_cell_named(const char *_Nonnull name);

/// A strided matrix: element (i, j) at `base[i * row_stride + j * col_stride]`.
typedef struct rk_matrix {
    const void *_Nonnull base;
    long rows, cols, row_stride, col_stride;
} rk_matrix;

/// How the rows of A are cut into slivers for the packed product: `count_tall` slivers of
/// `tall` (6 or 8) rows, then `count4` of 4 rows.
typedef struct rk_slivers {
    long tall, count_tall, count4;
} rk_slivers;

/// One kc block of the packed product for slivers `s0 ..< s1` and panels `p0 ..< p1`:
/// C (+)= A · B where A's slivers are packed (columns `k0 ..< k0 + kl`) and B is packed in
/// panels of 16 columns. `nc_panels` panels are run along by every sliver before the next
/// panels; `edge` has room for a tall × 32 edge tile.
typedef struct rk_gemm_block {
    const void *_Nonnull b;
    long panel_stride, n;
    void *_Nonnull c;
    long m, ldc;
    rk_slivers slivers;
    long s0, s1;
    const void *_Nonnull packed_a;
    long k0, kl, p0, p1, nc_panels;
    int load, wide;
    void *_Nonnull edge;
} rk_gemm_block;

/// One element-wise step of a cell, forward. Gate k of unit j in row r sits at
/// `gates[r * gates_ld + k * gate_stride + j]` (pre-activations in, activations out); states at
/// `[r * state_ld + j]`. Units `0 ..< units` of rows `0 ..< rows`.
typedef struct rk_cell_step {
    void *_Nonnull gates;
    /// The GRU's recurrent part W_h h + b_h, laid out as `gates`; else NULL.
    const void *_Nullable recurrent;
    const void *_Nullable h_prev;
    void *_Nonnull h;
    const void *_Nullable c_prev;
    void *_Nullable c;
    /// The GRU's W_hn h + b_hn, kept for the backward pass (state layout), or NULL.
    void *_Nullable aux;
    /// The cell's per-unit vectors (the peephole weights), vector k of unit j at
    /// `unit_vectors[k * unit_vector_stride + j]`, or NULL.
    const void *_Nullable unit_vectors;
    long unit_vector_stride;
    long rows, units, gate_stride, gates_ld, state_ld;
    /// The simple RNN's nonlinearity: 0 tanh, 1 ReLU.
    int nonlinearity;
} rk_cell_step;

/// One element-wise step of a cell, backward, in the layouts of `rk_cell_step`.
typedef struct rk_cell_back {
    /// The step's activations.
    const void *_Nonnull gates;
    const void *_Nullable aux;
    const void *_Nullable h_prev;
    const void *_Nullable c_prev;
    const void *_Nullable c;
    /// ∂L/∂h_t (for the LSTM: ∂L/∂(o ⊙ tanh c_t), before any projection).
    const void *_Nonnull dh;
    /// LSTM: ∂L/∂c_t from the later steps in, ∂L/∂c_{t-1} out.
    void *_Nullable dc;
    /// ∂L/∂(pre-activations), out.
    void *_Nonnull d_gates;
    /// GRU: ∂L/∂(recurrent part), out.
    void *_Nullable d_recurrent;
    /// GRU and gated RNN: the direct part of ∂L/∂h_{t-1}, out (written, not added).
    void *_Nullable dh_prev;
    /// As in `rk_cell_step`.
    const void *_Nullable unit_vectors;
    long unit_vector_stride;
    long rows, units, gate_stride, gates_ld, state_ld;
    int nonlinearity;
} rk_cell_back;

/// The gradients of a cell's per-unit vectors over a whole pass, from what the tape kept:
/// `rows` rows of ∂L/∂(pre-activations) `(rows, G·H)` and of c_{t-1}, c_t `(rows, H)`; adds into
/// `out` (the vectors' gradients, one after another, H each). Nothing for cells without them.
typedef struct rk_cell_vectors_back {
    const void *_Nonnull d_gates;
    const void *_Nullable c_prev;
    const void *_Nullable c;
    void *_Nonnull out;
    long rows, hidden;
} rk_cell_vectors_back;

/// One step of the batch-1 path for row blocks `q0 ..< q1` (see `CellRunner.recurRows`): each
/// block's recurrent product (into its gates, or into `tile` from `bhh` for a recurrent part
/// kept apart), then the cell's element-wise step for its units, then (with `tape_gates`) the
/// activations copied to the tape in PyTorch's order. Block q holds units `q·units ..<`
/// `q·units + n` (n = units but for the last block), gate by gate, in `width` columns.
typedef struct rk_row_step {
    /// W_hhᵀ in row blocks: block q's `k × width` at `w + q·k·width`.
    const void *_Nonnull w;
    long k, width, units, hidden, q0, q1;
    /// The step's gates in row blocks (the input projection in, activations out).
    void *_Nonnull a;
    const void *_Nullable bhh;
    void *_Nullable tile;
    /// States, H each: h_{t-1}, h_t, c_{t-1}, c_t, the GRU's tape (W_hn h + b_hn).
    const void *_Nonnull h_prev;
    void *_Nonnull h;
    const void *_Nullable c_prev;
    void *_Nullable c;
    void *_Nullable aux;
    /// The cell's per-unit vectors, H apart (see `rk_cell_step`), or NULL.
    const void *_Nullable unit_vectors;
    /// The tape's gates of this step (G·H, PyTorch's order), or NULL.
    void *_Nullable tape_gates;
    int gates, apart, nonlinearity;
    rk_cell cell;
} rk_row_step;

/// PyTorch's SGD on n parameters (`torch.optim.SGD`), in the element type of the table.
typedef struct rk_sgd {
    void *_Nonnull p;
    const void *_Nonnull g;
    void *_Nullable momentum_buffer;
    long n;
    double neg_lr, weight_decay, momentum, keep;
    int use_decay, has_momentum, first, nesterov;
} rk_sgd;

/// PyTorch's Adam and AdamW (`torch.optim.Adam`, single-tensor path) on n parameters.
typedef struct rk_adam {
    void *_Nonnull p;
    const void *_Nonnull g;
    void *_Nonnull m;
    void *_Nonnull v;
    long n;
    double neg_step, bias_correction2_sqrt, eps, weight_decay, decay, w, one_minus_w, beta2, one_minus_beta2;
    int l2, decoupled, lerp_from_start;
} rk_adam;

/// The kernels of one instruction set and element type.
typedef struct rk_kernels {
    /// "baseline", "avx2", "avx512" or "neon".
    const char *_Nonnull name;
    rk_isa isa;
    /// The register tile the packed product prefers: 1 for 8 × 32 (16-lane vectors, for 32
    /// vector registers of 512 bits), 0 for 6 × 16.
    int wide_tile;

    /// Packs the K × N matrix `b` into panels of 16 columns (panel p's row k at
    /// `out[(p * K + k) * 16]`, zeros past column N).
    void (*_Nonnull pack_b)(const rk_matrix *_Nonnull b, void *_Nonnull out);
    /// Packs slivers `s0 ..< s1` of A, columns `k0 ..< k0 + kc`, one after the other into `dst`
    /// (sliver of h rows: h · kc elements, column by column; zeros for rows past A's).
    void (*_Nonnull pack_slivers)(const rk_matrix *_Nonnull a, const rk_slivers *_Nonnull plan, long s0, long s1,
                                  long k0, long kc, void *_Nonnull dst);
    /// One kc block of the packed product (see `rk_gemm_block`).
    void (*_Nonnull gemm_block)(const rk_gemm_block *_Nonnull args);
    /// One row of C over packed panels `p0 ..< p1`: c (+)= x · B, `x[k]` at `x + k · xs`.
    void (*_Nonnull gemm_row)(long k, const void *_Nonnull x, long xs, const void *_Nonnull b, long n,
                              void *_Nonnull c, long p0, long p1, int load, int wide);
    /// C (+)= A · B for a small K, row by row (B packed, K × n); C's rows `ldc` apart. With
    /// `bias` (n values), every row of C starts from it instead (C = bias + A · B).
    void (*_Nonnull gemm_thin)(const rk_matrix *_Nonnull a, const void *_Nonnull b, long n, void *_Nonnull c,
                               long ldc, int load, const void *_Nullable bias);
    /// Packs B (K × N) into `blocks` blocks of `width` columns stored row after row: block q's
    /// row k, slot s holds `B[k, columns[q·width + s]]`, or 0 where that index is negative.
    void (*_Nonnull pack_row_blocks)(const rk_matrix *_Nonnull b, const long *_Nonnull columns, long blocks,
                                     long width, void *_Nonnull out);
    /// c[0 ..< 16·vectors] += x · B for a block of B stored row after row (16·vectors wide).
    void (*_Nonnull row_block)(long k, const void *_Nonnull x, const void *_Nonnull b, long vectors, void *_Nonnull c);

    /// One batch-1 step over a participant's row blocks (see `rk_row_step`).
    void (*_Nonnull row_step)(const rk_row_step *_Nonnull args);
    /// The batch-1 backward product for row blocks `q0 ..< q1` of `width` hidden units each:
    /// out[j] (+)= Σ_r x[r] · W[r, j] over the `k` rows of W stored in blocks (block q's
    /// `k × width` at `w + q·k·width`), for units j from `q0·width` to at most `hidden`; `out`
    /// points at unit `q0·width`; adds to it when `accumulate`, else overwrites; `tile` holds
    /// one block's width.
    void (*_Nonnull row_back_product)(long k, const void *_Nonnull x, const void *_Nonnull w, long width, long hidden,
                                      long q0, long q1, void *_Nonnull out, void *_Nonnull tile, int accumulate);
    /// A cell's element-wise step, forward and backward.
    void (*_Nonnull cell_forward)(rk_cell cell, const rk_cell_step *_Nonnull step);
    void (*_Nonnull cell_backward)(rk_cell cell, const rk_cell_back *_Nonnull step);
    void (*_Nonnull cell_vectors_backward)(rk_cell cell, const rk_cell_vectors_back *_Nonnull args);

    /// y[0 ..< n] += x[0 ..< n].
    void (*_Nonnull add)(long n, const void *_Nonnull x, void *_Nonnull y);
    /// out[j] += Σ_r m[r · ld + j] for j in `0 ..< width` (and the same into `second`).
    void (*_Nonnull add_column_sums)(const void *_Nonnull m, long rows, long ld, long width, void *_Nonnull out,
                                     void *_Nullable second);
    /// x[0 ..< n] *= factor (rounded to the element type first).
    void (*_Nonnull scale)(long n, void *_Nonnull x, double factor);
    /// Σ x², accumulated in double over 8 partial sums in a fixed order.
    double (*_Nonnull sum_of_squares)(long n, const void *_Nonnull x);
    /// 1 when no element is NaN or infinite.
    int (*_Nonnull all_finite)(long n, const void *_Nonnull x);
    /// y = f(x) element-wise: 0 tanh, 1 sigmoid, 2 ReLU.
    void (*_Nonnull activation)(int function, long n, const void *_Nonnull x, void *_Nonnull y);

    void (*_Nonnull sgd_step)(const rk_sgd *_Nonnull args);
    void (*_Nonnull adam_step)(const rk_adam *_Nonnull args);
} rk_kernels;

/// Whether this binary holds kernels for `isa`.
int rk_isa_compiled(rk_isa isa);
/// Whether this CPU (and its operating system) can run `isa`.
int rk_isa_supported(rk_isa isa);
/// The best instruction set this binary holds and this CPU runs.
rk_isa rk_best_isa(void);
/// The table for `isa` and `dtype`, or NULL when the binary lacks it or the CPU cannot run it.
const rk_kernels *_Nullable rk_kernels_for(rk_isa isa, rk_dtype dtype);
/// The CPU's brand string (cpuid on x86), "" when unknown; at most `size` bytes with the NUL.
void rk_cpu_brand(char *_Nonnull out, long size);
/// x86 family and model as cpuid reports them (display family/model), or -1.
void rk_cpu_family_model(int *_Nonnull family, int *_Nonnull model);
/// The processors this process may run on: its affinity mask on Linux (so `taskset` and a
/// container's cpuset count), else the online processors; at least 1.
long rk_usable_cpu_count(void);

// Atomics and spin hints for the kernels' thread pool (Swift's own atomics need macOS 15 or
// the swift-atomics package). All operations are sequentially consistent.
static inline long recurrent_atomic_load(const long *_Nonnull p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void recurrent_atomic_store(long *_Nonnull p, long v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline long recurrent_atomic_add(long *_Nonnull p, long v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
/// Release and acquire orderings, for a step barrier: a store-release publishes every write
/// before it to a thread whose load-acquire sees it, without the full fence (and the wait for
/// every pending store) that a sequentially consistent store costs on x86.
static inline void recurrent_atomic_store_release(long *_Nonnull p, long v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline long recurrent_atomic_load_acquire(const long *_Nonnull p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
/// A cycle counter for measuring short stretches of work (x86 TSC, arm64 virtual counter);
/// only differences between readings on one machine mean anything.
static inline unsigned long long recurrent_ticks(void) {
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    unsigned long long value;
    __asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(value));
    return value;
#else
    return 0;
#endif
}
/// Sets `*p` to `desired` if it holds `expected`; returns whether it did.
static inline int recurrent_atomic_cas(long *_Nonnull p, long expected, long desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
/// Asks for the cache line holding `p` to be loaded (a hint; never faults).
static inline void recurrent_prefetch(const void *_Nonnull p) { __builtin_prefetch(p, 0, 3); }
/// Tells the CPU this is a spin-wait loop (x86 `pause`, arm64 `yield`).
static inline void recurrent_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#ifdef __cplusplus
}
#endif

#endif
