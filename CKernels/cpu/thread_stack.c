/* thread_stack.c: the calling thread's stack bounds through pthread_getattr_np (a GNU extension, which
 * Swift's Glibc module does not export). Cached per thread: for the main thread glibc reads
 * /proc/self/maps, about 100 us, and a template render asks once. */
#define _GNU_SOURCE
#include <pthread.h>

#include "dlp_thread_stack.h"

static _Thread_local uintptr_t cached_lowest_address;

uintptr_t dlp_thread_stack_lowest_address(void) {
    if (cached_lowest_address != 0) return cached_lowest_address;
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0) return 0;
    void *base = NULL;
    size_t size = 0;
    int status = pthread_attr_getstack(&attributes, &base, &size);
    pthread_attr_destroy(&attributes);
    if (status == 0) cached_lowest_address = (uintptr_t)base;
    return cached_lowest_address;
}
