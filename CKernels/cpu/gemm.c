/* gemm.c: y = beta*y + x * W^T + bias with W in its stored dtype (the Linear layer of every model).
 * The output features are split across the pool; each thread owns a block of W's rows.
 * - Few rows of x (decode): a dot product per (row of x, row of W), weights widened in registers as they
 *   stream by: a memory-bound GEMV, no f32 copy of the matrix, any dtype.
 * - Many rows (prefill): f32 blocks go straight to OpenBLAS sgemm (single-threaded, inside our thread);
 *   f16/bf16 blocks are widened one tile of rows (up to DLP_GEMM_TILE_BYTES) at a time into the thread's
 *   scratch and multiplied by sgemm, so the compute runs at sgemm speed without widening the whole matrix.
 * - Block-quantized W (the GGUF formats): the rows of x are quantized to 8-bit blocks once per call
 *   (cpu_quant.h) and every (row of x, row of W) pair is an integer dot product, four rows of x per
 *   unpacked weight block. Prefill on x86 unpacks 8 rows of W at a time into a panel (cpu_quant.h)
 *   that every row of x is then multiplied with, 8 outputs per instruction; elsewhere it walks x in
 *   tiles of DLP_GEMM_QUANT_TILE rows so a tile stays in L2.
 * - Row-interleaved W (DLP_DTYPE_*_X8, packed at load): the stored groups of 8 rows are the panels, so
 *   every m, decode included, runs the group product (up to 8 x rows per pass on VNNI) with nothing
 *   built per call, and a row's result does not depend on how many rows share the step. The work is
 *   split by whole groups; the n % 8 plain rows at the end take the row dots.
 * gemm_lora is a whole adapted projection, y (+)= x W^T + bias + B (A x) per row's plan. Decode: one
 * region in two phases. Each thread streams its block of W while prefetching the adapter bytes it will
 * need (its share of A's rows, B's columns for its features), then runs its share of the shrink; after
 * a barrier it adds the expand of its own features. The adapters so cost no extra wake-ups and are read
 * from cache, not in small cold pieces. Prefill: shrink, blocked product, expand, one region each. */
#include "cpu_quant.h"
#include "dlp_repack.h"
#include <cblas.h>

#define DLP_GEMM_TILE_BYTES (8 << 20) /* f32 bytes of W widened per thread per sgemm call in the prefill path:
                                       * large calls amortize sgemm's packing of x (128 rows: 8% slower) */
#define DLP_GEMM_TILE_MIN_ROWS 128
#define DLP_GEMM_SMALL_M 8          /* below this many x rows, the dot kernel beats widening */
#define DLP_GEMM_QUANT_TILE 64      /* x rows per tile of a quantized prefill product */
#define DLP_GEMM_PANEL_ROWS 8       /* from this many x rows, 8-row panels of W beat row dots (measured: equal at 8, 1.5x at 16) */
#define DLP_GEMM_PREFETCH_SPANS 512 /* bank spans a gemm_lora thread prefetches (more are read cold) */
#define DLP_GEMM_PREFETCH_ROWS 128  /* the prefetches spread over the last this-many W rows of a thread,
                                     * so the lines are still in L2 when the shrink and expand read them */

typedef struct {
    const dlp_context *ctx;
    int64_t m, k;
    const float *x; int64_t ldx;
    const char *w; dlp_dtype w_dtype; int64_t ldw;
    float beta;
    float *y; int64_t ldy;
    size_t w_row_bytes;              /* bytes between rows of W */
    float *scratch;                  /* [n_threads, tile_rows, k] */
    int64_t tile_rows;               /* W rows widened per sgemm call */
    /* block-quantized W only: */
    dlp_qdot_fn qdot;                /* the dot of one W row with 1 to 4 quantized x rows */
    const char *xq;                  /* x quantized: m rows of xq_row_bytes */
    size_t xq_row_bytes;
    int64_t w_blocks;                /* blocks of W per row the product reads (k / block size) */
    dlp_qpanel_fn qpanel;            /* prefill on x86: the panel product (NULL: row dots) */
    dlp_qpanel_build_fn qpanel_build;
    char *panels;                    /* [n_threads] panels of panel_bytes, one per thread */
    size_t panel_bytes;
    /* row-interleaved W (DLP_DTYPE_*_X8) only; qdot, xq and w_blocks are its plain format's: */
    int64_t n_rows;                  /* rows of W: groups of 8, then n_rows % 8 plain rows */
    int64_t groups;                  /* n_rows / 8; work unit `groups` is the plain tail */
    dlp_qpanel_fn qx8;               /* the group product (NULL: each group unpacked to plain rows, row dots) */
    int qx8_rows;                    /* x rows per call of qx8 */
    char *plain_rows;                /* [n_threads][8 rows of w_row_bytes]: the fallback's unpacked group */
} gemm_args;

