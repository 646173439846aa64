// threads.cpp (emulator): runs a kernel's grid on the CPU. Blocks run one after another (every other launch
// in reverse, so a kernel whose blocks depend on each other's order shows it); the threads of a
// block are fibers on stacks of their own (a 14-instruction context switch on x86-64, ucontext elsewhere),
// each running until it finishes or waits: __syncthreads waits for every live thread of the block, a warp
// shuffle or __syncwarp for all 32 lanes of its warp. Every other round of a block's threads runs in
// reverse order (odd blocks start reversed), so a read of shared memory that lacks its barrier sees a
// stale value. What the GPU would not do (a shuffle with an exited lane, lanes waiting at different
// barriers, a misaligned 16-byte load, a stack overflow, a touch outside device memory) stops the process
// with the kernel, block and thread named.
#include "emulator.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace dlp_emu {
namespace {

const size_t kStackBytes = 256 << 10;
const size_t kPage = 4096;
const int kMaxThreads = 1024;

enum class State { runnable, at_block_barrier, at_warp_barrier, done };

struct Fiber {
    void *stack_base = nullptr;      // mmap'd: a guard page, then kStackBytes
#if defined(__x86_64__)
    void *sp = nullptr;              // saved stack pointer while switched out
#else
    ucontext_t context;
#endif
    uint3 thread{0, 0, 0};
    int lane = 0, warp = 0;
    int shuffle_parity = 0;
    State state = State::done;
};

struct Warp {
    uint64_t slots[2][32];           // shuffle exchange, alternating between consecutive shuffles
};

struct Grid {
    const char *kernel = "";
    dim3 grid, block;
    uint3 block_index{0, 0, 0};
    const std::function<void()> *thread_body = nullptr;
};

std::vector<Fiber *> fibers;         // the pool, grown to the largest block seen
Warp warps[kMaxThreads / 32];
Grid running;
Fiber *current = nullptr;
int threads_in_block = 0;

[[noreturn]] void fail_in_kernel(const char *what) {
    if (current)
        fprintf(stderr, "dlp-emu: kernel %s, block (%u, %u, %u), thread (%u, %u, %u): %s\n", running.kernel,
                running.block_index.x, running.block_index.y, running.block_index.z, current->thread.x, current->thread.y,
                current->thread.z, what);
    else
        fprintf(stderr, "dlp-emu: kernel %s, block (%u, %u, %u): %s\n", running.kernel, running.block_index.x,
                running.block_index.y, running.block_index.z, what);
    fflush(stderr);
    _exit(86);
}

#if defined(__x86_64__)
// switch_stack(save, load): saves the callee-saved registers on the current stack, stores its pointer in
// *save, continues on the stack `load` (made by another switch_stack or by reset below). The SSE and x87
// control words are not switched: nothing here changes them.
extern "C" void dlp_emu_switch_stack(void **save, void *load);
asm(".text\n"
    ".globl dlp_emu_switch_stack\n"
    ".hidden dlp_emu_switch_stack\n"
    ".type dlp_emu_switch_stack,@function\n"
    "dlp_emu_switch_stack:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  movq %rsp, (%rdi)\n  movq %rsi, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n"
    ".size dlp_emu_switch_stack, .-dlp_emu_switch_stack\n");
void *scheduler_sp = nullptr;
#else
ucontext_t scheduler_context;
#endif

void fiber_main();

// A fiber's stack, fresh: on x86-64, the frame switch_stack pops into fiber_main.
void reset(Fiber *f, size_t index) {
    // stack tops staggered by 64-byte lines: page-aligned tops would all share one L1 set
    char *top = (char *)f->stack_base + kPage + kStackBytes - (index % 60) * 64;
#if defined(__x86_64__)
    uint64_t *sp = (uint64_t *)(top - 8);    // top - 8: fiber_main's own return address (it never returns)
    *--sp = (uint64_t)(uintptr_t)&fiber_main;   // at top - 16: switch_stack's `ret` enters with rsp = 8 mod 16
    for (int i = 0; i < 6; i++) *--sp = 0;   // rbp, rbx, r12-r15
    f->sp = sp;
#else
    (void)top;
    getcontext(&f->context);
    f->context.uc_stack.ss_sp = (char *)f->stack_base + kPage;
    f->context.uc_stack.ss_size = kStackBytes;
    f->context.uc_link = nullptr;
    makecontext(&f->context, (void (*)())fiber_main, 0);
#endif
}

Fiber *new_fiber(size_t index) {
    Fiber *f = new Fiber;
    f->stack_base = mmap(nullptr, kPage + kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f->stack_base == MAP_FAILED) {
        fprintf(stderr, "dlp-emu: cannot map a thread stack\n");
        _exit(86);
    }
    mprotect(f->stack_base, kPage, PROT_NONE);   // overflow faults (reported by the fault handler)
    reset(f, index);
    return f;
}

void resume(Fiber *f) {
    current = f;
#if defined(__x86_64__)
    dlp_emu_switch_stack(&scheduler_sp, f->sp);
#else
    swapcontext(&scheduler_context, &f->context);
#endif
    current = nullptr;
}

void suspend(State waiting) {
    Fiber *f = current;
    f->state = waiting;
#if defined(__x86_64__)
    dlp_emu_switch_stack(&f->sp, scheduler_sp);
#else
    swapcontext(&f->context, &scheduler_context);
#endif
}

void fiber_main() {
    for (;;) {
        (*running.thread_body)();
        suspend(State::done);
    }
}

// One block: rounds of running every runnable thread until it waits, then releasing the barrier all
// live threads (block) or all lanes of a warp (shuffle) wait at.
void run_block(int n) {
    for (int i = 0; i < n; i++) {
        Fiber *f = fibers[i];
        f->thread = uint3{(unsigned)(i % running.block.x), (unsigned)(i / running.block.x % running.block.y),
                          (unsigned)(i / (running.block.x * running.block.y))};
        f->lane = i & 31;
        f->warp = i >> 5;
        f->shuffle_parity = 0;
        f->state = State::runnable;
    }
    threads_in_block = n;
    // odd blocks start in reverse: a missing barrier shows whichever side of it the bug is on
    unsigned first_order = (running.block_index.x + running.block_index.y + running.block_index.z) & 1;
    for (unsigned round = 0;; round++) {
        for (int j = 0; j < n; j++) {
            Fiber *f = fibers[(round + first_order) & 1 ? n - 1 - j : j];
            if (f->state == State::runnable) resume(f);
        }
        int live = 0, at_block = 0;
        for (int i = 0; i < n; i++) {
            live += fibers[i]->state != State::done;
            at_block += fibers[i]->state == State::at_block_barrier;
        }
        if (live == 0) return;
        bool released = false;
        for (int w = 0; w * 32 < n; w++) {
            int lanes = n - w * 32 < 32 ? n - w * 32 : 32, waiting = 0, done = 0;
            for (int l = 0; l < lanes; l++) {
                State s = fibers[w * 32 + l]->state;
                waiting += s == State::at_warp_barrier;
                done += s == State::done;
            }
            if (waiting == 0) continue;
            if (waiting == lanes) {
                for (int l = 0; l < lanes; l++) fibers[w * 32 + l]->state = State::runnable;
                released = true;
                continue;
            }
            current = nullptr;
            char what[160];
            snprintf(what, sizeof what, "warp %d: %d lanes wait at a shuffle while %d have exited and %d wait elsewhere "
                     "(a full-mask shuffle needs all 32)", w, waiting, done, lanes - waiting - done);
            fail_in_kernel(what);
        }
        if (released) continue;
        if (at_block == live) {
            for (int i = 0; i < n; i++)
                if (fibers[i]->state == State::at_block_barrier) fibers[i]->state = State::runnable;
            continue;
        }
        fail_in_kernel("threads wait at different barriers (a __syncthreads inside divergent code)");
    }
}

// ---- faults: a touch of a guard page or of freed device memory, named with the running kernel
struct sigaction previous_segv, previous_bus;
char alternate_stack[64 << 10];

void on_fault(int signal, siginfo_t *info, void *context) {
    if (running.thread_body) {
        char what[400];
        describe_address(info->si_addr, what, sizeof what);
        fail_in_kernel(what);
    }
    sigaction(signal, signal == SIGSEGV ? &previous_segv : &previous_bus, nullptr);   // not ours: the previous handler
    (void)context;
}

}   // namespace

