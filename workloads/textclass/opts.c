/* opts.c — the task's defaults and their limits (README.md says why these). */
#include "tc_internal.h"

#include <string.h>

void rb_tc_opts_default(rb_tc_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seq = 48;
    o->vocab_max = 8000;
    o->min_count = 2;
    o->test_frac = 0.2;
    o->seed = 1;
}

int rb_tc_opts_check(const rb_tc_opts *o, rb_err *e)
{
    if (o->seq < 1 || o->seq > RB_TC_SEQ_LIMIT)
        return rb_errf(e, RB_EINPUT, "textclass: seq %d out of range 1..%d", o->seq,
                       RB_TC_SEQ_LIMIT);
    /* written as a negation so that NaN is refused too */
    if (!(o->test_frac > 0 && o->test_frac < 1))
        return rb_errf(e, RB_EINPUT, "textclass: test_frac %g must be strictly between 0 and 1",
                       o->test_frac);
    if (o->vocab) {
        if (o->n_vocab < 2)
            return rb_errf(e, RB_EINPUT,
                           "textclass: a given vocabulary needs at least <pad> and <unk>, got "
                           "%d words",
                           o->n_vocab);
    } else {
        if (o->vocab_max < 2)
            return rb_errf(e, RB_EINPUT,
                           "textclass: vocab_max %d: must be at least 2 (<pad> and <unk>)",
                           o->vocab_max);
        if (o->min_count < 1)
            return rb_errf(e, RB_EINPUT, "textclass: min_count %d: must be at least 1",
                           o->min_count);
    }
    return 0;
}