/* Walks a list of spans one cache line at a time, issuing software prefetches. */
typedef struct {
    const dlp_span *spans;
    int count, index;
    int64_t offset;
} prefetch_cursor;

static void prefetch_lines(prefetch_cursor *c, int64_t lines) {
    for (; lines > 0 && c->index < c->count; lines--) {
        __builtin_prefetch(c->spans[c->index].start + c->offset, 0, 3);
        c->offset += 64;
        if (c->offset >= c->spans[c->index].bytes) {
            c->index++;
            c->offset = 0;
        }
    }
}

/* y[i_begin:i_end, n] for one quantized W row n (its bytes at wrow), four x rows per call of the dot. */
static void gemm_quant_row_at(const gemm_args *a, const void *wrow, int64_t n, int64_t i_begin, int64_t i_end) {
    for (int64_t i = i_begin; i < i_end; i += 4) {
        int rows = i_end - i < 4 ? (int)(i_end - i) : 4;
        float v[4];
        a->qdot(wrow, a->xq + (size_t)i * a->xq_row_bytes, a->xq_row_bytes, rows, a->w_blocks, v);
        for (int r = 0; r < rows; r++) {
            float *dst = a->y + (i + r) * a->ldy + n;
            *dst = a->beta != 0.0f ? *dst + v[r] : v[r];
        }
    }
}

static void gemm_quant_row(const gemm_args *a, int64_t n, int64_t i_begin, int64_t i_end) {
    gemm_quant_row_at(a, a->w + (size_t)n * a->w_row_bytes, n, i_begin, i_end);
}

/* Work units of a row-interleaved W: groups of 8 rows, then one unit for the plain tail (if any). */
static int64_t x8_units(const gemm_args *a) { return a->groups + (a->n_rows > a->groups * 8 ? 1 : 0); }

/* Units [u_begin, u_end) of a row-interleaved W against every x row; with a cursor, its lines are
 * prefetched over the last DLP_GEMM_PREFETCH_ROWS rows. */
static void gemm_x8_units(const gemm_args *a, int64_t u_begin, int64_t u_end, int32_t thread, prefetch_cursor *cursor,
                          int64_t lines) {
    const size_t group_bytes = 8 * a->w_row_bytes, block_bytes = (size_t)dlp_dtype_block_bytes(dlp_dtype_plain(a->w_dtype));
    int64_t prefetch_units = (u_end - u_begin) < DLP_GEMM_PREFETCH_ROWS / 8 ? u_end - u_begin : DLP_GEMM_PREFETCH_ROWS / 8;
    int64_t per_unit = prefetch_units > 0 ? (lines + prefetch_units - 1) / prefetch_units : 0;
    for (int64_t u = u_begin; u < u_end; u++) {
        if (cursor && u >= u_end - prefetch_units) prefetch_lines(cursor, per_unit);
        if (u == a->groups) {                         /* the plain tail rows */
            for (int64_t n = a->groups * 8; n < a->n_rows; n++) gemm_quant_row(a, n, 0, a->m);
            continue;
        }
        const char *group = a->w + (size_t)u * group_bytes;
        if (!a->qx8) {                                /* unpacked to 8 plain rows, then the row dots */
            char *plain = a->plain_rows + (size_t)thread * group_bytes;
            for (int j = 0; j < 8; j++)
                for (int64_t b = 0; b < a->w_blocks; b++)
                    dlp_x8_plain_block(a->w_dtype, (const uint8_t *)a->w, a->n_rows, a->ldw, u * 8 + j, b,
                                       (uint8_t *)plain + (size_t)j * a->w_row_bytes + (size_t)b * block_bytes);
            for (int j = 0; j < 8; j++) gemm_quant_row_at(a, plain + (size_t)j * a->w_row_bytes, u * 8 + j, 0, a->m);
            continue;
        }
        for (int64_t i = 0; i < a->m; i += a->qx8_rows) {
            int x_rows = a->m - i < a->qx8_rows ? (int)(a->m - i) : a->qx8_rows;
            float v[8 * 8];
            a->qx8(a->w_dtype, group, a->w_blocks, a->xq + (size_t)i * a->xq_row_bytes, a->xq_row_bytes, x_rows, v);
            for (int r = 0; r < x_rows; r++) {
                float *dst = a->y + (i + r) * a->ldy + u * 8;
                if (a->beta == 0.0f) {
                    memcpy(dst, v + r * 8, 8 * sizeof(float));
                } else {
                    for (int j = 0; j < 8; j++) dst[j] += v[r * 8 + j];
                }
            }
        }
    }
}

