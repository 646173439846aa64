// graph.cu: CUDA graphs for the kernel table's graph_* entries: the ops called between graph_begin and
// graph_end are captured from the context's stream (not run), instantiated once, and replayed by
// graph_launch as one launch. A graph remembers where the context's scratch was when it was recorded and
// refuses to replay once the scratch has moved.
#include "cuda_internal.cuh"
#include <stdlib.h>

struct dlp_graph {
    cudaGraphExec_t exec;
    uint64_t scratch_moves;      // ctx->scratch_moves when recorded
};

dlp_status dlp_cuda_graph_begin(dlp_context *ctx) {
    dlp_cuda_enter(ctx);
    if (ctx->recording) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "graph_begin: already recording");
    cudaGetLastError();
    // thread-local: only this thread's unsafe calls (a synchronize, an allocation) end the capture in error
    cudaError_t err = cudaStreamBeginCapture(ctx->stream, cudaStreamCaptureModeThreadLocal);
    if (err != cudaSuccess)
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "graph_begin: %s", cudaGetErrorString(err));
    ctx->recording = 1;
    return DLP_STATUS_OK;
}

dlp_status dlp_cuda_graph_end(dlp_context *ctx, dlp_graph **out_graph) {
    dlp_cuda_enter(ctx);
    if (!out_graph) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "graph_end: NULL out_graph");
    *out_graph = NULL;
    if (!ctx->recording) return dlp_cuda_fail(ctx, DLP_STATUS_INVALID_ARGUMENT, "graph_end: not recording");
    ctx->recording = 0;
    cudaGraph_t graph = NULL;
    cudaError_t err = cudaStreamEndCapture(ctx->stream, &graph);
    if (err != cudaSuccess) {
        cudaGetLastError();
        if (graph) cudaGraphDestroy(graph);
        return dlp_cuda_fail(ctx, DLP_STATUS_UNSUPPORTED, "graph_end: the capture failed: %s", cudaGetErrorString(err));
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
    if (err != cudaSuccess)
        return dlp_cuda_fail(ctx, DLP_STATUS_DEVICE_ERROR, "graph_launch: %s", cudaGetErrorString(err));
    return DLP_STATUS_OK;
}

void dlp_cuda_graph_free(dlp_context *ctx, dlp_graph *graph) {
    if (!graph) return;
    dlp_cuda_enter(ctx);
    cudaStreamSynchronize(ctx->stream);          // a queued replay may still run it
    cudaGraphExecDestroy(graph->exec);
    free(graph);
}
