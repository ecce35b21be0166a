/* store_query.c — `rnnbench query`: one read-only statement, rows as a table,
 * CSV or JSON.
 *
 * Output formats are a table of {name, begin, row, end} writers (kmod's
 * tools/ style).  The table and CSV writers share value_text(), so a value
 * becomes text in one place; only the precision of doubles differs (6
 * significant digits to read, the shortest exact form to process, which
 * JSON uses too). */
#include "../workloads/utf8.h"
#include "store_internal.h"

#include "../reports/report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

typedef struct query_out {
    sqlite3_stmt *st;
    FILE *out;
    int ncol;
    long nrows;
    /* table: every cell kept until the widths are known (row-major, NULL = SQL NULL) */
    char **cells;
    size_t ncells, cap;
    size_t *width;
    int *numeric;   /* column holds only numbers (and NULLs): right-aligned */
    int *any;       /* column holds at least one non-NULL value */
    size_t pending; /* blanks owed before the next visible character */
} query_out;

typedef struct format_writer {
    const char *name;
    int (*begin)(query_out *q);
    int (*row)(query_out *q);
    int (*end)(query_out *q);
} format_writer;

/* ---- values as text (table and CSV) ------------------------------------ */

/* readable: 6 significant digits (table).  Otherwise the shortest %g form
 * that reads back as the same double, used by CSV and JSON alike so both
 * print every number the same way (0.1, not 0.10000000000000001). */
static void format_double(double v, int readable, char *buf, size_t n)
{
    if (readable) {
        snprintf(buf, n, "%.6g", v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* *out: malloc'd text of column `col` of the current row, NULL for SQL NULL.
 * Blobs become x'hex', the SQL literal for them. */
static int value_text(sqlite3_stmt *st, int col, int readable, char **out)
{
    char num[40];
    const unsigned char *src = NULL;
    size_t len = 0;
    *out = NULL;
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: return 0;
    case SQLITE_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)sqlite3_column_int64(st, col));
        src = (const unsigned char *)num;
        len = strlen(num);
        break;
    case SQLITE_FLOAT:
        format_double(sqlite3_column_double(st, col), readable, num, sizeof num);
        src = (const unsigned char *)num;
        len = strlen(num);
        break;
    case SQLITE_BLOB: {
        const unsigned char *b = sqlite3_column_blob(st, col);
        size_t nb = (size_t)sqlite3_column_bytes(st, col);
        char *t = malloc(2 * nb + 4);
        if (!t)
            return RB_ENOMEM;
        char *p = t;
        *p++ = 'x';
        *p++ = '\'';
        for (size_t i = 0; i < nb; i++, p += 2)
            snprintf(p, 3, "%02x", b[i]);
        *p++ = '\'';
        *p = '\0';
        *out = t;
        return 0;
    }
    default: /* SQLITE_TEXT */
        src = sqlite3_column_text(st, col);
        len = (size_t)sqlite3_column_bytes(st, col);
        break;
    }
    char *t = malloc(len + 1);
    if (!t)
        return RB_ENOMEM;
    if (len)
        memcpy(t, src, len);
    t[len] = '\0';
    *out = t;
    return 0;
}

static int is_number(sqlite3_stmt *st, int col)
{
    int type = sqlite3_column_type(st, col);
    return type == SQLITE_INTEGER || type == SQLITE_FLOAT;
}

/* ---- table ------------------------------------------------------------- */

/* Characters on screen, not bytes: UTF-8 continuation bytes take no column. */
static size_t display_width(const char *t)
{
    size_t n = 0;
    for (; *t; t++)
        if (((unsigned char)*t & 0xC0) != 0x80)
            n++;
    return n;
}

/* Padding and separators are held back until something visible follows, so
 * no line ends in blanks (a NULL or right-aligned last column would). */
static void put_text(query_out *q, const char *text)
{
    if (!*text)
        return;
    for (; q->pending; q->pending--)
        fputc(' ', q->out);
    fputs(text, q->out);
}

static void put_cell(query_out *q, int col, const char *text)
{
    size_t pad = q->width[col] - display_width(text);
    int right = q->numeric[col] && q->any[col];
    if (right)
        q->pending += pad;
    put_text(q, text);
    if (!right)
        q->pending += pad;
    if (col + 1 < q->ncol) {
        q->pending += 2;
    } else {
        q->pending = 0;
        fputc('\n', q->out);
    }
}

static int table_begin(query_out *q)
{
    q->width = calloc((size_t)q->ncol, sizeof *q->width);
    q->numeric = calloc((size_t)q->ncol, sizeof *q->numeric);
    q->any = calloc((size_t)q->ncol, sizeof *q->any);
    if (!q->width || !q->numeric || !q->any)
        return RB_ENOMEM;
    for (int c = 0; c < q->ncol; c++) {
        q->width[c] = display_width(sqlite3_column_name(q->st, c));
        q->numeric[c] = 1;
    }
    return 0;
}