void install_fault_handler() {
    static bool installed = false;
    if (installed) return;
    installed = true;
    stack_t alternate{};
    alternate.ss_sp = alternate_stack;
    alternate.ss_size = sizeof alternate_stack;
    sigaltstack(&alternate, nullptr);
    struct sigaction action {};
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv);
    sigaction(SIGBUS, &action, &previous_bus);
}

const uint3 &thread_index() { return current->thread; }
const uint3 &block_index() { return running.block_index; }
const dim3 &block_shape() { return running.block; }
const dim3 &grid_shape() { return running.grid; }

void block_barrier() {
    if (!current) fail_in_kernel("__syncthreads outside a kernel");
    suspend(State::at_block_barrier);
}

void warp_barrier(unsigned mask) {
    if (!current) fail_in_kernel("__syncwarp outside a kernel");
    if (mask != 0xffffffffu) fail_in_kernel("__syncwarp with a partial mask (not emulated)");
    suspend(State::at_warp_barrier);
}

void shuffle_xor(unsigned mask, void *value, size_t bytes, int lane_mask, int width) {
    if (!current) fail_in_kernel("a shuffle outside a kernel");
    if (mask != 0xffffffffu || width != 32) fail_in_kernel("a shuffle with a partial mask or width (not emulated)");
    Fiber *f = current;
    int partner = f->lane ^ (lane_mask & 31);
    if (f->warp * 32 + partner >= threads_in_block) fail_in_kernel("a shuffle reads a lane past the end of the block");
    Warp &w = warps[f->warp];
    int parity = f->shuffle_parity;
    f->shuffle_parity ^= 1;
    w.slots[parity][f->lane] = 0;
    memcpy(&w.slots[parity][f->lane], value, bytes);
    suspend(State::at_warp_barrier);
    // the next shuffle writes the other row; this row is written again only after every lane has read it
    memcpy(value, &w.slots[parity][partner], bytes);
}

