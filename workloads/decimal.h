/* decimal.h — a number as people write one in a file or on a command line.
 *
 * strtod also reads hexadecimal ("0x10" is 16), "inf", "nan" and leading
 * blanks: in a preset or a config they are typos or tricks, not numbers. */
#ifndef RB_DECIMAL_H
#define RB_DECIMAL_H

/* s is [+-]digits[.digits][e[+-]digits] and finite: 0 and *out, else -1.
 * end, when not NULL, may take a suffix: *end points past the number and
 * the number may be followed by anything (a unit). */
int rb_parse_decimal(const char *s, double *out, const char **end);

#endif