static int table_row(query_out *q)
{
    if (q->ncells + (size_t)q->ncol > q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64 * (size_t)q->ncol;
        char **p = realloc(q->cells, cap * sizeof *p);
        if (!p)
            return RB_ENOMEM;
        q->cells = p;
        q->cap = cap;
    }
    for (int c = 0; c < q->ncol; c++) {
        char *t;
        if (value_text(q->st, c, 1, &t))
            return RB_ENOMEM;
        q->cells[q->ncells++] = t;
        if (!t)
            continue;
        /* One row per line: line breaks and tabs inside a value would break
         * the columns, and other control characters (ESC, BEL) would drive
         * the terminal: shown as rb_term_text does (CSV and JSON keep them). */
        for (char *p = t; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
            else if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        size_t w = display_width(t);
        if (w > q->width[c])
            q->width[c] = w;
        q->any[c] = 1;
        if (!is_number(q->st, c))
            q->numeric[c] = 0;
    }
    return 0;
}

static int table_end(query_out *q)
{
    for (int c = 0; c < q->ncol; c++)
        put_cell(q, c, sqlite3_column_name(q->st, c));
    for (int c = 0; c < q->ncol; c++) {
        char *dashes = malloc(q->width[c] + 1);
        if (!dashes)
            return RB_ENOMEM;
        memset(dashes, '-', q->width[c]);
        dashes[q->width[c]] = '\0';
        put_cell(q, c, dashes);
        free(dashes);
    }
    for (size_t i = 0; i < q->ncells; i++) {
        const char *t = q->cells[i];
        put_cell(q, (int)(i % (size_t)q->ncol), t ? t : "");
    }
    return 0;
}

/* ---- CSV ---------------------------------------------------------------
 * RFC 4180 quoting (fields with a comma, quote or line break are quoted,
 * quotes doubled) but LF line ends, not CRLF: the output is mostly read by
 * shell pipelines (`| tail -1`, `cut`), where a CR ends up in the value. */

static void csv_field(FILE *out, const char *t, int last)
{
    rb_csv_field(out, t); /* the quoting `rnnbench report --csv` uses too */
    fputs(last ? "\n" : ",", out);
}

static int csv_begin(query_out *q)
{
    for (int c = 0; c < q->ncol; c++)
        csv_field(q->out, sqlite3_column_name(q->st, c), c + 1 == q->ncol);
    return 0;
}

static int csv_row(query_out *q)
{
    for (int c = 0; c < q->ncol; c++) {
        char *t;
        int text = sqlite3_column_type(q->st, c) == SQLITE_TEXT; /* before any conversion */
        if (value_text(q->st, c, 0, &t))
            return RB_ENOMEM;
        if (text)
            csv_field(q->out, t, c + 1 == q->ncol);
        else /* a number (a negative one is not a formula), a blob's x'..', NULL: empty */
            fprintf(q->out, "%s%s", t ? t : "", c + 1 == q->ncol ? "\n" : ",");
        free(t);
    }
    return 0;
}

static int csv_end(query_out *q) { return 0; }

/* ---- JSON: an array of objects, two-space indent (as jq prints) -------- */

static cJSON *json_value(sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: return cJSON_CreateNull();
    case SQLITE_INTEGER: {
        /* Raw digits: a double would round integers above 2^53. */
        char num[24];
        snprintf(num, sizeof num, "%lld", (long long)sqlite3_column_int64(st, col));
        return cJSON_CreateRaw(num);
    }
    case SQLITE_FLOAT: {
        /* The same shortest exact text as CSV (cJSON would print 17 digits
         * where 16 suffice); JSON has no infinity, so it becomes null. */
        double v = sqlite3_column_double(st, col);
        if (!isfinite(v))
            return cJSON_CreateNull();
        char num[40];
        format_double(v, 0, num, sizeof num);
        return cJSON_CreateRaw(num);
    }
    case SQLITE_TEXT: return cJSON_CreateString((const char *)sqlite3_column_text(st, col));
    default: {
        char *t;
        if (value_text(st, col, 0, &t))
            return NULL;
        cJSON *v = cJSON_CreateString(t);
        free(t);
        return v;
    }
    }
}

/* Write one item as compact JSON text (cJSON does the escaping) and free it. */
static int json_put(FILE *out, cJSON *item)
{
    char *text = item ? cJSON_PrintUnformatted(item) : NULL;
    cJSON_Delete(item);
    if (!text)
        return RB_ENOMEM;
    rb_json_fputs(text, out); /* a label's bytes may not be UTF-8 */
    cJSON_free(text);
    return 0;
}

static int json_begin(query_out *q) { return 0; }

