/* A fiber: a function running on its own stack that can suspend itself and be resumed later,
 * on the same thread. Roost runs scripts on one so that a long script can hand the event loop
 * back to other clients (BUSY replies, SCRIPT KILL) from any point, even inside a pcall. */
#ifndef ROOST_FIBER_H
#define ROOST_FIBER_H

#include <stddef.h>

typedef struct roost_fiber roost_fiber;

/* The function a fiber runs. */
typedef void (*roost_fiber_body)(void *context);

/* A fiber with a stack of `stack_size` bytes (reserved, committed as it is touched) below a
 * guard page. NULL if the memory could not be mapped. */
roost_fiber *roost_fiber_create(size_t stack_size);

/* Frees the fiber. It must not be running; a suspended body is abandoned. */
void roost_fiber_destroy(roost_fiber *fiber);

/* Runs `body(context)` on the fiber until it returns (1) or suspends (0). */
int roost_fiber_start(roost_fiber *fiber, roost_fiber_body body, void *context);

/* Continues a suspended body until it returns (1) or suspends again (0). */
int roost_fiber_resume(roost_fiber *fiber);

/* Called on the fiber: returns to whoever started or resumed it. */
void roost_fiber_suspend(roost_fiber *fiber);

#endif
