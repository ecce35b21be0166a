/* files.c — opening the files a person names, safely (files.h). */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISLNK(m)  ? "a symbolic link"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

static int refuse(const char *path, mode_t m, rb_err *e)
{
    return rb_errf(e, RB_EINPUT, "%s is %s, not a regular file: refusing to write it", path,
                   kind_of(m));
}

int rb_out_path_ok(const char *path, rb_err *e)
{
    struct stat st;
    if (lstat(path, &st)) {
        if (errno == ENOENT)
            return 0;
        return rb_errf(e, RB_EINPUT, "%s: %s", path, strerror(errno));
    }
    return S_ISREG(st.st_mode) ? 0 : refuse(path, st.st_mode, e);
}

/* fd, opened with O_NONBLOCK, as a stream once it is known to be a regular
 * file of at most max_bytes; else NULL with e filled (for reading, said as
 * not being what it should: an input; for writing, refused), fd closed and
 * errno telling which (EINVAL: not a regular file, EFBIG: too big). */
static FILE *regular_stream(int fd, const char *path, const char *mode, long max_bytes,
                            const char *what, rb_err *e)
{
    struct stat st;
    int err = 0;
    if (fstat(fd, &st)) {
        err = errno;
        rb_errf(e, RB_EINPUT, "%s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        err = EINVAL;
        if (what)
            rb_errf(e, RB_EINPUT, "%s is %s, not a regular file: not %s", path, kind_of(st.st_mode),
                    what);
        else
            refuse(path, st.st_mode, e);
    } else if (st.st_size > max_bytes) {
        err = EFBIG;
        rb_errf(e, RB_EINPUT, "%s: %lld bytes, more than %s can be (%ld)", path,
                (long long)st.st_size, what ? what : "a file", max_bytes);
    }
    FILE *f = NULL;
    if (!err) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        if (!(f = fdopen(fd, mode))) {
            err = errno;
            rb_errf(e, RB_ENOMEM, "%s: %s", path, strerror(errno));
        }
    }
    if (!f) {
        close(fd);
        errno = err;
    }
    return f;
}

FILE *rb_fopen_out(const char *path, rb_err *e)
{
    if (rb_out_path_ok(path, e))
        return NULL;
    /* O_NONBLOCK: a FIFO that appeared since the check fails (no reader)
     * or opens at once, and is refused; a regular file ignores it. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0) {
        rb_errf(e, RB_EINPUT, "%s: cannot create: %s", path,
                errno == ELOOP ? "it is a symbolic link" : strerror(errno));
        return NULL;
    }
    return regular_stream(fd, path, "wb", LONG_MAX, NULL, e);
}

int rb_mkdir_out(const char *path, int link, rb_err *e)
{
    if (!mkdir(path, 0777))
        return 0;
    if (errno != EEXIST)
        return rb_errf(e, RB_EINPUT, "cannot create %s: %s", path, strerror(errno));
    struct stat st;
    if ((link ? stat(path, &st) : lstat(path, &st)) || !S_ISDIR(st.st_mode))
        return rb_errf(e, RB_EINPUT,
                       "%s exists and is %s, not a directory: refusing to write in it", path,
                       kind_of(st.st_mode));
    return 0;
}

FILE *rb_fopen_in(const char *path, long max_bytes, const char *what, rb_err *e)
{
    /* O_NONBLOCK: a FIFO without a writer would block the open */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        rb_errf(e, RB_EINPUT, "%s: cannot open: %s", path, strerror(errno));
        errno = saved;
        return NULL;
    }
    return regular_stream(fd, path, "r", max_bytes, what, e);
}

int rb_ini_check_lines(FILE *f, const char *path, rb_err *e)
{
    int c, line = 1, col = 0, rc = 0;
    while (!rc && (c = getc(f)) != EOF) {
        if (c == '\n') {
            line++;
            col = 0;
        } else if (++col > RB_INI_MAX_LINE && c != '\r') {
            rc = rb_errf(e, RB_EINPUT,
                         "%s:%d: line longer than %d characters (the INI reader would split it); "
                         "shorten it",
                         path, line, RB_INI_MAX_LINE);
        }
    }
    rewind(f);
    return rc;
}

int rb_ini_parse(FILE *f, const char *path,
                 int (*h)(void *, const char *, const char *, const char *), void *user, rb_err *e)
{
    rb_err_clear(e);
    int rc = rb_ini_check_lines(f, path, e);
    int line = rc ? 0 : ini_parse_file(f, h, user);
    fclose(f);
    if (rc)
        return rc;
    if (line == -2)
        return rb_errf(e, RB_ENOMEM, "%s: out of memory reading it", path);
    if (line == 0)
        return 0;
    if (!e->msg[0])
        return rb_errf(e, RB_EINPUT, "%s:%d: not valid INI", path, line);
    return rb_err_prefix(e, "%s:%d: ", path, line); /* file:line: key: what is wrong */
}

/* ---- staged directory commits --------------------------------------------- */

static int join(char *buf, size_t n, const char *a, const char *b, rb_err *e)
{
    int len = snprintf(buf, n, "%s/%s", a, b);
    if (len < 0 || (size_t)len >= n)
        return rb_errf(e, RB_EINPUT, "%s: path too long", a);
    return 0;
}

