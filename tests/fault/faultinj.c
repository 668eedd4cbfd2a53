/*
 * faultinj.c -- an LD_PRELOAD shim that makes one step of a program's
 * output path fail, for the fault-injection tests (the tests/cli fault cases,
 * docs/reliability.md).
 *
 * The steps are the ones an atomic write goes through (atomicfile.h):
 * write, fsync (of the file or of its directory), close, rename.  The shim
 * counts those calls on outputs -- regular files or directories opened for
 * writing (fsync: any; close: those opened by fopen for writing or written
 * to, not a lock file), whose path matches FAULT_PATH -- and at the Nth one
 * does what FAULT_MODE says:
 *
 *   fail      the call fails with FAULT_ERRNO (ENOSPC, EIO, EDQUOT, ... or
 *             a number; default EIO) and does nothing; with FAULT_STICKY=1
 *             every later call of that kind fails too (a full disk)
 *   short     (write only) the call writes half the bytes and returns that
 *             count, as write(2) may; callers must write the rest
 *   kill      SIGKILL to the process itself (kill -9 at that point)
 *   killgroup SIGKILL to its whole process group (run_daily and its stage)
 *
 * FAULT_OP=start fires at program start instead (mode kill/killgroup: a
 * kill at a stage boundary).  FAULT_PROG limits the shim to programs of
 * that name (run_daily.sh's own helpers are left alone); elsewhere it is
 * inert.  FAULT_NTH unset or 0 only counts.  FAULT_LOG names a file that
 * gets "fired PROG OP N PATH" when the fault happens and, at exit,
 * "count PROG write=N fsync=N close=N rename=N".
 *
 * stdio writes through glibc's internal write(), which a preload cannot
 * see, so fopen() of a file for writing returns a fopencookie() stream
 * over the real descriptor whose write/seek/close go through the hooks;
 * fileno() of such a stream answers its descriptor.  rename(), renameat(),
 * renameat2() and syscall(SYS_renameat2) count as rename.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum op { OP_WRITE, OP_FSYNC, OP_CLOSE, OP_RENAME, OP_START, OP_N };
static const char *const op_name[OP_N] = {
    "write", "fsync", "close", "rename", "start"
};
enum mode { MODE_FAIL, MODE_SHORT, MODE_KILL, MODE_KILLGROUP };

static int active;              /* this program is targeted */
static int target_op = -1;
static long nth;                /* 0: count only */
static int fault_errno = EIO;
static int sticky;
static int mode = MODE_FAIL;
static const char *path_pat;
static const char *log_path;
static long count[OP_N];
static int fired;
/* descriptors that are outputs: opened by fopen for writing, or written */
#define MAX_FD 4096
static unsigned char is_out[MAX_FD];

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *,
                             unsigned int);
static FILE *(*real_fopen)(const char *, const char *);
static int (*real_fileno)(FILE *);
static long (*real_syscall)(long, ...);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Libraries initialised before this one (OpenBLAS starts its threads in
 * its constructor) may call the hooks before faultinj_init has run, so
 * every hook finds the real function itself when it has not been yet.
 */
#define REAL(fn) (real_##fn != NULL ? real_##fn \
                  : (*(void **)&real_##fn = dlsym(RTLD_NEXT, #fn), real_##fn))

static void
logf_(const char *fmt, ...)
{
    char buf[1400];
    va_list ap;
    int fd, n;

    if (log_path == NULL)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (REAL(write)(fd, buf, (size_t)n) < 0) {
        /* nothing to do: the log is only a report */
    }
    REAL(close)(fd);
}

static int
parse_errno(const char *s)
{
    static const struct { const char *name; int value; } names[] = {
        { "ENOSPC", ENOSPC }, { "EIO", EIO }, { "EDQUOT", EDQUOT },
        { "EFBIG", EFBIG }, { "EROFS", EROFS }, { "EACCES", EACCES },
        { "EINTR", EINTR }, { "EXDEV", EXDEV }, { "EPERM", EPERM },
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].value;
    return atoi(s) > 0 ? atoi(s) : EIO;
}

static void
fire_kill(void)
{
    if (mode == MODE_KILLGROUP)
        kill(0, SIGKILL);
    kill(getpid(), SIGKILL);
}

/*
 * Count one call of kind op on path; 1 when this call is the one to fail
 * (or the sticky failure continues), 0 to let it through.  Kill modes do
 * not return.
 */
static int
step(enum op op, const char *path)
{
    long k;
    int hit = 0;

    if (!active)
        return 0;
    if (path_pat != NULL && fnmatch(path_pat, path, 0) != 0)
        return 0;
    pthread_mutex_lock(&lock);
    k = ++count[op];
    if ((int)op == target_op && nth > 0) {
        if (k == nth) {
            hit = 1;
            fired = 1;
        } else if (fired && sticky && mode == MODE_FAIL) {
            hit = 1;
        }
    }
    pthread_mutex_unlock(&lock);
    if (!hit)
        return 0;
    if (k == nth)
        logf_("fired %s %s %ld %s\n", program_invocation_short_name,
              op_name[op], k, path);
    if (mode == MODE_KILL || mode == MODE_KILLGROUP)
        fire_kill();
    return 1;
}

/* The path behind fd, or "" (then only the pattern "*" matches it). */
static void
fd_path(int fd, char *buf, size_t cap)
{
    char link[64];
    ssize_t n;

    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, buf, cap - 1);
    buf[n > 0 ? n : 0] = '\0';
}

