/* lora.c: the multi-LoRA shrink and expand over a stacked adapter bank, for a batch of rows that each
 * point at a plan of up to k_slots (adapter, weight) pairs (the layout is in dlp_kernels.h). The shrink
 * runs over (row, slot, group of four rank indices) units, four dots sharing one pass over x; the
 * expand is a run of vector axpys over B's transposed rows, four rows per pass over y, split over
 * output features when there is enough of them.
 * Slot coefficients (weight * scale) are folded into t by the shrink. gemm_lora (gemm.c) runs both
 * pieces inside its own threads and prefetches the bank spans they will read (dlp_cpu_lora_spans). */
#include "cpu_internal.h"

int64_t dlp_cpu_lora_shrink_units(const dlp_lora_shrink_args *a, int64_t m) {
    return m * a->k_slots * ((a->r_max + 3) / 4);
}

/* A unit is a (row, slot, group of four rank indices) triple, unit = (i * k_slots + s) * groups + g, so
 * a single decode row's dots still split over threads. A full group of an adapter's ranks shares one
 * pass over x (dot4); a partial one (the last, when the rank is not a multiple of 4) runs one dot per
 * index. Which kernel computes t[i, s, j] depends only on j and the rank, never on how units are split
 * over threads or on the other rows of the batch, so results do not change with either. */
void dlp_cpu_lora_shrink_range(const dlp_lora_shrink_args *a, int64_t begin, int64_t end) {
    size_t row_bytes = (size_t)a->d_in * dlp_dtype_size(a->bank_dtype);
    int64_t groups = (a->r_max + 3) / 4;
    for (int64_t unit = begin; unit < end; unit++) {
        int64_t i = unit / (a->k_slots * groups), s = (unit / groups) % a->k_slots, j0 = unit % groups * 4;
        int64_t j_end = j0 + 4 < a->r_max ? j0 + 4 : a->r_max;
        float *t = a->t + (i * a->k_slots + s) * a->r_max;
        int32_t plan = a->plan_of_row[i];
        int32_t adapter = plan < 0 ? -1 : a->plan_adapters[plan * a->k_slots + s];
        int64_t rank = adapter < 0 ? 0 : a->ranks[adapter];
        if (rank <= j0) {
            for (int64_t j = j0; j < j_end; j++) t[j] = 0.0f;
            continue;
        }
        float coefficient = a->plan_weights[plan * a->k_slots + s] * a->scales[adapter];
        const float *xi = a->x + i * a->ldx;
        const char *arow = (const char *)a->a_bank + ((size_t)adapter * a->r_max + j0) * row_bytes;
        if (j0 + 4 <= rank) {
            float dots[4];
            dlp_cpu_dot4(a->ctx, xi, arow, row_bytes, a->bank_dtype, a->d_in, dots);
            for (int r = 0; r < 4; r++) t[j0 + r] = coefficient * dots[r];
            continue;
        }
        for (int64_t j = j0; j < j_end; j++)
            t[j] = j < rank ? coefficient * dlp_cpu_dot(a->ctx, xi, arow + (j - j0) * row_bytes, a->bank_dtype, a->d_in) : 0.0f;
    }
}

static void shrink_range(void *p, int64_t begin, int64_t end, int32_t thread) {
    (void)thread;
    dlp_cpu_lora_shrink_range(p, begin, end);
}

void dlp_cpu_lora_shrink_run(dlp_context *ctx, const dlp_lora_shrink_args *args, int64_t m) {
    /* each unit is up to four dot products of length d_in: split once a thread gets ~4K multiply-adds */
    int64_t grain = args->d_in >= 1024 ? 1 : 1024 / args->d_in + 1;
    dlp_parallel_for(ctx->pool, dlp_cpu_lora_shrink_units(args, m), grain, shrink_range, (void *)args);
}

static int add_span(dlp_span *spans, int count, int capacity, const char *start, int64_t bytes) {
    if (count < capacity && bytes > 0) spans[count++] = (dlp_span){start, bytes};
    return count;
}

