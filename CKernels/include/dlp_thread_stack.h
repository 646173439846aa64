/* dlp_thread_stack.h: the bounds of the calling thread's stack, for code that recurses on its input
 * (the template parser and renderer) to stop while stack remains. A host helper, outside the kernel table. */
#ifndef DLP_THREAD_STACK_H
#define DLP_THREAD_STACK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The lowest address of the calling thread's stack (it grows down towards it), or 0 if unknown. */
uintptr_t dlp_thread_stack_lowest_address(void);

#ifdef __cplusplus
}
#endif

#endif