/* Members are written one by one rather than through cJSON_Print, whose
 * layout (tabs, "[{" on one line) reads badly and differs from jq's. */
static int json_row(query_out *q)
{
    fputs(q->nrows ? ",\n  {" : "[\n  {", q->out);
    for (int c = 0; c < q->ncol; c++) {
        fputs(c ? ",\n    " : "\n    ", q->out);
        if (json_put(q->out, cJSON_CreateString(sqlite3_column_name(q->st, c))))
            return RB_ENOMEM;
        fputs(": ", q->out);
        if (json_put(q->out, json_value(q->st, c)))
            return RB_ENOMEM;
    }
    fputs("\n  }", q->out);
    return 0;
}

static int json_end(query_out *q)
{
    fputs(q->nrows ? "\n]\n" : "[]\n", q->out);
    return 0;
}

static const format_writer writers[] = {
    [RB_FMT_TABLE] = {"table", table_begin, table_row, table_end},
    [RB_FMT_CSV] = {"csv", csv_begin, csv_row, csv_end},
    [RB_FMT_JSON] = {"json", json_begin, json_row, json_end},
};
#define N_WRITERS (sizeof writers / sizeof writers[0])

int rb_format_parse(const char *s, rb_format *out)
{
    for (size_t i = 0; s && i < N_WRITERS; i++)
        if (!strcmp(s, writers[i].name)) {
            *out = (rb_format)i;
            return 0;
        }
    return -1;
}

/* ---- the statement ----------------------------------------------------- */

/* Is there another statement after the first?  Whitespace, semicolons and
 * comments are not statements: preparing the rest says which it holds. */
static int has_second_statement(sqlite3 *db, const char *tail)
{
    while (*tail && (isspace((unsigned char)*tail) || *tail == ';'))
        tail++;
    if (!*tail)
        return 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, tail, -1, &st, NULL);
    int more = rc != SQLITE_OK || st != NULL;
    sqlite3_finalize(st);
    return more;
}

static int prepare_query(rb_store *s, const char *sql, sqlite3_stmt **out, rb_err *e)
{
    const char *tail = NULL;
    sqlite3_stmt *st = NULL;
    *out = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, &tail);
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_ERROR)
            return rb_errf(e, RB_EINPUT, "bad query: %s (in: %.400s)", sqlite3_errmsg(s->db), sql);
        return rb_store_dberr(s, rc, "preparing the query", e);
    }
    const char *why = NULL;
    if (!st)
        why = "empty query: give one SELECT statement";
    else if (!sqlite3_stmt_readonly(st))
        why = "query is read-only: this statement would modify the database; use sqlite3 for that";
    else if (sqlite3_column_count(st) == 0)
        why = "query returns no columns: give one SELECT statement";
    else if (has_second_statement(s->db, tail))
        why = "one statement at a time: the query holds more than one";
    if (why) {
        sqlite3_finalize(st);
        return rb_errf(e, RB_EINPUT, "%s (in: %.400s)", why, sql);
    }
    *out = st;
    return 0;
}

static void query_out_free(query_out *q)
{
    for (size_t i = 0; i < q->ncells; i++)
        free(q->cells[i]);
    free(q->cells);
    free(q->width);
    free(q->numeric);
    free(q->any);
}

int rb_store_query(rb_store *s, const char *sql, rb_format fmt, FILE *out, rb_err *e)
{
    if ((unsigned)fmt >= N_WRITERS)
        return rb_errf(e, RB_EINPUT, "unknown output format %d: use table, csv or json", (int)fmt);
    if (!sql)
        return rb_errf(e, RB_EINPUT, "empty query: give one SELECT statement");
    sqlite3_stmt *st;
    int ret = prepare_query(s, sql, &st, e);
    if (ret)
        return ret;

    const format_writer *w = &writers[fmt];
    query_out q = {.st = st, .out = out, .ncol = sqlite3_column_count(st)};
    int rc = SQLITE_DONE;
    ret = w->begin(&q);
    while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ret = w->row(&q);
        q.nrows++;
    }
    if (ret == RB_ENOMEM)
        rb_errf(e, RB_ENOMEM, "out of memory formatting the query's rows (%ld so far)", q.nrows);
    else if (!ret && rc != SQLITE_DONE) {
        if ((rc & 0xff) == SQLITE_ERROR)
            ret =
                rb_errf(e, RB_EINPUT, "query failed: %s (in: %.400s)", sqlite3_errmsg(s->db), sql);
        else
            ret = rb_store_dberr(s, rc, "running the query", e);
    }
    if (!ret)
        ret = w->end(&q);
    if (!ret && (fflush(out) != 0 || ferror(out)))
        ret = rb_errf(e, RB_ERUNTIME, "writing the query's output failed: %s", strerror(errno));
    query_out_free(&q);
    sqlite3_finalize(st);
    return ret;
}
