/* The crashing thread's native frames, written where faultlab's runner reads them.

Preloaded into every child of a run without a sanitizer runtime (LD_PRELOAD). Its handler
stands in for the *default action* of the fatal signals: a program that installs its own
handler replaces it as it would replace SIG_DFL, and a program that gives up and restores
SIG_DFL (CPython's faulthandler after its dump, Rust's stack-overflow guard for a fault
that is not an overflow, V8's trap handler) gets this handler back, through the
interposed sigaction() and signal(), which report it as SIG_DFL. So a program sees the
dispositions it would see without faultlab, and the handler runs only when the signal
would have killed the process anyway.

On a fatal signal it writes $FAULTLAB_DUMP_DIR/<pid>.frames (one "0xOFFSET SYMBOL PATH"
line per frame, innermost first), then dies of the same signal. It is async-signal-safe
where it can be: no malloc, no stdio; dladdr() takes the loader's lock, so an alarm bounds
the whole handler and a fault inside it ends the process with the first signal.

The JVM and Go install their own handlers, print their own reports, and forward signals
to a handler that was there before theirs: in them this library stays passive. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <unwind.h>

#define MAX_FRAMES 64
#define DEADLINE_S 2
#define ALTSTACK_SIZE (64 * 1024)

/* The signals whose default action ends the process with a core: the crashes. */
static const int FATAL[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP};

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
static sigaction_fn real_sigaction;
static int active;
static struct sigaction standing_in;  /* this handler, as installed for every fatal signal */
static void *own_base;                /* where this library is loaded: its frames are not the crash's */
static pid_t writer;                  /* the thread that is writing the frames */
static volatile sig_atomic_t first_signal;
extern char **environ;

static int is_fatal(int sig) {
    for (size_t i = 0; i < sizeof FATAL / sizeof *FATAL; i++)
        if (FATAL[i] == sig)
            return 1;
    return 0;
}

static sigaction_fn resolve_sigaction(void) {
    if (!real_sigaction)
        real_sigaction = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    return real_sigaction;
}

