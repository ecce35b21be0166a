/* metrics.c — accuracy, macro-F1 and the majority-class baseline. */
#include <string.h>

#include "tc_internal.h"

/* F1 of each class from its counts, averaged over the classes that occur
 * (predicted or true): sklearn's f1_score(average="macro") on the labels
 * present, which is what makes the baseline's score comparable. */
static double macro_f1(const size_t *tp, const size_t *fp, const size_t *fn, int C)
{
    double sum = 0;
    int used = 0;
    for (int c = 0; c < C; c++) {
        size_t denom = 2 * tp[c] + fp[c] + fn[c];
        if (!denom)
            continue;
        sum += 2.0 * (double)tp[c] / (double)denom;
        used++;
    }
    return used ? sum / used : 0;
}

void rb_tc_score(const int *truth, const int *pred, size_t n, int C, rb_tc_scores *s)
{
    size_t tp[RB_TC_MAX_CLASSES] = {0}, fp[RB_TC_MAX_CLASSES] = {0}, fn[RB_TC_MAX_CLASSES] = {0};
    size_t scored = 0, correct = 0;
    if (C > RB_TC_MAX_CLASSES)
        C = RB_TC_MAX_CLASSES;
    for (size_t i = 0; i < n; i++) {
        int t = truth[i], p = pred[i];
        if (t < 0 || t >= C)
            continue; /* an unlabelled row is not scored */
        scored++;
        if (p == t) {
            correct++;
            tp[t]++;
            continue;
        }
        fn[t]++;
        if (p >= 0 && p < C)
            fp[p]++; /* a prediction outside 0..C-1 is only a miss */
    }
    s->n = scored;
    s->accuracy = scored ? (double)correct / (double)scored : 0;
    s->macro_f1 = macro_f1(tp, fp, fn, C);
}

void rb_tc_majority(const rb_tc_data *d, rb_tc_scores *s)
{
    int maj = 0;
    for (int c = 1; c < d->n_classes; c++)
        if (d->train_count[c] > d->train_count[maj])
            maj = c; /* ties: the first class */
    /* the confusion of "always maj" follows from the test counts alone */
    size_t tp[RB_TC_MAX_CLASSES] = {0}, fp[RB_TC_MAX_CLASSES] = {0}, fn[RB_TC_MAX_CLASSES] = {0};
    for (int c = 0; c < d->n_classes; c++)
        if (c != maj) {
            fn[c] = d->test_count[c];
            fp[maj] += d->test_count[c];
        }
    tp[maj] = d->test_count[maj];
    s->n = d->n_test;
    s->accuracy = d->n_test ? (double)tp[maj] / (double)d->n_test : 0;
    s->macro_f1 = macro_f1(tp, fp, fn, d->n_classes);
}