int dlp_cpu_lora_spans(const dlp_lora_shrink_args *shrink, int64_t unit_begin, int64_t unit_end,
                       const dlp_lora_expand_args *expand, int64_t n_begin, int64_t n_end,
                       dlp_span *spans, int capacity) {
    int count = 0;
    size_t element = dlp_dtype_size(shrink->bank_dtype);
    int64_t groups = (shrink->r_max + 3) / 4;
    /* the shrink's A rows: the units of one (row, slot) are consecutive rows of one adapter's A */
    for (int64_t unit = unit_begin; unit < unit_end;) {
        int64_t i = unit / (shrink->k_slots * groups), s = (unit / groups) % shrink->k_slots, g = unit % groups;
        int64_t stop = (i * shrink->k_slots + s + 1) * groups;
        if (stop > unit_end) stop = unit_end;
        int32_t plan = shrink->plan_of_row[i];
        int32_t adapter = plan < 0 ? -1 : shrink->plan_adapters[plan * shrink->k_slots + s];
        if (adapter >= 0) {
            int64_t j = g * 4, j_end = (g + (stop - unit)) * 4, rank = shrink->ranks[adapter];
            if (j_end > rank) j_end = rank;
            const char *arow = (const char *)shrink->a_bank + ((size_t)adapter * shrink->r_max + j) * shrink->d_in * element;
            if (j_end > j) count = add_span(spans, count, capacity, arow, (j_end - j) * shrink->d_in * (int64_t)element);
        }
        unit = stop;
    }
    /* the expand's B rows, restricted to output features [n_begin, n_end) */
    for (int64_t i = 0; i < expand->m && n_begin < n_end; i++) {
        int32_t plan = expand->plan_of_row[i];
        for (int64_t s = 0; plan >= 0 && s < expand->k_slots; s++) {
            int32_t adapter = expand->plan_adapters[plan * expand->k_slots + s];
            if (adapter < 0) continue;
            const char *bank = (const char *)expand->b_bank + (size_t)adapter * expand->r_max * expand->d_out * element;
            for (int64_t j = 0; j < expand->ranks[adapter]; j++)
                count = add_span(spans, count, capacity, bank + (j * expand->d_out + n_begin) * element,
                                 (n_end - n_begin) * (int64_t)element);
        }
    }
    return count;
}

static dlp_status check_plans(dlp_context *ctx, const char *op, int64_t m, int64_t n_adapters, const int32_t *ranks,
                              int64_t r_max, int64_t k_slots, int64_t n_plans, const int32_t *plan_adapters,
                              const int32_t *plan_of_row) {
    if (!ranks || (m > 0 && !plan_of_row) || (n_plans > 0 && !plan_adapters))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "%s: a NULL rank or plan table", op);
    for (int64_t i = 0; i < m; i++)
        if (plan_of_row[i] < -1 || plan_of_row[i] >= n_plans)
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "%s: row %lld points at plan %d of %lld",
                                op, (long long)i, plan_of_row[i], (long long)n_plans);
    for (int64_t p = 0; p < n_plans * k_slots; p++)
        if (plan_adapters[p] < -1 || plan_adapters[p] >= n_adapters)
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "%s: plan %lld slot %lld names adapter %d of %lld",
                                op, (long long)(p / k_slots), (long long)(p % k_slots), plan_adapters[p], (long long)n_adapters);
    for (int64_t a = 0; a < n_adapters; a++)
        if (ranks[a] < 0 || ranks[a] > r_max)
            return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "%s: adapter %lld has rank %d, bank holds %lld",
                                op, (long long)a, ranks[a], (long long)r_max);
    return DLP_STATUS_OK;
}

dlp_status dlp_cpu_lora_shrink(dlp_context *ctx, int64_t m, int64_t d_in, int64_t r_max, int64_t k_slots,
                               const float *x, int64_t ldx, const void *a_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                               const int32_t *ranks, const float *scales, int64_t n_plans,
                               const int32_t *plan_adapters, const float *plan_weights, const int32_t *plan_of_row,
                               float *t) {
    if (m < 0 || d_in <= 0 || r_max <= 0 || k_slots <= 0 || ldx < d_in || n_adapters <= 0 || n_plans < 0 ||
        !dlp_dtype_is_float(bank_dtype) || (m > 0 && (!x || !a_bank || !scales || !t || (n_plans > 0 && !plan_weights))))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "lora_shrink: bad sizes (m=%lld d_in=%lld r_max=%lld k=%lld) or a NULL pointer",
                            (long long)m, (long long)d_in, (long long)r_max, (long long)k_slots);
    dlp_status status = check_plans(ctx, "lora_shrink", m, n_adapters, ranks, r_max, k_slots, n_plans, plan_adapters, plan_of_row);
    if (status != DLP_STATUS_OK) return status;
    dlp_lora_shrink_args args = {ctx, d_in, r_max, k_slots, x, ldx, a_bank, bank_dtype, ranks, scales, plan_adapters, plan_weights, plan_of_row, t};
    dlp_cpu_lora_shrink_run(ctx, &args, m);
    return DLP_STATUS_OK;
}

