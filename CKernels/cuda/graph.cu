// graph.cu: CUDA graphs for the kernel table's graph_* entries: the ops called between graph_begin and
// graph_end are captured from the context's stream (not run), instantiated once, and replayed by
// graph_launch as one launch. A graph remembers where the context's scratch was when it was recorded and
// refuses to replay once the scratch has moved. Memory and graphs freed while recording (freeing waits
// for the stream, which would end the capture) are released when the recording ends.
#include "cuda_internal.cuh"
#include <stdlib.h>

struct dlp_graph {
    cudaGraphExec_t exec;
    uint64_t scratch_moves;      // ctx->scratch_moves when recorded
};

// Appends item to a growable list; on a failed allocation the item is kept by the caller (returns 0).
static int push(void ***list, size_t *count, void *item) {
    void **grown = (void **)realloc(*list, (*count + 1) * sizeof(void *));
    if (!grown) return 0;
    grown[(*count)++] = item;
    *list = grown;
    return 1;
}

static void destroy_graph(dlp_graph *graph) {
    cudaGraphExecDestroy(graph->exec);
    free(graph);
}

void dlp_cuda_defer_free(dlp_context *ctx, void *data) {
    // with no host memory left to remember it, the device memory leaks rather than ending the capture
    push(&ctx->deferred, &ctx->n_deferred, data);
}

void dlp_cuda_free_deferred(dlp_context *ctx) {
    if (ctx->n_deferred + ctx->n_deferred_graphs == 0) return;
    cudaStreamSynchronize(ctx->stream);          // queued kernels may still read them
    for (size_t i = 0; i < ctx->n_deferred; i++) cudaFree(ctx->deferred[i]);
    for (size_t i = 0; i < ctx->n_deferred_graphs; i++) destroy_graph(ctx->deferred_graphs[i]);
    free(ctx->deferred);
    free(ctx->deferred_graphs);
    ctx->deferred = NULL;
    ctx->deferred_graphs = NULL;
    ctx->n_deferred = ctx->n_deferred_graphs = 0;
}

dlp_status dlp_cuda_graph_begin(dlp_context *ctx) {
    dlp_cuda_enter(ctx);
    if (ctx->recording) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "graph_begin: already recording");
    cudaGetLastError();
    // thread-local: only this thread's unsafe calls (a synchronize, an allocation) end the capture in error
    cudaError_t err = cudaStreamBeginCapture(ctx->stream, cudaStreamCaptureModeThreadLocal);
    if (err != cudaSuccess) {
        cudaGetLastError();                      // not left for the next op's launch check to report
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "graph_begin: %s", cudaGetErrorString(err));
    }
    ctx->recording = 1;
    return DLP_STATUS_OK;
}

dlp_status dlp_cuda_graph_end(dlp_context *ctx, dlp_graph **out_graph) {
    dlp_cuda_enter(ctx);
    if (out_graph) *out_graph = NULL;
    if (!ctx->recording) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "graph_end: not recording");
    cudaGraph_t graph = NULL;
    cudaError_t err = cudaStreamEndCapture(ctx->stream, &graph);
    cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
    if (cudaStreamIsCapturing(ctx->stream, &capturing) == cudaSuccess && capturing != cudaStreamCaptureStatusNone) {
        // still capturing (say, ended from another thread): stay "recording" so transfers keep failing
        // loudly instead of ops being captured silently
        cudaGetLastError();
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "graph_end: the stream is still capturing: %s", cudaGetErrorString(err));
    }
    ctx->recording = 0;
    dlp_cuda_free_deferred(ctx);
    if (err != cudaSuccess) {
        cudaGetLastError();
        if (graph) cudaGraphDestroy(graph);
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "graph_end: the capture failed: %s", cudaGetErrorString(err));
    }
    if (!out_graph) {                            // recording discarded
        if (graph) cudaGraphDestroy(graph);
        return DLP_STATUS_OK;
    }
    cudaGraphExec_t exec = NULL;
    err = cudaGraphInstantiateWithFlags(&exec, graph, 0);
    cudaGraphDestroy(graph);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "graph_end: cannot instantiate the graph: %s", cudaGetErrorString(err));
    }
    dlp_graph *made = (dlp_graph *)calloc(1, sizeof(dlp_graph));
    if (!made) {
        cudaGraphExecDestroy(exec);
        return dlp_cuda_fail(ctx, DLP_STATUS_OUT_OF_MEMORY, "graph_end: out of host memory");
    }
    made->exec = exec;
    made->scratch_moves = ctx->scratch_moves;
    *out_graph = made;
    return DLP_STATUS_OK;
}

dlp_status dlp_cuda_graph_launch(dlp_context *ctx, dlp_graph *graph) {
    dlp_cuda_enter(ctx);
    if (!graph) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "graph_launch: NULL graph");
    if (ctx->recording) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "graph_launch: a graph is being recorded");
    if (graph->scratch_moves != ctx->scratch_moves)
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "graph_launch: the scratch moved since the graph was recorded");
    cudaError_t err = cudaGraphLaunch(graph->exec, ctx->stream);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "graph_launch: %s", cudaGetErrorString(err));
    }
    return DLP_STATUS_OK;
}

void dlp_cuda_graph_free(dlp_context *ctx, dlp_graph *graph) {
    if (!graph) return;
    dlp_cuda_enter(ctx);
    if (ctx->recording) {
        // with no host memory left to remember it, its executable leaks rather than ending the capture
        if (!push((void ***)&ctx->deferred_graphs, &ctx->n_deferred_graphs, graph)) free(graph);
        return;
    }
    cudaStreamSynchronize(ctx->stream);          // a queued replay may still run it
    destroy_graph(graph);
}
