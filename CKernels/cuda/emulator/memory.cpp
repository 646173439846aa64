// memory.cpp (emulator): device memory as host memory that ends at a guard page, so a kernel that reads
// or writes past an allocation's end faults at once; freed memory stays reserved and unreadable for the
// next 4096 frees, so a use after free faults too. The registry names the allocation a fault hit.
#include "emulator.h"
#include <stdio.h>
#include <sys/mman.h>
#include <deque>
#include <map>
#include <mutex>

namespace dlp_emu {
namespace {

const size_t kPage = 4096;
const size_t kQuarantine = 4096;

struct Allocation {
    size_t bytes;          // as asked
    char *mapping;         // the whole mapping: pages for the data, then the guard page
    size_t mapping_bytes;
    bool device;
    bool live;
};

std::mutex lock;
std::map<uintptr_t, Allocation> allocations;   // by the address handed out
std::deque<uintptr_t> quarantine;              // freed, oldest first

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

}   // namespace

void *allocate(size_t bytes, bool device) {
    // the end is at most 15 bytes before the guard page, so the start is 16-aligned (cudaMalloc gives 256;
    // the kernels ask for 16, the widest load)
    size_t body = round_up(bytes > 0 ? bytes : 1, 16), data_pages = round_up(body, kPage);
    size_t mapping_bytes = data_pages + kPage;
    void *mapping = mmap(nullptr, mapping_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) return nullptr;
    mprotect((char *)mapping + data_pages, kPage, PROT_NONE);
    char *start = (char *)mapping + data_pages - body;
    memset(start, 0xff, body);
    std::lock_guard<std::mutex> hold(lock);
    allocations[(uintptr_t)start] = Allocation{bytes, (char *)mapping, mapping_bytes, device, true};
    return start;
}

bool release(void *pointer, bool device) {
    std::lock_guard<std::mutex> hold(lock);
    auto found = allocations.find((uintptr_t)pointer);
    if (found == allocations.end() || !found->second.live || found->second.device != device) return false;
    Allocation &a = found->second;
    a.live = false;
    mprotect(a.mapping, a.mapping_bytes, PROT_NONE);
    madvise(a.mapping, a.mapping_bytes, MADV_DONTNEED);
    quarantine.push_back(found->first);
    if (quarantine.size() > kQuarantine) {
        auto oldest = allocations.find(quarantine.front());
        quarantine.pop_front();
        munmap(oldest->second.mapping, oldest->second.mapping_bytes);
        allocations.erase(oldest);
    }
    return true;
}

bool is_device_range(const void *pointer, size_t bytes) {
    std::lock_guard<std::mutex> hold(lock);
    auto after = allocations.upper_bound((uintptr_t)pointer);
    if (after == allocations.begin()) return false;
    auto at = std::prev(after);
    const Allocation &a = at->second;
    uintptr_t p = (uintptr_t)pointer;
    return a.live && a.device && p >= at->first && bytes <= a.bytes && p - at->first <= a.bytes - bytes;
}

void describe_address(const void *address, char *out, size_t size) {
    uintptr_t p = (uintptr_t)address;
    if (!lock.try_lock()) {                   // faulted while the registry was held: no details
        snprintf(out, size, "touched %p, outside any live device memory", address);
        return;
    }
    for (const auto &[start, a] : allocations) {
        uintptr_t begin = (uintptr_t)a.mapping, end = begin + a.mapping_bytes;
        if (p < begin || p >= end) continue;
        if (!a.live)
            snprintf(out, size, "touched %p inside freed %s memory (%zu bytes at %p)", address, a.device ? "device" : "host",
                     a.bytes, (void *)start);
        else if (p >= start)
            snprintf(out, size, "touched %p, byte %zu of %zu bytes past the end of %zu bytes of %s memory at %p", address,
                     (size_t)(p - start), (size_t)(p - start - a.bytes), a.bytes, a.device ? "device" : "pinned host",
                     (void *)start);
        else
            snprintf(out, size, "touched %p, before %zu bytes of memory at %p", address, a.bytes, (void *)start);
        lock.unlock();
        return;
    }
    lock.unlock();
    snprintf(out, size, "touched %p, outside any device memory (a stack overflow if it is a thread's guard page)", address);
}

}   // namespace dlp_emu
