/* explore_confirm.c — build, simulate and synthesize an explored candidate
 * (explore_confirm.h). */
#include "explore_confirm.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../targets/fpga/sim/fpga_sim.h"
#include "signals.h"

/* cycles one confirming simulation runs at most (about a minute) */
#define RB_CONFIRM_MAX_CYCLES 5e7

#ifndef RB_BUILD_DIR
#define RB_BUILD_DIR "."
#endif

/* Run argv with stdout and stderr to out_path (appended), env_kv (may be
 * NULL) put in its environment; its exit status, 127 when it could not
 * start, 128 + N when killed by signal N. */
static int run(char *const argv[], const char *env_kv, const char *out_path)
{
    pid_t pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (env_kv)
            putenv((char *)env_kv);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 127;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* dir/name into buf (the caller's dir is short: a cache path and a hash) */
static const char *path(char *buf, size_t len, const char *dir, const char *name)
{
    if (snprintf(buf, len, "%s/%s", dir, name) >= (int)len)
        buf[0] = 0;
    return buf;
}

static int on_path(const char *prog)
{
    char *p = getenv("PATH"), buf[4096];
    snprintf(buf, sizeof buf, "%s", p ? p : "/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char f[4200];
        if (!access(path(f, sizeof f, d, prog), X_OK))
            return 1;
    }
    return 0;
}

static void say(rb_confirm_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(rb_confirm_env *env, const char *fmt, ...)
{
    if (!env->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(env->log, fmt, ap);
    va_end(ap);
    fputc('\n', env->log);
    fflush(env->log);
}

void rb_confirm_env_init(rb_confirm_env *env, const char *cache, int jobs, FILE *log)
{
    memset(env, 0, sizeof *env);
    if (!cache)
        cache = getenv("RB_FPGA_CONFIRM_CACHE");
    snprintf(env->cache, sizeof env->cache, "%s",
             cache && *cache ? cache : RB_BUILD_DIR "/fpga-confirm");
    env->jobs = jobs > 0 ? jobs : 1;
    env->log = log;
    struct stat st;
    if (!on_path("cmake"))
        snprintf(env->no_sim, sizeof env->no_sim, "cmake is not installed");
    else if (!on_path("verilator") && stat("/usr/share/verilator/verilator-config.cmake", &st))
        snprintf(env->no_sim, sizeof env->no_sim,
                 "Verilator is not installed (scripts/setup.sh installs it)");
    else if (!on_path("c++") && !on_path("g++") && !on_path("clang++"))
        snprintf(env->no_sim, sizeof env->no_sim, "no C++ compiler (Verilator's models are C++)");
    if (!on_path("yosys"))
        snprintf(env->no_synth, sizeof env->no_synth,
                 "Yosys is not installed (scripts/setup.sh installs it)");
    else {
        char out[4200];
        path(out, sizeof out, env->cache, "rtl-hash.txt");
        char *argv[] = {RB_SOURCE_DIR "/targets/fpga/synth/synth.sh", "--rtl-hash", NULL};
        mkdir(env->cache, 0755);
        unlink(out);
        FILE *f = NULL;
        if (run(argv, NULL, out) || !(f = fopen(out, "r")) ||
            !fgets(env->rtl_hash, sizeof env->rtl_hash, f))
            snprintf(env->no_synth, sizeof env->no_synth, "synth.sh --rtl-hash failed");
        env->rtl_hash[strcspn(env->rtl_hash, "\n")] = 0;
        if (f)
            fclose(f);
    }
}

/* FNV-1a: a cache key, not a defence against anyone */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Build rb-fpga-confirm for hw's parameters into dir; 0, or a note. */
static int build(const rb_fpga_hw *hw, const char *dir, rb_confirm_env *env, char *note, size_t len)
{
    char log[4200], defs[20][64], jobs[16];
    path(log, sizeof log, dir, "build.log");
    struct {
        const char *name;
        long v;
    } p[] = {{"DATA_W", hw->fmt.bits},       {"FRAC", hw->fmt.frac},
             {"LANES", hw->lanes},           {"VLANES", hw->vlanes},
             {"WMEM_WORDS", hw->wmem_words}, {"XMEM_WORDS", hw->xmem_words},
             {"YMEM_WORDS", hw->ymem_words}, {"MAX_B", hw->max_b},
             {"MAX_H", hw->max_h},           {"MAX_I", hw->max_i},
             {"MAX_L", hw->max_l},           {"OC_FIFO", hw->oc_fifo}};
    char *argv[32] = {"cmake",
                      "-S",
                      RB_SOURCE_DIR,
                      "-B",
                      (char *)dir,
                      "-DCMAKE_BUILD_TYPE=Release",
                      "-DRB_FPGA_BUILD=custom",
                      "-DRB_FPGA_MODEL_OPT=-O1"};
    int n = 8;
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        snprintf(defs[i], sizeof defs[i], "-DRB_FPGA_CUSTOM_%s=%ld", p[i].name, p[i].v);
        argv[n++] = defs[i];
    }
    argv[n] = NULL;
    if (run(argv, NULL, log))
        return snprintf(note, len, "configuring its build failed (%.300s)", log), -1;
    snprintf(jobs, sizeof jobs, "%d", env->jobs);
    char *bargv[] = {"cmake",           "--build", (char *)dir, "--target",
                     "rb-fpga-confirm", "-j",      jobs,        NULL};
    if (run(bargv, NULL, log))
        return snprintf(note, len, "building its simulator failed (%.300s)", log), -1;
    return 0;
}

/* Simulate one point at batch B; 0 agreed, 1 disagreed (note says how),
 * -1 could not run (note says why). */
static int simulate(const char *dir, const char *exe, const char *config, const rb_explore_cand *c,
                    const rb_workload *w, int steps, int B, uint64_t *cycles, char *note,
                    size_t len)
{
    char out[4200], I[16], H[16], L[16], T[16], Bs[16], bpc[32];
    path(out, sizeof out, dir, "confirm.json");
    snprintf(I, sizeof I, "%d", w->input);
    snprintf(H, sizeof H, "%d", w->hidden);
    snprintf(L, sizeof L, "%d", w->layers);
    snprintf(T, sizeof T, "%d", steps);
    snprintf(Bs, sizeof Bs, "%d", B);
    snprintf(bpc, sizeof bpc, "%.17g", c->hw.offchip_bpc);
    char *argv[] = {(char *)exe,
                    "--config",
                    (char *)config,
                    "--cell",
                    (char *)rb_cell_name(w->cell),
                    "--input",
                    I,
                    "--hidden",
                    H,
                    "--layers",
                    L,
                    "--steps",
                    T,
                    "--batch",
                    Bs,
                    "--bpc",
                    bpc,
                    NULL};
    unlink(out);
    int rc = run(argv, NULL, out);
    FILE *f = fopen(out, "r");
    char buf[4096] = "";
    size_t got = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[got] = 0;
    cJSON *j = cJSON_Parse(buf);
    const cJSON *cy = cJSON_GetObjectItemCaseSensitive(j, "cycles"),
                *fo = cJSON_GetObjectItemCaseSensitive(j, "formula_cycles"),
                *mm = cJSON_GetObjectItemCaseSensitive(j, "mismatches"),
                *er = cJSON_GetObjectItemCaseSensitive(j, "error");
    int ret = -1;
    if ((rc == 0 || rc == 1) && cJSON_IsNumber(cy) && cJSON_IsNumber(fo) && cJSON_IsNumber(mm)) {
        *cycles = (uint64_t)cy->valuedouble;
        ret = rc;
        if (rc)
            snprintf(note, len,
                     "%s: simulated %.0f cycles, the formula %.0f; %.0f values differ "
                     "from the golden model",
                     w->key, cy->valuedouble, fo->valuedouble, mm->valuedouble);
    } else
        snprintf(note, len, "%s: the simulation did not run: %s", w->key,
                 cJSON_IsString(er) ? er->valuestring : "no result (see its output)");
    cJSON_Delete(j);
    return ret;
}

/* Did this build verilate configuration name (RB_FPGA_BUILD)? */
static int built_here(const char *name)
{
#ifdef RB_HAVE_VERILATOR
    rb_fpga_sim *sim = rb_fpga_sim_new(name, NULL, 0);
    rb_fpga_sim_free(sim);
    return sim != NULL;
#else
    (void)name;
    return 0;
#endif
}

/* A candidate that is one of this build's configurations (small, small8 ...)
 * is simulated by the build's own rb-fpga-confirm: its name, or NULL. */
static const char *builtin(const rb_fpga_hw *hw)
{
    const rb_fpga_hw *hws;
    int n = rb_fpga_hw_configs(&hws);
    char want[256], have[256];
    rb_fpga_hw_params(hw, want, sizeof want);
    for (int i = 0; i < n; i++) {
        rb_fpga_hw_params(&hws[i], have, sizeof have);
        if (!strcmp(want, have) && strcmp(hws[i].name, "custom") &&
            !access(RB_BUILD_DIR "/rb-fpga-confirm", X_OK) && built_here(hws[i].name))
            return hws[i].name;
    }
    return NULL;
}

/* Does the summary at file describe these parameters, this RTL, on 7 series
 * (what the resource model and the candidates' synthesis are)? */
static int summary_of(const char *file, const char *params, const char *rtl_hash)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    char line[512], want_p[300], want_h[100];
    snprintf(want_p, sizeof want_p, "params=%s\n", params);
    snprintf(want_h, sizeof want_h, "rtl_sha256=%s\n", rtl_hash);
    int hp = 0, hh = 0, xc7 = 0;
    while (fgets(line, sizeof line, f)) {
        hp |= !strcmp(line, want_p);
        hh |= !strcmp(line, want_h);
        xc7 |= !strncmp(line, "synth=", 6) && strstr(line, "-family xc7");
    }
    fclose(f);
    return hp && hh && xc7;
}

/* A committed synthesis of exactly these parameters (targets/fpga/synth/,
 * its sweep/), into file: 0 when there is one. */
static int committed_summary(const char *params, const char *rtl_hash, char *file, size_t len)
{
    const char *dirs[] = {RB_SOURCE_DIR "/targets/fpga/synth",
                          RB_SOURCE_DIR "/targets/fpga/synth/sweep"};
    for (int k = 0; k < 2; k++) {
        DIR *d = opendir(dirs[k]);
        struct dirent *de;
        while (d && (de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if (l > 10 && !strcmp(de->d_name + l - 10, ".resources") &&
                summary_of(path(file, len, dirs[k], de->d_name), params, rtl_hash)) {
                closedir(d);
                return 0;
            }
        }
        if (d)
            closedir(d);
    }
    return -1;
}

/* Synthesize hw into dir/synth (kept while the RTL's hash and the
 * parameters are the same; a committed synthesis of the same parameters
 * is used as it is); its summary's resources into res. */
static int synthesize(const rb_fpga_hw *hw, const char *dir, rb_confirm_env *env,
                      double res[RB_NRES], char *note, size_t len)
{
    char sdir[4200], sum[4300], params[256], env_kv[300], log[4300];
    path(sdir, sizeof sdir, dir, "synth");
    path(sum, sizeof sum, sdir, "small.resources");
    path(log, sizeof log, dir, "synth.log");
    rb_fpga_hw_params(hw, params, sizeof params);
    int fresh = summary_of(sum, params, env->rtl_hash);
    if (!fresh && !committed_summary(params, env->rtl_hash, sum, sizeof sum))
        fresh = 1;
    if (!fresh) {
        mkdir(sdir, 0755);
        snprintf(env_kv, sizeof env_kv, "RB_SYNTH_PARAMS=%s", params);
        char *argv[] = {RB_SOURCE_DIR "/targets/fpga/synth/synth.sh", "small", sdir, NULL};
        if (run(argv, env_kv, log))
            return snprintf(note, len, "synthesis failed (%.300s)", log), -1;
    }
    rb_fpga_shape sh;
    rb_err e = {0};
    if (rb_fpga_summary_read(sum, &sh, res, &e))
        return snprintf(note, len, "%.300s", e.msg), -1;
    return 0;
}

/* The cache directory of a candidate's parameters. */
static void cand_dir(const rb_explore_cand *c, const rb_confirm_env *env, char *dir, size_t len)
{
    char params[256], key[20];
    rb_fpga_hw_params(&c->hw, params, sizeof params);
    snprintf(key, sizeof key, "%016llx", (unsigned long long)fnv1a(params));
    path(dir, len, env->cache, key);
}

int rb_explore_confirm_prefetch(rb_explore_cand *const *cs, int n, rb_confirm_env *env)
{
    enum { MAX_TASKS = 512 };
    struct {
        const rb_explore_cand *c;
        char dir[4200];
        int synth;
    } *t = calloc(MAX_TASKS, sizeof *t);
    if (!t)
        return RB_ENOMEM;
    int nt = 0;
    mkdir(env->cache, 0755);
    for (int i = 0; i < n; i++) {
        char dir[4200];
        cand_dir(cs[i], env, dir, sizeof dir);
        int known = 0; /* candidates that differ only in clock share a build */
        for (int k = 0; k < nt && !known; k++)
            known = !strcmp(t[k].dir, dir);
        for (int synth = 0; synth < 2 && !known && nt < MAX_TASKS; synth++)
            if (!(synth ? env->no_synth : env->no_sim)[0] && (synth || !builtin(&cs[i]->hw))) {
                t[nt].c = cs[i];
                t[nt].synth = synth;
                snprintf(t[nt++].dir, sizeof t[0].dir, "%s", dir);
            }
    }
    /* at most one process per CPU; a build's compiler jobs share them */
    int par = env->jobs < nt ? env->jobs : nt, running = 0, next = 0;
    rb_confirm_env child_env = *env;
    child_env.jobs = par ? env->jobs / par : 1;
    if (nt)
        say(env, "explore: building %d simulator(s) and synthesizing in parallel, %d at a time", nt,
            par);
    while ((next < nt || running) && !rb_interrupted()) {
        if (next < nt && running < par) {
            mkdir(t[next].dir, 0755);
            pid_t pid = fork();
            if (pid == 0) {
                char note[512];
                double res[RB_NRES];
                child_env.log = NULL;
                int rc = t[next].synth
                             ? synthesize(&t[next].c->hw, t[next].dir, &child_env, res, note,
                                          sizeof note)
                             : build(&t[next].c->hw, t[next].dir, &child_env, note, sizeof note);
                _exit(rc ? 1 : 0);
            }
            running += pid > 0;
            next++;
            continue;
        }
        int st;
        if (waitpid(-1, &st, 0) > 0)
            running--;
        else if (errno != EINTR)
            break;
    }
    while (running > 0 && wait(NULL) > 0)
        running--;
    free(t);
    return rb_interrupted() ? RB_EINTR : 0;
}

int rb_explore_confirm(const rb_explore_spec *sp, rb_explore_cand *c, rb_confirm_env *env,
                       double est_res[RB_NRES], rb_err *e)
{
    char dir[4200], note[512] = "";
    cand_dir(c, env, dir, sizeof dir);
    mkdir(env->cache, 0755);
    mkdir(dir, 0755);
    c->sim_state = c->synth_state = RB_XS_ESTIMATED;
    c->confirm_note[0] = 0;
    if (env->no_sim[0])
        snprintf(c->confirm_note, sizeof c->confirm_note, "not simulated: %.200s", env->no_sim);
    else {
        const char *cfg = builtin(&c->hw);
        char exe[4200];
        if (cfg) {
            snprintf(exe, sizeof exe, "%s", RB_BUILD_DIR "/rb-fpga-confirm");
            say(env, "explore: %s: it is this build's %s configuration", c->name, cfg);
        } else {
            path(exe, sizeof exe, dir, "rb-fpga-confirm");
            say(env, "explore: %s: building its simulator (%s)", c->name, dir);
        }
        if (!cfg && build(&c->hw, dir, env, note, sizeof note))
            snprintf(c->confirm_note, sizeof c->confirm_note, "not simulated: %.230s", note);
        else {
            int agree = 1, ran = 1, sampled = 0;
            for (int p = 0; p < sp->n_points && ran; p++) {
                const rb_workload *w = sp->points[p];
                uint64_t cy = 0;
                /* a long point is simulated for its first steps only (about
                 * a minute of simulation): the formula it then checks is a
                 * sum over steps */
                int steps = w->seq;
                if ((double)c->cycles[p] > RB_CONFIRM_MAX_CYCLES)
                    steps = (int)fmax(1, w->seq * RB_CONFIRM_MAX_CYCLES / (double)c->cycles[p]);
                int r = simulate(dir, exe, cfg ? cfg : "custom", c, w, steps, w->batch, &cy, note,
                                 sizeof note);
                if (r < 0)
                    ran = 0;
                else {
                    agree &= r == 0;
                    sampled += steps < w->seq;
                    if (steps == w->seq) {
                        c->cycles[p] = cy;
                        c->lat_s[p] = (double)cy / c->hw.clock_hz;
                    }
                }
                if (rb_interrupted())
                    return rb_errf(e, RB_EINTR, "interrupted");
            }
            if (!ran)
                snprintf(c->confirm_note, sizeof c->confirm_note, "not simulated: %.230s", note);
            else
                c->sim_state = agree ? RB_XS_CONFIRMED : RB_XS_DISAGREES;
            if (ran && agree && sampled)
                snprintf(c->confirm_note, sizeof c->confirm_note,
                         "%d point(s) simulated for their first timesteps only (over %.0e "
                         "cycles); the formula matched there",
                         sampled, RB_CONFIRM_MAX_CYCLES);
            if (ran && !agree)
                snprintf(c->confirm_note, sizeof c->confirm_note, "%.250s", note);
            say(env, "explore: %s: simulated: %s", c->name,
                !ran    ? "failed"
                : agree ? "cycles and outputs as estimated"
                        : note);
        }
    }
    if (rb_interrupted())
        return rb_errf(e, RB_EINTR, "interrupted");
    size_t at = strlen(c->confirm_note);
    if (env->no_synth[0]) {
        snprintf(c->confirm_note + at, sizeof c->confirm_note - at, "%snot synthesized: %s",
                 at ? "; " : "", env->no_synth);
        return 0;
    }
    say(env, "explore: %s: synthesizing", c->name);
    double res[RB_NRES];
    if (synthesize(&c->hw, dir, env, res, note, sizeof note)) {
        snprintf(c->confirm_note + at, sizeof c->confirm_note - at, "%snot synthesized: %s",
                 at ? "; " : "", note);
        return rb_interrupted() ? rb_errf(e, RB_EINTR, "interrupted") : 0;
    }
    if (est_res)
        memcpy(est_res, c->res, sizeof c->res);
    for (int r = 0; r < RB_NRES; r++)
        if (isfinite(res[r]))
            c->res[r] = res[r];
    c->synth_state = RB_XS_CONFIRMED;
    return 0;
}