static void gemm_x8_range(void *p, int64_t u_begin, int64_t u_end, int32_t thread) {
    gemm_x8_units(p, u_begin, u_end, thread, NULL, 0);
}

/* The dot products of W rows [n_begin, n_end); with a cursor, its lines are prefetched over the last
 * DLP_GEMM_PREFETCH_ROWS rows. */
static void gemm_dot_rows(const gemm_args *a, int64_t n_begin, int64_t n_end, prefetch_cursor *cursor, int64_t lines) {
    size_t row_bytes = a->w_row_bytes;
    int64_t rows = n_end - n_begin;
    int64_t prefetch_rows = rows < DLP_GEMM_PREFETCH_ROWS ? rows : DLP_GEMM_PREFETCH_ROWS;
    int64_t per_row = prefetch_rows > 0 ? (lines + prefetch_rows - 1) / prefetch_rows : 0;
    for (int64_t n = n_begin; n < n_end; n++) {
        if (cursor && n >= n_end - prefetch_rows) prefetch_lines(cursor, per_row);
        if (a->qdot) {
            gemm_quant_row(a, n, 0, a->m);
            continue;
        }
        const void *wrow = a->w + (size_t)n * row_bytes;
        for (int64_t i = 0; i < a->m; i++) {
            float v = dlp_cpu_dot(a->ctx, a->x + i * a->ldx, wrow, a->w_dtype, a->k);
            float *dst = a->y + i * a->ldy + n;
            *dst = a->beta != 0.0f ? *dst + v : v;
        }
    }
}

static void gemm_dot_range(void *p, int64_t n_begin, int64_t n_end, int32_t thread) {
    (void)thread;
    gemm_dot_rows(p, n_begin, n_end, NULL, 0);
}