/* 1 when fd is an output: a regular file or directory not read-only. */
static int
fd_is_output(int fd)
{
    struct stat st;
    int fl;

    if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
        return 0;
    fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_ACCMODE) != O_RDONLY;
}

static int
fd_step(enum op op, int fd)
{
    char path[1024];

    if (!active || fd < 0)
        return 0;
    if (op != OP_FSYNC && !fd_is_output(fd))
        return 0;
    fd_path(fd, path, sizeof path);
    return step(op, path);
}

static ssize_t
hooked_write(int fd, const void *buf, size_t n)
{
    if (active && fd >= 0 && fd < MAX_FD && !is_out[fd] && fd_is_output(fd))
        is_out[fd] = 1;
    if (n > 0 && fd_step(OP_WRITE, fd)) {
        if (mode == MODE_SHORT) {
            size_t half = n > 1 ? n / 2 : 1;
            return REAL(write)(fd, buf, half);
        }
        errno = fault_errno;
        return -1;
    }
    return REAL(write)(fd, buf, n);
}

/* Only the close of an output counts (not that of a lock file). */
static int
hooked_close(int fd)
{
    int out = fd >= 0 && fd < MAX_FD && is_out[fd];

    if (out)
        is_out[fd] = 0;
    if (out && fd_step(OP_CLOSE, fd) && mode == MODE_FAIL) {
        REAL(close)(fd);         /* as close(2) on EIO: the fd is gone */
        errno = fault_errno;
        return -1;
    }
    return REAL(close)(fd);
}

/* ---- the symbols the program calls ---------------------------------------- */

ssize_t
write(int fd, const void *buf, size_t n)
{
    return hooked_write(fd, buf, n);
}

int
fsync(int fd)
{
    if (fd_step(OP_FSYNC, fd) && mode == MODE_FAIL) {
        errno = fault_errno;
        return -1;
    }
    return REAL(fsync)(fd);
}

int
fdatasync(int fd)
{
    if (fd_step(OP_FSYNC, fd) && mode == MODE_FAIL) {
        errno = fault_errno;
        return -1;
    }
    return REAL(fdatasync)(fd);
}

int
close(int fd)
{
    return hooked_close(fd);
}

static int
rename_step(const char *a, const char *b)
{
    if (!active)
        return 0;
    if (path_pat != NULL && fnmatch(path_pat, a, 0) != 0
        && fnmatch(path_pat, b, 0) == 0)
        a = b;                  /* match on either name */
    if (step(OP_RENAME, a) && mode == MODE_FAIL) {
        errno = fault_errno;
        return 1;
    }
    return 0;
}

int
rename(const char *a, const char *b)
{
    if (rename_step(a, b))
        return -1;
    return REAL(rename)(a, b);
}

int
renameat(int da, const char *a, int db, const char *b)
{
    if (rename_step(a, b))
        return -1;
    return REAL(renameat)(da, a, db, b);
}

int
renameat2(int da, const char *a, int db, const char *b, unsigned int fl)
{
    if (rename_step(a, b))
        return -1;
    return REAL(renameat2)(da, a, db, b, fl);
}