/* y[i, n_begin:n_end] += sum over slots and j of t[i, s, j] * Bt[a, j, n_begin:n_end]: contiguous axpys */
void dlp_cpu_lora_expand_columns(const dlp_lora_expand_args *a, int64_t n_begin, int64_t n_end) {
    size_t element = dlp_dtype_size(a->bank_dtype);
    for (int64_t i = 0; i < a->m; i++) {
        int32_t plan = a->plan_of_row[i];
        if (plan < 0) continue;
        float *yi = a->y + i * a->ldy + n_begin;
        for (int64_t s = 0; s < a->k_slots; s++) {
            int32_t adapter = a->plan_adapters[plan * a->k_slots + s];
            if (adapter < 0) continue;
            int64_t rank = a->ranks[adapter];
            const float *ts = a->t + (i * a->k_slots + s) * a->r_max;
            const char *bank = (const char *)a->b_bank + (size_t)adapter * a->r_max * a->d_out * element;
            int64_t j = 0;
            for (; j + 4 <= rank; j += 4)       /* four rank indices per pass over y */
                dlp_cpu_axpy4(a->ctx, ts + j, bank + (j * a->d_out + n_begin) * element, (size_t)a->d_out * element,
                              a->bank_dtype, yi, n_end - n_begin);
            for (; j < rank; j++)
                if (ts[j] != 0.0f)
                    dlp_cpu_axpy(a->ctx, ts[j], bank + (j * a->d_out + n_begin) * element, a->bank_dtype, yi, n_end - n_begin);
        }
    }
}

static void expand_range(void *p, int64_t n_begin, int64_t n_end, int32_t thread) {
    (void)thread;
    dlp_cpu_lora_expand_columns(p, n_begin, n_end);
}

void dlp_cpu_lora_expand_run(dlp_context *ctx, const dlp_lora_expand_args *args) {
    /* split output features only when each thread gets enough vector work to pay for the wake-up */
    int64_t work_per_feature = args->m * args->k_slots * args->r_max;
    int64_t grain = 4096 / (work_per_feature + 1) + 16;
    dlp_parallel_for(ctx->pool, args->d_out, grain, expand_range, (void *)args);
}

dlp_status dlp_cpu_lora_expand_check(dlp_context *ctx, const char *op, int64_t m, int64_t d_out, int64_t r_max,
                                     int64_t k_slots, int64_t n_adapters, const int32_t *ranks, int64_t n_plans,
                                     const int32_t *plan_adapters, const int32_t *plan_of_row, int64_t ldy,
                                     dlp_dtype bank_dtype) {
    if (m < 0 || d_out <= 0 || r_max <= 0 || k_slots <= 0 || ldy < d_out || n_adapters <= 0 || n_plans < 0 ||
        !dlp_dtype_is_float(bank_dtype))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "%s: bad sizes m=%lld d_out=%lld r_max=%lld k=%lld",
                            op, (long long)m, (long long)d_out, (long long)r_max, (long long)k_slots);
    return check_plans(ctx, op, m, n_adapters, ranks, r_max, k_slots, n_plans, plan_adapters, plan_of_row);
}

dlp_status dlp_cpu_lora_expand(dlp_context *ctx, int64_t m, int64_t d_out, int64_t r_max, int64_t k_slots,
                               const float *t, const void *b_bank, dlp_dtype bank_dtype, int64_t n_adapters,
                               const int32_t *ranks,
                               int64_t n_plans, const int32_t *plan_adapters, const int32_t *plan_of_row,
                               float *y, int64_t ldy) {
    dlp_status status = dlp_cpu_lora_expand_check(ctx, "lora_expand", m, d_out, r_max, k_slots, n_adapters, ranks, n_plans,
                                                  plan_adapters, plan_of_row, ldy, bank_dtype);
    if (status != DLP_STATUS_OK) return status;
    if (m > 0 && (!t || !b_bank || !y))
        return dlp_cpu_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "lora_expand: a NULL t, bank or y pointer");
    dlp_lora_expand_args args = {ctx, m, d_out, r_max, k_slots, t, b_bank, bank_dtype, ranks, plan_adapters, plan_of_row, y, ldy};
    dlp_cpu_lora_expand_run(ctx, &args);
    return DLP_STATUS_OK;
}
