/* files.c — opening the files a person names, safely (files.h). */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
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

FILE *rb_fopen_out(const char *path, rb_err *e)
{
    if (rb_out_path_ok(path, e))
        return NULL;
    /* O_NONBLOCK: a FIFO that appeared since the check fails (no reader)
     * or opens at once, and is refused below; a regular file ignores it. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    if (fd < 0) {
        rb_errf(e, RB_EINPUT, "%s: cannot create: %s", path,
                errno == ELOOP ? "it is a symbolic link" : strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        refuse(path, st.st_mode, e);
        close(fd);
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        rb_errf(e, RB_ENOMEM, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
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