static int sync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Each file of the stage but the marker: fn(dir, stage, name).  The names
 * are read first: entries renamed away during readdir may make it skip
 * others (POSIX leaves it unspecified), and a skipped file would be lost. */
static int each_staged(const char *stage,
                       int (*fn)(const char *dir, const char *stage, const char *name, rb_err *e),
                       const char *dir, rb_err *e)
{
    DIR *d = opendir(stage);
    if (!d)
        return rb_errf(e, RB_ERUNTIME, "%s: %s", stage, strerror(errno));
    char(*names)[256] = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char(*p)[256] = realloc(names, cap * sizeof *names);
            if (!p) {
                rc = rb_errf(e, RB_ENOMEM, "out of memory listing %s", stage);
                break;
            }
            names = p;
        }
        snprintf(names[n++], sizeof names[0], "%s", de->d_name);
    }
    closedir(d);
    for (size_t i = 0; !rc && i < n; i++)
        rc = fn(dir, stage, names[i], e);
    free(names);
    return rc;
}

static int move_one(const char *dir, const char *stage, const char *name, rb_err *e)
{
    char from[4096], to[4096];
    int rc = join(from, sizeof from, stage, name, e);
    if (!rc)
        rc = join(to, sizeof to, dir, name, e);
    if (!rc && rename(from, to))
        rc = rb_errf(e, RB_ERUNTIME, "cannot move %s to %s: %s", from, to, strerror(errno));
    return rc;
}

static int sync_one(const char *dir, const char *stage, const char *name, rb_err *e)
{
    (void)dir;
    char path[4096];
    int rc = join(path, sizeof path, stage, name, e);
    if (!rc && sync_path(path, O_RDONLY))
        rc = rb_errf(e, RB_ERUNTIME, "cannot sync %s: %s", path, strerror(errno));
    return rc;
}

static int drop_one(const char *dir, const char *stage, const char *name, rb_err *e)
{
    (void)dir;
    char path[4096];
    int rc = join(path, sizeof path, stage, name, e);
    if (!rc && unlink(path) && errno != ENOENT)
        rc = rb_errf(e, RB_ERUNTIME, "cannot remove %s: %s", path, strerror(errno));
    return rc;
}

/* The stage is gone when this returns 0: its files moved or dropped. */
static int finish_stage(const char *dir, const char *stage, const char *marker, int forward,
                        rb_err *e)
{
    int rc = each_staged(stage, forward ? move_one : drop_one, dir, e);
    if (!rc && forward)
        sync_path(dir, O_RDONLY | O_DIRECTORY); /* the renames, before the marker goes */
    if (!rc && unlink(marker) && errno != ENOENT)
        rc = rb_errf(e, RB_ERUNTIME, "cannot remove %s: %s", marker, strerror(errno));
    if (!rc && rmdir(stage))
        rc = rb_errf(e, RB_ERUNTIME, "cannot remove %s: %s (what else is in it?)", stage,
                     strerror(errno));
    return rc;
}

/* DIR/.saving and its marker DIR/.saving/.complete, into 4096-byte buffers. */
static int stage_paths(const char *dir, char *stage, char *marker, rb_err *e)
{
    int rc = join(stage, 4096, dir, RB_DIR_STAGE, e);
    return rc ? rc : join(marker, 4096, stage, ".complete", e);
}

int rb_dir_recover(const char *dir, rb_err *e)
{
    char stage[4096], marker[4096];
    int rc = stage_paths(dir, stage, marker, e);
    if (rc)
        return rc;
    struct stat st;
    if (lstat(stage, &st))
        return errno == ENOENT ? 0 : rb_errf(e, RB_ERUNTIME, "%s: %s", stage, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return rb_errf(e, RB_EINPUT, "%s is %s, not the directory of an interrupted save", stage,
                       kind_of(st.st_mode));
    return finish_stage(dir, stage, marker, !access(marker, F_OK), e);
}

int rb_dir_stage(const char *dir, char *stage, size_t n, rb_err *e)
{
    int rc = rb_dir_recover(dir, e);
    if (!rc)
        rc = join(stage, n, dir, RB_DIR_STAGE, e);
    if (!rc && mkdir(stage, 0777))
        rc = rb_errf(e, RB_EINPUT, "cannot create %s: %s", stage, strerror(errno));
    return rc;
}

int rb_dir_commit(const char *dir, rb_err *e)
{
    char stage[4096], marker[4096];
    int rc = stage_paths(dir, stage, marker, e);
    /* every staged byte on disk before the marker says the set is whole */
    if (!rc)
        rc = each_staged(stage, sync_one, dir, e);
    if (!rc) {
        int fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || fsync(fd))
            rc = rb_errf(e, RB_ERUNTIME, "cannot create %s: %s", marker, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    if (!rc)
        sync_path(stage, O_RDONLY | O_DIRECTORY);
    return rc ? rc : finish_stage(dir, stage, marker, 1, e);
}

int rb_same_file(const char *a, const char *b)
{
    struct stat x, y;
    return !stat(a, &x) && !stat(b, &y) && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}