static void gemm_block_range(void *p, int64_t n_begin, int64_t n_end, int32_t thread) {
    const gemm_args *a = p;
    size_t row_bytes = a->w_row_bytes;
    if (a->qpanel) {                 /* 8 W rows unpacked into the thread's panel, then every x row against it */
        char *panel = a->panels + (size_t)thread * a->panel_bytes;
        for (int64_t j0 = n_begin; j0 < n_end; j0 += DLP_PANEL_ROWS) {
            int rows = n_end - j0 < DLP_PANEL_ROWS ? (int)(n_end - j0) : DLP_PANEL_ROWS;
            a->qpanel_build(a->w_dtype, a->w + (size_t)j0 * row_bytes, row_bytes, rows, a->w_blocks, panel);
            for (int64_t i = 0; i < a->m; i += 4) {
                int x_rows = a->m - i < 4 ? (int)(a->m - i) : 4;
                float v[4 * DLP_PANEL_ROWS];
                a->qpanel(a->w_dtype, panel, a->w_blocks, a->xq + (size_t)i * a->xq_row_bytes, a->xq_row_bytes, x_rows, v);
                for (int r = 0; r < x_rows; r++) {
                    float *dst = a->y + (i + r) * a->ldy + j0;
                    for (int j = 0; j < rows; j++) dst[j] = a->beta != 0.0f ? dst[j] + v[r * DLP_PANEL_ROWS + j] : v[r * DLP_PANEL_ROWS + j];
                }
            }
        }
        return;
    }
    if (a->qdot) {                   /* a tile of x rows against every W row of the thread, then the next */
        for (int64_t i0 = 0; i0 < a->m; i0 += DLP_GEMM_QUANT_TILE) {
            int64_t i1 = a->m - i0 < DLP_GEMM_QUANT_TILE ? a->m : i0 + DLP_GEMM_QUANT_TILE;
            for (int64_t n = n_begin; n < n_end; n++) gemm_quant_row(a, n, i0, i1);
        }
        return;
    }
    if (a->w_dtype == DLP_DTYPE_F32) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->m, (int)(n_end - n_begin), (int)a->k, 1.0f,
                    a->x, (int)a->ldx, (const float *)(a->w + (size_t)n_begin * row_bytes), (int)a->ldw, a->beta,
                    a->y + n_begin, (int)a->ldy);
        return;
    }
    float *tile = a->scratch + (size_t)thread * (size_t)a->tile_rows * (size_t)a->k;
    for (int64_t n0 = n_begin; n0 < n_end; n0 += a->tile_rows) {
        int64_t rows = n_end - n0 < a->tile_rows ? n_end - n0 : a->tile_rows;
        for (int64_t r = 0; r < rows; r++)
            dlp_cpu_widen_row(a->ctx, a->w + (size_t)(n0 + r) * row_bytes, a->w_dtype, a->k, tile + r * a->k);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->m, (int)rows, (int)a->k, 1.0f, a->x, (int)a->ldx,
                    tile, (int)a->k, a->beta, a->y + n0, (int)a->ldy);
    }
}

static void add_bias(int64_t m, int64_t n, const void *bias, dlp_dtype dtype, float *y, int64_t ldy) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) y[i * ldy + j] += dlp_load_weight(bias, dtype, j);
}

static dlp_status check_gemm(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                             const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                             float beta, const float *y, int64_t ldy) {
    if (m < 0 || n <= 0 || k <= 0 || ldx < k || ldw < k || ldy < n || !x || !w || !y)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT,
                            "gemm: bad sizes m=%lld n=%lld k=%lld ldx=%lld ldw=%lld ldy=%lld",
                            (long long)m, (long long)n, (long long)k, (long long)ldx, (long long)ldw, (long long)ldy);
    if (dlp_dtype_row_bytes(w_dtype, ldw) < 0 || k % dlp_dtype_block_elements(w_dtype) != 0 ||
        (bias && !dlp_dtype_is_float(bias_dtype)))
        return dlp_cpu_fail(ctx, dlp_dtype_block_elements(w_dtype) > 0 ? DLP_STATUS_INVALID_ARGUMENT : DLP_STATUS_UNSUPPORTED,
                            "gemm: weight dtype %d with k=%lld, ldw=%lld (not multiples of its block of %lld) "
                            "or bias dtype %d", (int)w_dtype, (long long)k, (long long)ldw,
                            (long long)dlp_dtype_block_elements(w_dtype), (int)bias_dtype);
    if (beta != 0.0f && beta != 1.0f)
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "gemm: beta must be 0 or 1");
    return DLP_STATUS_OK;
}

