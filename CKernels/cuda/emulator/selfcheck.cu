// selfcheck.cu (emulator): checks the emulator itself, built as build/emu-selfcheck. Good kernels must give
// the right answers (block and warp reductions, a graph replay that reads new data with its recorded
// arguments, a capture that a synchronize invalidates); a missing barrier and a dependence on block order
// must show; bad kernels must stop the process with exit status
// 86 and a message naming the kernel (each runs in a child process). Prints one line per check and exits
// 1 if any failed.
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures = 0;

static void report(const char *name, bool passed, const char *detail) {
    printf("%-44s %s%s%s\n", name, passed ? "ok" : "FAILED", detail[0] ? ": " : "", detail);
    if (!passed) failures++;
}

// ---- good kernels
__device__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// out[block] = sum of in[block * blockDim.x + t] over the block: shuffles, then shared memory and a barrier.
__global__ void block_sum_kernel(const float *in, float *out) {
    __shared__ float partial[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    float v = warp_sum(in[blockIdx.x * blockDim.x + threadIdx.x]);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
        float total = 0.0f;
        for (int w = 0; w < (int)(blockDim.x >> 5); w++) total += partial[w];
        out[blockIdx.x] = total;
    }
}

__global__ void scale_kernel(int n, float factor, const float *in, float *out) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = factor * in[i];
}

// ---- bad kernels: each must stop the process
__global__ void past_the_end_kernel(float *out, int n) { out[n + 1024 * threadIdx.x] = 1.0f; }

__global__ void shuffle_after_exit_kernel(float *out) {
    if (threadIdx.x == 5) return;
    out[threadIdx.x] = warp_sum(1.0f);
}

// half a warp at a barrier, the other half at a shuffle: neither can go on
__global__ void divergent_barrier_kernel(float *out) {
    if (threadIdx.x < 16) __syncthreads();
    else out[threadIdx.x] = warp_sum(1.0f);
}

__global__ void misaligned_load_kernel(const float *in, float *out) {
    float4 v = __ldg((const float4 *)(in + 1));
    out[threadIdx.x] = v.x;
}

// a read of shared memory without the barrier its write needs: thread 0 publishes, the others copy
__global__ void missing_barrier_kernel(float *out) {
    __shared__ float published;
    if (threadIdx.x == 0) published = (float)blockIdx.x + 1.0f;
    out[blockIdx.x * blockDim.x + threadIdx.x] = published;
}

static float *device_floats(int n, float value) {
    float *host = (float *)malloc(sizeof(float) * n), *device = NULL;
    for (int i = 0; i < n; i++) host[i] = value;
    cudaMalloc(&device, sizeof(float) * n);
    cudaMemcpy(device, host, sizeof(float) * n, cudaMemcpyHostToDevice);
    free(host);
    return device;
}

static void check_reductions(cudaStream_t stream) {
    const int threads[] = {32, 96, 1024};
    for (int t : threads) {
        int blocks = 3, n = blocks * t;
        float *host = (float *)malloc(sizeof(float) * n), sums[3], want[3] = {0, 0, 0};
        for (int i = 0; i < n; i++) { host[i] = (float)(i % 7) - 2.5f; want[i / t] += host[i]; }
        float *in = NULL, *out = NULL;
        cudaMalloc(&in, sizeof(float) * n);
        cudaMalloc(&out, sizeof(sums));
        cudaMemcpy(in, host, sizeof(float) * n, cudaMemcpyHostToDevice);
        block_sum_kernel<<<blocks, t, 0, stream>>>(in, out);
        cudaMemcpy(sums, out, sizeof sums, cudaMemcpyDeviceToHost);
        char name[64], detail[128];
        snprintf(name, sizeof name, "block sum, %d threads", t);
        snprintf(detail, sizeof detail, "%g %g %g (want %g %g %g)", sums[0], sums[1], sums[2], want[0], want[1], want[2]);
        report(name, sums[0] == want[0] && sums[1] == want[1] && sums[2] == want[2], detail);
        cudaFree(in);
        cudaFree(out);
        free(host);
    }
}

static void check_graphs(cudaStream_t stream) {
    const int n = 300;
    float *in = device_floats(n, 1.0f), *out = device_floats(n, 0.0f), result[n];
    cudaGraph_t graph = NULL;
    cudaGraphExec_t exec = NULL;
    cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal);
    scale_kernel<<<(n + 127) / 128, 128, 0, stream>>>(n, 3.0f, in, out);
    cudaStreamEndCapture(stream, &graph);
    cudaMemcpy(result, out, sizeof result, cudaMemcpyDeviceToHost);
    report("a captured kernel does not run", result[0] == 0.0f && result[n - 1] == 0.0f, "");
    cudaGraphInstantiateWithFlags(&exec, graph, 0);
    float twos[n];
    for (int i = 0; i < n; i++) twos[i] = 2.0f;
    cudaMemcpy(in, twos, sizeof twos, cudaMemcpyHostToDevice);
    cudaGraphLaunch(exec, stream);
    cudaMemcpy(result, out, sizeof result, cudaMemcpyDeviceToHost);
    report("a replay reads today's data", result[0] == 6.0f && result[n - 1] == 6.0f, "");
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);

    cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal);
    cudaError_t during = cudaStreamSynchronize(stream);
    cudaError_t ended = cudaStreamEndCapture(stream, &graph);
    report("a synchronize while capturing fails", during == cudaErrorStreamCaptureUnsupported, cudaGetErrorString(during));
    report("... and invalidates the capture", ended == cudaErrorStreamCaptureInvalidated && graph == NULL, cudaGetErrorString(ended));
    cudaGetLastError();
    cudaFree(in);
    cudaFree(out);
}

