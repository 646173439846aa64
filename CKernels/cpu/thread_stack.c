/* thread_stack.c: the calling thread's stack bounds through pthread_getattr_np (a GNU extension, which
 * Swift's Glibc module does not export). */
#define _GNU_SOURCE
#include <pthread.h>

#include "dlp_thread_stack.h"

uintptr_t dlp_thread_stack_lowest_address(void) {
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0) return 0;
    void *base = NULL;
    size_t size = 0;
    int status = pthread_attr_getstack(&attributes, &base, &size);
    pthread_attr_destroy(&attributes);
    return status == 0 ? (uintptr_t)base : 0;
}
