/* files.h — opening the files a person names, safely.
 *
 * An output path may be anything: a device node, a FIFO, a directory, a
 * symbolic link into somewhere else.  rnnbench writes only regular files it
 * creates or replaces, and refuses the rest by name, leaving them as they
 * are (writing a report over /dev/full as root must not replace the node). */
#ifndef RB_FILES_H
#define RB_FILES_H

#include <stdio.h>

#include "rb_err.h"

/* 0 when path does not exist or is a regular file (not a link to one);
 * else RB_EINPUT naming what it is: "PATH is a directory, not a regular
 * file: refusing to write it". */
int rb_out_path_ok(const char *path, rb_err *e);

/* Are a and b one file, whatever the paths (both must exist)? */
int rb_same_file(const char *a, const char *b);

/* fopen(path, "wb") for an output file: refused as rb_out_path_ok refuses,
 * never through a symbolic link, never blocking on a FIFO (the check and
 * the open cannot be raced into writing elsewhere: the open itself refuses
 * a link and the opened file is checked again).  NULL with e filled. */
FILE *rb_fopen_out(const char *path, rb_err *e);

/* mkdir(path) for output; an existing directory is used as it is.  link:
 * may path be a symbolic link to a directory (the directory a person
 * named: yes; one inside it that rnnbench writes into: no, or a link
 * planted there would send the files elsewhere).  RB_EINPUT otherwise. */
int rb_mkdir_out(const char *path, int link, rb_err *e);

/* An input file for reading: a regular file (not a FIFO, a device such as
 * /dev/zero, or a directory) of at most max_bytes, said with what it is
 * meant to be ("an fpga config").  NULL with e filled (RB_EINPUT); errno is
 * that of the failed open when it is the open that failed. */
FILE *rb_fopen_in(const char *path, long max_bytes, const char *what, rb_err *e);

/* Debian's libinih splits a line longer than 199 characters into two
 * without a word (a long value becomes a made-up key).  The first such
 * line of f as "PATH:LINE: ..." in e (RB_EINPUT), or 0; f is rewound. */
#define RB_INI_MAX_LINE 199
int rb_ini_check_lines(FILE *f, const char *path, rb_err *e);

/* Parse INI file f (closed here) with libinih's handler h, whose errors
 * leave their message in e: 0, or RB_EINPUT with e as "PATH:LINE: message"
 * (an over-long line included), or RB_ENOMEM. */
int rb_ini_parse(FILE *f, const char *path,
                 int (*h)(void *, const char *, const char *, const char *), void *user, rb_err *e);

/* ---- a directory of files replaced all together (a saved model) ----
 *
 * A save writes every file into DIR/.saving/ (rb_dir_stage), then
 * rb_dir_commit marks the staged set complete (DIR/.saving/.complete,
 * synced), moves each file over its old one (rename: atomic per file) and
 * removes the stage.  A process killed at any moment leaves either the old
 * set (the stage is incomplete: dropped) or a complete new set part-moved,
 * which rb_dir_recover finishes moving.  Readers call rb_dir_recover before
 * reading; rb_dir_stage calls it too.  Files of DIR that the save does not
 * write are left alone. */
#define RB_DIR_STAGE ".saving"

/* Recover DIR as above, then make an empty DIR/.saving (DIR must exist);
 * its path into stage (n bytes). */
int rb_dir_stage(const char *dir, char *stage, size_t n, rb_err *e);
/* Move the staged files into DIR. */
int rb_dir_commit(const char *dir, rb_err *e);
/* Finish or drop an interrupted commit; 0 when there is none. */
int rb_dir_recover(const char *dir, rb_err *e);

#endif