/* The product's arguments; for a block-quantized W, x quantized (or the memo of an unchanged x). */
static dlp_status prepare_product(dlp_context *ctx, gemm_args *a, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                                  const void *w, dlp_dtype w_dtype, int64_t ldw, float beta, float *y, int64_t ldy) {
    *a = (gemm_args){.ctx = ctx, .m = m, .k = k, .x = x, .ldx = ldx, .w = w, .w_dtype = w_dtype, .ldw = ldw,
                     .beta = beta, .y = y, .ldy = ldy, .w_row_bytes = (size_t)dlp_dtype_row_bytes(w_dtype, ldw)};
    if (!dlp_dtype_is_quantized(w_dtype)) return DLP_STATUS_OK;
    const dlp_dtype plain = dlp_dtype_plain(w_dtype);
    a->qdot = dlp_cpu_qdot(ctx, plain);
    a->xq_row_bytes = dlp_cpu_qact_row_bytes(plain, k);
    a->w_blocks = k / dlp_dtype_block_elements(plain);
    a->n_rows = n;
    a->groups = n / 8;
    size_t plain_rows_bytes = 0;
    if (dlp_dtype_is_row_interleaved(w_dtype)) {
#if defined(__x86_64__)
        if (ctx->has_avx2) a->qx8 = dlp_cpu_qx8_avx2(w_dtype, ctx->has_vnni, &a->qx8_rows);
#endif
        if (!a->qx8) plain_rows_bytes = (size_t)ctx->n_threads * 8 * a->w_row_bytes;
    }
#if defined(__x86_64__)
    if (m >= DLP_GEMM_PANEL_ROWS && ctx->has_avx2 && !dlp_dtype_is_row_interleaved(w_dtype)) {
        a->qpanel = dlp_cpu_qpanel_avx2(w_dtype, ctx->has_vnni);
        a->qpanel_build = dlp_cpu_qpanel_build_avx2(ctx->has_vnni);
    }
#endif
    /* scratch: (panels) one panel per thread at offsets that are multiples of 64 bytes, or the fallback's
     * unpacked groups */
    a->panel_bytes = a->qpanel ? ((size_t)a->w_blocks * dlp_cpu_qpanel_block_bytes(w_dtype) + 63) / 64 * 64 : 0;
    size_t panels_bytes = (size_t)ctx->n_threads * a->panel_bytes;
    if (panels_bytes + plain_rows_bytes > 0) {
        char *scratch = (char *)dlp_cpu_scratch(ctx, (panels_bytes + plain_rows_bytes + 3) / 4);
        if (!scratch) return DLP_STATUS_OUT_OF_MEMORY;
        a->panels = scratch;
        a->plain_rows = scratch + panels_bytes;
    }
    a->xq = dlp_cpu_quantized_activations(ctx, plain, m, k, x, ldx);
    return a->xq ? DLP_STATUS_OK : DLP_STATUS_OUT_OF_MEMORY;
}

/* The product over the pool, then the bias. */
static dlp_status run_gemm(dlp_context *ctx, gemm_args *args, int64_t n, const void *bias, dlp_dtype bias_dtype) {
    if (dlp_dtype_is_row_interleaved(args->w_dtype)) {
        dlp_parallel_for(ctx->pool, x8_units(args), args->m < DLP_GEMM_SMALL_M ? 2 : 4, gemm_x8_range, args);
    } else if (args->m < DLP_GEMM_SMALL_M) {
        dlp_parallel_for(ctx->pool, n, 16, gemm_dot_range, args);
    } else {
        if (args->w_dtype != DLP_DTYPE_F32 && !args->qdot) {
            int64_t per_thread = (n + ctx->n_threads - 1) / ctx->n_threads, fit = DLP_GEMM_TILE_BYTES / (4 * args->k);
            args->tile_rows = fit < DLP_GEMM_TILE_MIN_ROWS ? DLP_GEMM_TILE_MIN_ROWS : fit;
            if (args->tile_rows > per_thread) args->tile_rows = per_thread;
            args->scratch = dlp_cpu_scratch(ctx, (size_t)ctx->n_threads * (size_t)args->tile_rows * (size_t)args->k);
            if (!args->scratch) return DLP_STATUS_OUT_OF_MEMORY;
        }
        dlp_parallel_for(ctx->pool, n, 32, gemm_block_range, args);
    }
    if (bias) add_bias(args->m, n, bias, bias_dtype, args->y, args->ldy);
    return DLP_STATUS_OK;
}

dlp_status dlp_cpu_gemm(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                        const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                        float beta, float *y, int64_t ldy) {
    dlp_status status = check_gemm(ctx, m, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy);
    if (status != DLP_STATUS_OK || m == 0) return status;
    gemm_args args;
    status = prepare_product(ctx, &args, m, n, k, x, ldx, w, w_dtype, ldw, beta, y, ldy);
    return status == DLP_STATUS_OK ? run_gemm(ctx, &args, n, bias, bias_dtype) : status;
}

typedef struct {
    const gemm_args *product;
    int64_t n;
    const dlp_lora_shrink_args *shrink;
    const dlp_lora_expand_args *expand;
    dlp_thread_pool *pool;
} lora_linear_args;

/* One thread of a decode gemm_lora: product rows (prefetching its bank spans), shrink units, barrier,
 * the expand of its own slice of output features. */
