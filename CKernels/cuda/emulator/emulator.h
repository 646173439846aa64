// emulator.h (emulator): what the emulator's files share: device memory bookkeeping for the fault
// handler and the copies, and the fault handler itself.
#ifndef DLP_EMU_EMULATOR_H
#define DLP_EMU_EMULATOR_H

#include "include/cuda_runtime.h"

namespace dlp_emu {
// Allocates `bytes` of device (or pinned host) memory whose end touches a guard page; filled with 0xff
// (NaN as f32), as fresh GPU memory holds garbage. NULL when out of memory.
void *allocate(size_t bytes, bool device);
// false when pointer is not an allocation's start (or was freed already).
bool release(void *pointer, bool device);
// Whether [pointer, pointer + bytes) lies inside one live device allocation.
bool is_device_range(const void *pointer, size_t bytes);
// A sentence about address for a fault report: which allocation it is near, live or freed.
void describe_address(const void *address, char *out, size_t size);
void install_fault_handler();
}   // namespace dlp_emu

#endif