long
syscall(long nr, ...)
{
    va_list ap;
    long a[6];

    va_start(ap, nr);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (nr == SYS_renameat2
        && rename_step((const char *)a[1], (const char *)a[3])) {
        return -1;
    }
    return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- stdio streams for writing --------------------------------------------- */

struct cookie {
    int fd;
    FILE *fp;
};

#define MAX_STREAMS 256
static struct cookie *streams[MAX_STREAMS];

static ssize_t
ck_read(void *c, char *buf, size_t n)
{
    return read(((struct cookie *)c)->fd, buf, n);
}

/*
 * As glibc's own file streams: write everything, retrying short writes; on
 * an error, the bytes written so far (never -1: glibc's cookie streams
 * take the result as a count, and the error is seen by the short count).
 */
static ssize_t
ck_write(void *c, const char *buf, size_t n)
{
    size_t done = 0;

    while (done < n) {
        ssize_t w = hooked_write(((struct cookie *)c)->fd, buf + done,
                                 n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return (ssize_t)done;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static int
ck_seek(void *c, off64_t *pos, int whence)
{
    off_t r = lseek(((struct cookie *)c)->fd, (off_t)*pos, whence);

    if (r < 0)
        return -1;
    *pos = (off64_t)r;
    return 0;
}

static int
ck_close(void *c)
{
    struct cookie *k = c;
    int rc;

    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_STREAMS; i++)
        if (streams[i] == k)
            streams[i] = NULL;
    pthread_mutex_unlock(&lock);
    rc = hooked_close(k->fd);
    free(k);
    return rc;
}

static int
open_flags(const char *m)
{
    int fl = 0, plus = strchr(m, '+') != NULL;

    switch (m[0]) {
    case 'w': fl = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC; break;
    case 'a': fl = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND; break;
    default:  fl = plus ? O_RDWR : O_RDONLY; break;
    }
    if (strchr(m, 'e') != NULL)
        fl |= O_CLOEXEC;
    if (strchr(m, 'x') != NULL)
        fl |= O_EXCL;
    return fl;
}

static FILE *
wrap_fopen(const char *path, const char *m)
{
    cookie_io_functions_t io = { ck_read, ck_write, ck_seek, ck_close };
    struct cookie *k;
    int fd, slot = -1;

    if (!active || (m[0] != 'w' && m[0] != 'a' && strchr(m, '+') == NULL))
        return REAL(fopen)(path, m);
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_STREAMS && slot < 0; i++)
        if (streams[i] == NULL)
            slot = i;
    pthread_mutex_unlock(&lock);
    if (slot < 0)
        return REAL(fopen)(path, m);
    fd = open(path, open_flags(m), 0666);
    if (fd < 0)
        return NULL;
    k = malloc(sizeof *k);
    if (k == NULL) {
        REAL(close)(fd);
        errno = ENOMEM;
        return NULL;
    }
    k->fd = fd;
    if (fd < MAX_FD)
        is_out[fd] = 1;
    k->fp = fopencookie(k, m, io);
    if (k->fp == NULL) {
        REAL(close)(fd);
        free(k);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    if (streams[slot] != NULL) {
        slot = -1;
        for (int i = 0; i < MAX_STREAMS && slot < 0; i++)
            if (streams[i] == NULL)
                slot = i;
    }
    if (slot >= 0)
        streams[slot] = k;
    pthread_mutex_unlock(&lock);
    return k->fp;
}

FILE *
fopen(const char *path, const char *m)
{
    return wrap_fopen(path, m);
}

FILE *
fopen64(const char *path, const char *m)
{
    return wrap_fopen(path, m);
}

int
fileno(FILE *fp)
{
    int fd = -1;

    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_STREAMS; i++)
        if (streams[i] != NULL && streams[i]->fp == fp)
            fd = streams[i]->fd;
    pthread_mutex_unlock(&lock);
    return fd >= 0 ? fd : REAL(fileno)(fp);
}

/* ---- set-up and the count at exit ------------------------------------------ */

static void
report(void)
{
    if (active)
        logf_("count %s write=%ld fsync=%ld close=%ld rename=%ld\n",
              program_invocation_short_name, count[OP_WRITE],
              count[OP_FSYNC], count[OP_CLOSE], count[OP_RENAME]);
}

__attribute__((constructor)) static void
faultinj_init(void)
{
    const char *s;

    s = getenv("FAULT_PROG");
    active = s == NULL || *s == '\0'
             || strcmp(s, program_invocation_short_name) == 0;
    if (!active)
        return;
    log_path = getenv("FAULT_LOG");
    path_pat = getenv("FAULT_PATH");
    if (path_pat != NULL && *path_pat == '\0')
        path_pat = NULL;
    if ((s = getenv("FAULT_OP")) != NULL)
        for (int i = 0; i < OP_N; i++)
            if (strcmp(s, op_name[i]) == 0)
                target_op = i;
    if ((s = getenv("FAULT_NTH")) != NULL)
        nth = atol(s);
    if ((s = getenv("FAULT_ERRNO")) != NULL)
        fault_errno = parse_errno(s);
    if ((s = getenv("FAULT_STICKY")) != NULL)
        sticky = strcmp(s, "1") == 0;
    if ((s = getenv("FAULT_MODE")) != NULL) {
        if (strcmp(s, "short") == 0)
            mode = MODE_SHORT;
        else if (strcmp(s, "kill") == 0)
            mode = MODE_KILL;
        else if (strcmp(s, "killgroup") == 0)
            mode = MODE_KILLGROUP;
    }
    atexit(report);
    if (target_op == OP_START && (mode == MODE_KILL || mode == MODE_KILLGROUP)) {
        logf_("fired %s start 1 -\n", program_invocation_short_name);
        fire_kill();
    }
}