static void lora_linear_thread(void *p, int32_t thread, int32_t n_threads) {
    lora_linear_args *a = p;
    int64_t n = a->n;
    int64_t n_begin = n * thread / n_threads, n_end = n * (thread + 1) / n_threads;
    int64_t units = dlp_cpu_lora_shrink_units(a->shrink, a->expand->m);
    int64_t unit_begin = units * thread / n_threads, unit_end = units * (thread + 1) / n_threads;
    dlp_span spans[DLP_GEMM_PREFETCH_SPANS];
    int count = dlp_cpu_lora_spans(a->shrink, unit_begin, unit_end, a->expand, n_begin, n_end, spans,
                                   DLP_GEMM_PREFETCH_SPANS);
    int64_t lines = 0;
    for (int i = 0; i < count; i++) lines += (spans[i].bytes + 63) / 64;
    prefetch_cursor cursor = {spans, count, 0, 0};
    if (dlp_dtype_is_row_interleaved(a->product->w_dtype)) {  /* the product split by whole groups */
        int64_t units = x8_units(a->product);
        gemm_x8_units(a->product, units * thread / n_threads, units * (thread + 1) / n_threads, thread, &cursor, lines);
    } else {
        gemm_dot_rows(a->product, n_begin, n_end, &cursor, lines);
    }
    prefetch_lines(&cursor, lines);                  /* whatever the rows were too few to issue */
    dlp_cpu_lora_shrink_range(a->shrink, unit_begin, unit_end);
    dlp_parallel_barrier(a->pool);
    if (n_begin < n_end) dlp_cpu_lora_expand_columns(a->expand, n_begin, n_end);
}

dlp_status dlp_cpu_gemm_lora(dlp_context *ctx, int64_t m, int64_t n, int64_t k, const float *x, int64_t ldx,
                             const void *w, dlp_dtype w_dtype, int64_t ldw, const void *bias, dlp_dtype bias_dtype,
                             float beta, float *y, int64_t ldy, int64_t r_max, int64_t k_slots, const void *a_bank,
                             const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters, const int32_t *ranks,
                             const float *scales, int64_t n_plans, const int32_t *plan_adapters,
                             const float *plan_weights, const int32_t *plan_of_row, float *t) {
    dlp_status status = check_gemm(ctx, m, n, k, x, ldx, w, w_dtype, ldw, bias, bias_dtype, beta, y, ldy);
    if (status == DLP_STATUS_OK)
        status = dlp_cpu_lora_expand_check(ctx, "gemm_lora", m, n, r_max, k_slots, n_adapters, ranks, n_plans,
                                           plan_adapters, plan_of_row, ldy, bank_dtype);
    if (status == DLP_STATUS_OK && (!a_bank || !b_bank || !scales || (n_plans > 0 && !plan_weights) || !t))
        status = dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "gemm_lora: a NULL bank, scale, weight or t pointer");
    if (status != DLP_STATUS_OK || m == 0) return status;
    dlp_lora_shrink_args shrink = {ctx, k, r_max, k_slots, x, ldx, a_bank, bank_dtype, ranks, scales, plan_adapters,
                                   plan_weights, plan_of_row, t};
    dlp_lora_expand_args expand = {ctx, m, n, r_max, k_slots, t, b_bank, bank_dtype, ranks, plan_adapters, plan_of_row, y, ldy};
    gemm_args product;
    status = prepare_product(ctx, &product, m, n, k, x, ldx, w, w_dtype, ldw, beta, y, ldy);
    if (status != DLP_STATUS_OK) return status;
    if (m < DLP_GEMM_SMALL_M) {
        lora_linear_args args = {&product, n, &shrink, &expand, ctx->pool};
        dlp_parallel_run(ctx->pool, lora_linear_thread, &args);
        if (bias) add_bias(m, n, bias, bias_dtype, y, ldy);
        return DLP_STATUS_OK;
    }
    dlp_cpu_lora_shrink_run(ctx, &shrink, m);
    status = run_gemm(ctx, &product, n, bias, bias_dtype);
    if (status == DLP_STATUS_OK) dlp_cpu_lora_expand_run(ctx, &expand);
    return status;
}
