// staging.cu: small uploads (a step's ids, positions, slots and plan tables) through a ring of pinned
// host slots: the caller's bytes are copied into a slot and the slot goes up with cudaMemcpyAsync, so the
// upload returns without waiting for the GPU (buffer_upload stays synchronous for the caller, who may
// reuse its memory at once). A slot is written again only after the event recorded behind its last copy.
// Without pinned memory (the slots could not be made), uploads wait for their copy instead.
#include "cuda_internal.cuh"
#include <string.h>

dlp_status dlp_cuda_staging_create(dlp_context *ctx) {
    for (int i = 0; i < DLP_STAGING_SLOTS; i++) {
        if (cudaHostAlloc(&ctx->staging[i], DLP_STAGING_BYTES, cudaHostAllocDefault) != cudaSuccess ||
            cudaEventCreateWithFlags(&ctx->staging_done[i], cudaEventDisableTiming) != cudaSuccess) {
            cudaGetLastError();
            return dlp_cuda_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "cannot allocate %d pinned staging slots of %d bytes",
                                 DLP_STAGING_SLOTS, DLP_STAGING_BYTES);
        }
    }
    return DLP_STATUS_OK;
}

void dlp_cuda_staging_destroy(dlp_context *ctx) {
    cudaGetLastError();
    for (int i = 0; i < DLP_STAGING_SLOTS; i++) {
        if (ctx->staging_done[i]) cudaEventDestroy(ctx->staging_done[i]);
        if (ctx->staging[i]) cudaFreeHost(ctx->staging[i]);
        ctx->staging_done[i] = NULL;
        ctx->staging[i] = NULL;
    }
}

dlp_status dlp_cuda_staged_upload(dlp_context *ctx, void *dst, const void *src, size_t bytes) {
    int slot = ctx->staging_next;
    ctx->staging_next = (slot + 1) % DLP_STAGING_SLOTS;
    // the slot's previous copy has long finished unless DLP_STAGING_SLOTS uploads were queued meanwhile
    cudaError_t err = cudaEventSynchronize(ctx->staging_done[slot]);
    if (err == cudaSuccess) {
        memcpy(ctx->staging[slot], src, bytes);
        err = cudaMemcpyAsync(dst, ctx->staging[slot], bytes, cudaMemcpyHostToDevice, ctx->stream);
    }
    if (err == cudaSuccess) {
        err = cudaEventRecord(ctx->staging_done[slot], ctx->stream);
        // without its event the slot could be rewritten while its copy is pending: wait for the copy
        if (err != cudaSuccess) cudaStreamSynchronize(ctx->stream);
    }
    if (err != cudaSuccess) {
        cudaGetLastError();
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "staged upload of %zu bytes failed: %s", bytes, cudaGetErrorString(err));
    }
    return DLP_STATUS_OK;
}