void check_alignment(const void *p, size_t alignment, const char *what) {
    if ((uintptr_t)p % alignment == 0) return;
    char message[160];
    snprintf(message, sizeof message, "%s of %zu bytes at %p is misaligned (the GPU faults)", what, alignment, p);
    fail_in_kernel(message);
}

void run_grid(const char *kernel, dim3 grid, dim3 block, const std::function<void()> &thread_body) {
    int n = (int)(block.x * block.y * block.z);
    while ((int)fibers.size() < n) fibers.push_back(new_fiber(fibers.size()));
    running.kernel = kernel;
    running.grid = grid;
    running.block = block;
    running.thread_body = &thread_body;
    static uint64_t launches = 0;
    const bool reversed = launches++ % 2 == 1;
    const uint64_t blocks = (uint64_t)grid.x * grid.y * grid.z;
    for (uint64_t i = 0; i < blocks; i++) {
        uint64_t b = reversed ? blocks - 1 - i : i;    // x fastest, as the GPU numbers blocks
        running.block_index = uint3{(unsigned)(b % grid.x), (unsigned)(b / grid.x % grid.y), (unsigned)(b / grid.x / grid.y)};
        run_block(n);
    }
    running.thread_body = nullptr;
    running.kernel = "";
}

cudaError_t check_shape(const char *kernel, dim3 grid, dim3 block) {
    (void)kernel;
    uint64_t threads = (uint64_t)block.x * block.y * block.z;
    if (threads == 0 || threads > (uint64_t)kMaxThreads || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
        grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535)
        return cudaErrorInvalidConfiguration;
    return cudaSuccess;
}

}   // namespace dlp_emu
