/* registry.c — every target adapter, available or not, in a fixed order.
 *
 * One X-macro list (stress-ng's stressor table): adding a target is one
 * entry here and one folder.  An adapter built without its dependency stays
 * in the list and explains itself through ops->unavailable. */
#include <string.h>

#include "target.h"

#define RB_TARGET_LIST(X) X(cpu) X(gpu) X(fpga) X(asic)

#define RB_TARGET_DECLARE(n) extern const rb_target_ops rb_target_##n##_ops;
RB_TARGET_LIST(RB_TARGET_DECLARE)

#define RB_TARGET_ENTRY(n) &rb_target_##n##_ops,
static const rb_target_ops *const registry[] = {RB_TARGET_LIST(RB_TARGET_ENTRY)};

size_t rb_target_count(void) { return sizeof registry / sizeof registry[0]; }

const rb_target_ops *rb_target_at(size_t i) { return i < rb_target_count() ? registry[i] : NULL; }

const rb_target_ops *rb_target_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < rb_target_count(); i++)
        if (!strcmp(registry[i]->name, name))
            return registry[i];
    return NULL;
}
