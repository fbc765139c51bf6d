#define _GNU_SOURCE
#include "roost_fiber.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

struct roost_fiber {
    ucontext_t caller;
    ucontext_t context;
    char *mapping;
    size_t mapping_size;
    size_t guard_size;
    roost_fiber_body body;
    void *argument;
    int finished;
};

roost_fiber *roost_fiber_create(size_t stack_size) {
    roost_fiber *fiber = calloc(1, sizeof(roost_fiber));
    if (fiber == NULL) return NULL;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) page = 4096;
    /* 64 KiB of guard, so that no single large frame can step over it. */
    fiber->guard_size = ((65536 + (size_t)page - 1) / (size_t)page) * (size_t)page;
    size_t size = (stack_size + fiber->guard_size - 1) / fiber->guard_size * fiber->guard_size;
    fiber->mapping_size = size + fiber->guard_size;
    void *mapping = mmap(NULL, fiber->mapping_size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (mapping == MAP_FAILED) {
        free(fiber);
        return NULL;
    }
    /* The stack grows down: the lowest page traps an overflow instead of corrupting memory. */
    mprotect(mapping, fiber->guard_size, PROT_NONE);
    fiber->mapping = mapping;
    fiber->finished = 1;
    return fiber;
}

void roost_fiber_destroy(roost_fiber *fiber) {
    if (fiber == NULL) return;
    munmap(fiber->mapping, fiber->mapping_size);
    free(fiber);
}

/* makecontext passes only ints: the fiber's address arrives in two halves. */
static void roost_fiber_entry(unsigned int high, unsigned int low) {
    roost_fiber *fiber = (roost_fiber *)(((uintptr_t)high << 32) | (uintptr_t)low);
    fiber->body(fiber->argument);
    fiber->finished = 1;
    /* Returning switches to uc_link: the context of the last start or resume. */
}

int roost_fiber_start(roost_fiber *fiber, roost_fiber_body body, void *argument) {
    if (getcontext(&fiber->context) != 0) return -1;
    fiber->context.uc_stack.ss_sp = fiber->mapping + fiber->guard_size;
    fiber->context.uc_stack.ss_size = fiber->mapping_size - fiber->guard_size;
    fiber->context.uc_link = &fiber->caller;
    fiber->body = body;
    fiber->argument = argument;
    fiber->finished = 0;
    uintptr_t address = (uintptr_t)fiber;
    makecontext(&fiber->context, (void (*)(void))roost_fiber_entry, 2,
                (unsigned int)(address >> 32), (unsigned int)(address & 0xffffffffu));
    swapcontext(&fiber->caller, &fiber->context);
    return fiber->finished;
}

int roost_fiber_resume(roost_fiber *fiber) {
    if (fiber->finished) return 1;
    swapcontext(&fiber->caller, &fiber->context);
    return fiber->finished;
}

void roost_fiber_suspend(roost_fiber *fiber) {
    swapcontext(&fiber->context, &fiber->caller);
}