/* The default action, now: the process ends with ``sig``, as it would have without us. */
static void die(int sig) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    real_sigaction(sig, &dfl, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

static void on_deadline(int sig) {
    (void)sig;
    die(first_signal);
}

/* --- writing without malloc or stdio ----------------------------------------------- */

struct out {
    int fd;
    char buf[4096];
    size_t len;
};

static void flush(struct out *o) {
    size_t done = 0;
    while (done < o->len) {
        ssize_t n = write(o->fd, o->buf + done, o->len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    o->len = 0;
}

static void put(struct out *o, const char *s) {
    for (; *s; s++) {
        if (o->len == sizeof o->buf)
            flush(o);
        o->buf[o->len++] = *s;
    }
}

/* A name or a path: a line break in it would split a record, so it becomes '?'. */
static void put_name(struct out *o, const char *s) {
    for (; *s; s++) {
        if (o->len == sizeof o->buf)
            flush(o);
        o->buf[o->len++] = (*s == '\n') ? '?' : *s;
    }
}

static void put_number(struct out *o, uintptr_t value, int base) {
    char digits[32];
    int i = sizeof digits - 1;
    digits[i] = '\0';
    do {
        digits[--i] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value && i > 0);
    if (base == 16)
        put(o, "0x");
    put(o, digits + i);
}

static const char *dump_dir(void) {
    static const char key[] = "FAULTLAB_DUMP_DIR=";
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, key, sizeof key - 1) == 0)
            return *e + sizeof key - 1;
    return NULL;
}

/* --- the frames ---------------------------------------------------------------------- */

struct frames {
    uintptr_t pc[MAX_FRAMES];
    int n;
};

static _Unwind_Reason_Code collect(struct _Unwind_Context *context, void *arg) {
    struct frames *frames = arg;
    int exact = 0;
    uintptr_t pc = _Unwind_GetIPInfo(context, &exact);
    if (!pc || frames->n == MAX_FRAMES)
        return _URC_END_OF_STACK;
    /* A return address points after its call: look the caller up one byte back, at the call
       (a noreturn call can be a function's last instruction). A frame a signal interrupted is exact. */
    frames->pc[frames->n++] = exact ? pc : pc - 1;
    return _URC_NO_REASON;
}

static void write_frame(struct out *o, uintptr_t pc, const char *self) {
    Dl_info info;
    struct link_map *map = NULL;
    if (!dladdr1((void *)pc, &info, (void **)&map, RTLD_DL_LINKMAP) || !map) {
        put(o, "0x0 - ?\n");  /* no module: generated code, or a wild jump */
        return;
    }
    if (info.dli_fbase == own_base)
        return;
    put_number(o, pc - map->l_addr, 16);
    put(o, " ");
    put_name(o, info.dli_sname && *info.dli_sname ? info.dli_sname : "-");
    put(o, " ");
    put_name(o, info.dli_fname && info.dli_fname[0] == '/' ? info.dli_fname : map->l_name[0] ? map->l_name : self);
    put(o, "\n");
}

static void write_frames(int sig, const siginfo_t *info) {
    const char *dir = dump_dir();
    if (!dir || strlen(dir) > 3000)
        return;
    char path[3100];
    struct out o = {.fd = -1, .len = 0};
    put_name(&o, dir);
    put(&o, "/");
    put_number(&o, (uintptr_t)getpid(), 10);
    put(&o, ".frames");
    memcpy(path, o.buf, o.len);
    path[o.len] = '\0';
    o.len = 0;
    o.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (o.fd < 0)
        return;
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    put(&o, "faultlab-frames 1\nsignal ");
    put_number(&o, (uintptr_t)sig, 10);
    put(&o, " code ");
    int code = info ? info->si_code : 0;
    if (code < 0)
        put(&o, "-");
    put_number(&o, (uintptr_t)(code < 0 ? -code : code), 10);
    put(&o, "\n");
    static struct frames frames;  /* static: the alternate stack is small */
    frames.n = 0;
    _Unwind_Backtrace(collect, &frames);
    for (int i = 0; i < frames.n; i++)
        write_frame(&o, frames.pc[i], self);
    put(&o, "end\n");
    flush(&o);
    close(o.fd);
}

static void on_fatal_signal(int sig, siginfo_t *info, void *context) {
    (void)context;
    pid_t tid = (pid_t)syscall(SYS_gettid), none = 0;
    if (!__atomic_compare_exchange_n(&writer, &none, tid, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        if (none == tid)
            die(first_signal);  /* this handler itself faulted: end as the first signal would have */
        for (;;)
            pause();  /* another thread crashed first; it ends the process */
    }
    first_signal = sig;
    struct sigaction alarm_action;
    memset(&alarm_action, 0, sizeof alarm_action);
    alarm_action.sa_handler = on_deadline;
    real_sigaction(SIGALRM, &alarm_action, NULL);
    sigset_t alarm_set;
    sigemptyset(&alarm_set);
    sigaddset(&alarm_set, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &alarm_set, NULL);
    alarm(DEADLINE_S);
    write_frames(sig, info);
    die(sig);
}

/* --- standing in for SIG_DFL --------------------------------------------------------- */

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
    if (!resolve_sigaction())
        return -1;
    if (!active || !is_fatal(sig))
        return real_sigaction(sig, act, old);
    if (act && act->sa_handler == SIG_DFL)
        act = &standing_in;
    int rc = real_sigaction(sig, act, old);
    if (rc == 0 && old && old->sa_sigaction == on_fatal_signal) {
        memset(old, 0, sizeof *old);
        old->sa_handler = SIG_DFL;
    }
    return rc;
}

sighandler_t signal(int sig, sighandler_t handler) {
    if (!active || !is_fatal(sig)) {
        sighandler_t (*real_signal)(int, sighandler_t) = (sighandler_t (*)(int, sighandler_t))dlsym(RTLD_NEXT, "signal");
        return real_signal ? real_signal(sig, handler) : SIG_ERR;
    }
    struct sigaction act, old;  /* glibc's signal(): BSD semantics */
    memset(&act, 0, sizeof act);
    act.sa_handler = handler;
    sigemptyset(&act.sa_mask);
    sigaddset(&act.sa_mask, sig);
    act.sa_flags = SA_RESTART;
    return sigaction(sig, &act, &old) == 0 ? old.sa_handler : SIG_ERR;
}

/* --- start-up ------------------------------------------------------------------------ */

static int is_go_note(const char *note, size_t size) {
    /* ELF notes: namesz, descsz, type, name (padded to 4), desc (padded to 4). Go's build id: "Go", type 4. */
    size_t at = 0;
    while (at + 12 <= size) {
        const uint32_t *head = (const uint32_t *)(note + at);
        size_t name = (head[0] + 3) & ~3u, desc = (head[1] + 3) & ~3u;
        if (head[0] == 3 && head[2] == 4 && at + 12 + 3 <= size && memcmp(note + at + 12, "Go", 3) == 0)
            return 1;
        at += 12 + name + desc;
    }
    return 0;
}

static int main_program_is_go(struct dl_phdr_info *info, size_t size, void *found) {
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_NOTE &&
            is_go_note((const char *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr), info->dlpi_phdr[i].p_memsz))
            *(int *)found = 1;
    return 1;  /* the first object is the main program: stop there */
}

/* Runtimes with crash reports of their own, which forward a signal to whatever handler was there first. */
static int runtime_reports_its_own_crashes(void) {
    const char *launchers[] = {"libjli.so", "libjvm.so"};
    for (size_t i = 0; i < sizeof launchers / sizeof *launchers; i++) {
        void *handle = dlopen(launchers[i], RTLD_LAZY | RTLD_NOLOAD);
        if (handle) {
            dlclose(handle);
            return 1;
        }
    }
    int go = 0;
    dl_iterate_phdr(main_program_is_go, &go);
    return go;
}

static _Unwind_Reason_Code count(struct _Unwind_Context *context, void *arg) {
    (void)context;
    ++*(int *)arg;
    return _URC_NO_REASON;
}

__attribute__((constructor)) static void stand_in(void) {
    if (!resolve_sigaction() || !getenv("FAULTLAB_DUMP_DIR") || runtime_reports_its_own_crashes())
        return;
    Dl_info self;
    if (dladdr((void *)stand_in, &self))
        own_base = self.dli_fbase;
    int depth = 0;
    _Unwind_Backtrace(count, &depth);  /* the unwinder's first use may allocate: not in the handler */
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
        /* A stack overflow leaves no stack to handle its SIGSEGV on: the main thread gets another. */
        void *stack = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (stack != MAP_FAILED) {
            stack_t alternate = {.ss_sp = stack, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
            sigaltstack(&alternate, NULL);
        }
    }
    memset(&standing_in, 0, sizeof standing_in);
    standing_in.sa_sigaction = on_fatal_signal;
    standing_in.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&standing_in.sa_mask);
    for (size_t i = 0; i < sizeof FATAL / sizeof *FATAL; i++) {
        struct sigaction current_action;
        if (real_sigaction(FATAL[i], NULL, &current_action) == 0 && current_action.sa_handler == SIG_DFL)
            real_sigaction(FATAL[i], &standing_in, NULL);  /* an inherited SIG_IGN stays */
    }
    active = 1;
}