static void check_shape_error(cudaStream_t stream) {
    float *out = device_floats(4, 0.0f);
    scale_kernel<<<1, 2048, 0, stream>>>(4, 1.0f, out, out);
    cudaError_t error = cudaGetLastError();
    report("2048 threads per block is refused", error == cudaErrorInvalidConfiguration, cudaGetErrorString(error));
    cudaFree(out);
}

// Runs `bad` in a child; it must exit with status 86 and write `expected` to stderr.
static void expect_stop(const char *name, const char *expected, void (*bad)(cudaStream_t), cudaStream_t stream) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) { report(name, false, "pipe"); return; }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        dup2(pipe_fds[1], 2);
        close(pipe_fds[0]);
        bad(stream);
        cudaStreamSynchronize(stream);
        _exit(0);
    }
    close(pipe_fds[1]);
    char text[2048] = {0};
    size_t used = 0;
    ssize_t got;
    while (used < sizeof text - 1 && (got = read(pipe_fds[0], text + used, sizeof text - 1 - used)) > 0) used += (size_t)got;
    close(pipe_fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    char *newline = strchr(text, '\n');
    if (newline) *newline = 0;
    bool stopped = WIFEXITED(status) && WEXITSTATUS(status) == 86;
    report(name, stopped && strstr(text, expected) != NULL, text[0] ? text : "(no message)");
}

static void run_past_the_end(cudaStream_t stream) {
    float *out = device_floats(1000, 0.0f);
    past_the_end_kernel<<<1, 32, 0, stream>>>(out, 1000);
}
static void run_shuffle_after_exit(cudaStream_t stream) {
    float *out = device_floats(32, 0.0f);
    shuffle_after_exit_kernel<<<1, 32, 0, stream>>>(out);
}
static void run_divergent_barrier(cudaStream_t stream) {
    float *out = device_floats(32, 0.0f);
    divergent_barrier_kernel<<<1, 32, 0, stream>>>(out);
}
static void run_misaligned_load(cudaStream_t stream) {
    float *in = device_floats(64, 0.0f);
    misaligned_load_kernel<<<1, 32, 0, stream>>>(in, in);
}
static void run_use_after_free(cudaStream_t stream) {
    float *out = device_floats(64, 0.0f);
    cudaFree(out);
    scale_kernel<<<1, 64, 0, stream>>>(64, 1.0f, out, out);
}

// a kernel whose blocks depend on each other's order (block b copies what block b - 1 wrote): the
// emulator alternates the order between launches, so two launches disagree
__global__ void chained_blocks_kernel(float *cells) {
    if (threadIdx.x == 0) cells[blockIdx.x + 1] = cells[blockIdx.x] + 1.0f;
}

static void check_block_order(cudaStream_t stream) {
    const int blocks = 8;
    float results[2];
    for (int launch = 0; launch < 2; launch++) {
        float *cells = device_floats(blocks + 1, 0.0f);
        chained_blocks_kernel<<<blocks, 32, 0, stream>>>(cells);
        cudaMemcpy(&results[launch], cells + blocks, sizeof(float), cudaMemcpyDeviceToHost);
        cudaFree(cells);
    }
    char detail[64];
    snprintf(detail, sizeof detail, "the last cell was %g, then %g", (double)results[0], (double)results[1]);
    report("block order alternates between launches", results[0] != results[1], detail);
}

static void check_missing_barrier(cudaStream_t stream) {
    const int blocks = 2, threads = 64;
    float *out = device_floats(blocks * threads, 0.0f), host[blocks * threads];
    missing_barrier_kernel<<<blocks, threads, 0, stream>>>(out);
    cudaMemcpy(host, out, sizeof host, cudaMemcpyDeviceToHost);
    int stale = 0;
    for (int b = 0; b < blocks; b++)
        for (int t = 0; t < threads; t++) stale += host[b * threads + t] != (float)b + 1.0f;
    char detail[64];
    snprintf(detail, sizeof detail, "%d of %d reads were stale", stale, blocks * threads);
    report("a missing barrier shows as stale reads", stale > 0, detail);
    cudaFree(out);
}

int main() {
    int count = 0;
    cudaGetDeviceCount(&count);
    cudaStream_t stream = NULL;
    cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
    check_reductions(stream);
    check_graphs(stream);
    check_shape_error(stream);
    check_missing_barrier(stream);
    check_block_order(stream);
    expect_stop("a write past the end stops the process", "bytes past the end of 4000 bytes", run_past_the_end, stream);
    expect_stop("a shuffle after a lane exited stops it", "have exited", run_shuffle_after_exit, stream);
    expect_stop("a barrier in divergent code stops it", "16 wait elsewhere", run_divergent_barrier, stream);
    expect_stop("a misaligned 16-byte load stops it", "misaligned", run_misaligned_load, stream);
    expect_stop("a use after free stops it", "freed device memory", run_use_after_free, stream);
    cudaStreamDestroy(stream);
    printf(failures ? "%d emulator checks FAILED\n" : "all emulator checks passed\n", failures);
    return failures ? 1 : 0;
}
