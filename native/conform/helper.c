/*
 * helper.c - actors-conform-helper: executes scenario steps on the real kernel.
 *
 * stdin/stdout line protocol (see native/README.md):
 *   config KEY=VALUE   before start; only pid_max
 *   start              -> "ready" | "error MSG" (exit 3)
 *   step TASK CALL ARGS... [-> NEWTASK]   -> exactly one result line
 *   quit | EOF         -> teardown, exit 0
 * Protocol errors print "error MSG" and exit 2.
 *
 * This file parses the lines and turns each call into requests to the
 * task's process (driver.c) plus the driver-side emulation of next_id.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* Flags that would break the helper's own machinery (a vfork parent cannot
 * answer, CLONE_CLEAR_SIGHAND drops the wake-up handler, the others write
 * into task memory or need arguments the language has no syntax for). */
#define UNSUPPORTED_CLONE_FLAGS                                                        \
	(0x00004000ULL /* CLONE_VFORK */ | 0x00080000ULL /* CLONE_SETTLS */ |          \
	 0x00001000ULL /* CLONE_PIDFD */ | 0x00100000ULL /* CLONE_PARENT_SETTID */ |   \
	 0x00200000ULL /* CLONE_CHILD_CLEARTID */ | 0x01000000ULL /* CLONE_CHILD_SETTID */ | \
	 0x00002000ULL /* CLONE_PTRACE */ | 0x00800000ULL /* CLONE_UNTRACED */ |       \
	 0x100000000ULL /* CLONE_CLEAR_SIGHAND */ | 0x200000000ULL /* CLONE_INTO_CGROUP */)

static int started;
static struct ac_req q;		/* big: keep off the stack */
static struct ac_rep rep;

/* ------------------------------------------------------------------------ */
/* output */

static void out_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		kernel_teardown();	/* the caller went away */
		_exit(0);
	}
}

__attribute__((format(printf, 1, 2))) static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	out_flush();
}

__attribute__((noreturn, format(printf, 2, 3))) static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("error ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	kernel_teardown();
	exit(code);
}

#define protocol_error(...) die(2, __VA_ARGS__)

static const char *errname(int e)
{
	static char buf[32];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

static void out_errno(int e) { out("-1 %s", errname(e)); }

/* The step has no kernel equivalent (the model's next_id where Linux's
 * successors behave differently); the caller counts it as neither same nor
 * different.  The helper's state is left as the model's would be. */
static void out_model_only(void) { out("model-only"); }

static void out_quoted(const char *s, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
	putchar('\n');
	out_flush();
}

/* ------------------------------------------------------------------------ */
/* tokens */

struct tok {
	char *s;
	int quoted;
};
#define MAX_TOK 128
static struct tok toks[MAX_TOK];
static int ntok;

static void tokenize(char *line)
{
	char *r = line, *w;

	ntok = 0;
	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r || *r == '#')
			return;
		if (ntok == MAX_TOK)
			protocol_error("too many tokens");
		toks[ntok].quoted = (*r == '"');
		if (*r == '"') {
			w = ++r;
			toks[ntok].s = w;
			for (;;) {
				if (!*r)
					protocol_error("unterminated string");
				if (*r == '"') {
					r++;
					break;
				}
				if (*r == '\\') {
					r++;
					if (*r == '"' || *r == '\\')
						*w++ = *r++;
					else if (*r == 'n')
						*w++ = '\n', r++;
					else if (*r == 't')
						*w++ = '\t', r++;
					else
						protocol_error("bad escape \\%c in string", *r ? *r : ' ');
					continue;
				}
				*w++ = *r++;
			}
			if (*r && *r != ' ' && *r != '\t')
				protocol_error("garbage after closing quote");
			if (*r)
				r++;
			*w = 0;
		} else {
			toks[ntok].s = r;
			while (*r && *r != ' ' && *r != '\t')
				r++;
			if (*r)
				*r++ = 0;
		}
		ntok++;
	}
}

/* ------------------------------------------------------------------------ */
/* names and arguments */

static struct task *find_task(const char *name)
{
	int i;

	for (i = task_count() - 1; i >= 0; i--)
		if (strcmp(task_at(i)->name, name) == 0)
			return task_at(i);
	return NULL;
}

static struct task *lookup(const char *name)
{
	struct task *t = name[0] ? find_task(name) : NULL;

	if (!t)
		protocol_error("unknown task %s", name);
	return t;
}

static void bind_name(struct task *t, const char *name)
{
	struct task *old;

	while ((old = find_task(name)) != NULL)
		old->name[0] = 0;	/* the name moves; the old task stays known */
	snprintf(t->name, sizeof t->name, "%s", name);
}

static int parse_ll(const char *s, long long *v, int base)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*v = strtoll(s, &end, base);
	return (*end || errno) ? -1 : 0;
}

/* A number: decimal (possibly negative) or $NAME as the caller sees it. */
static long long arg_int(struct task *caller, const struct tok *tk)
{
	long long v;

	if (!tk->quoted && tk->s[0] == '$')
		return task_view(caller, lookup(tk->s + 1));
	if (tk->quoted || parse_ll(tk->s, &v, 10) != 0)
		protocol_error("expected an integer, got '%s'", tk->s);
	return v;
}

struct named {
	const char *name;
	unsigned long long v;
};

static const struct named flag_names[] = {
	{ "CLONE_NEWPID", CLONE_NEWPID },   { "CLONE_NEWIPC", CLONE_NEWIPC },
	{ "CLONE_NEWNS", CLONE_NEWNS },     { "CLONE_NEWUTS", CLONE_NEWUTS },
	{ "CLONE_NEWNET", CLONE_NEWNET },   { "CLONE_NEWUSER", CLONE_NEWUSER },
	{ "CLONE_NEWCGROUP", CLONE_NEWCGROUP },
	{ "CLONE_PARENT", CLONE_PARENT },   { "CLONE_THREAD", CLONE_THREAD },
	{ "CLONE_SIGHAND", CLONE_SIGHAND }, { "CLONE_VM", CLONE_VM },
	{ "CLONE_FS", CLONE_FS },           { "CLONE_FILES", CLONE_FILES },
	{ "CLONE_SYSVSEM", CLONE_SYSVSEM },
	{ "IPC_CREAT", IPC_CREAT },         { "IPC_EXCL", IPC_EXCL },
	{ "IPC_NOWAIT", IPC_NOWAIT },
	{ "WNOHANG", WNOHANG },             { "WUNTRACED", WUNTRACED },
	{ "WCONTINUED", WCONTINUED },       { "__WALL", __WALL },
	{ "__WCLONE", __WCLONE },           { "__WNOTHREAD", __WNOTHREAD },
	{ NULL, 0 }
};

/* NAME|NAME|0600: names, octal (leading 0), hex (0x) or decimal numbers. */
static unsigned long long arg_flags(const struct tok *tk)
{
	unsigned long long v = 0;
	char buf[512], *save = NULL, *part;

	if (tk->quoted || strlen(tk->s) >= sizeof buf)
		protocol_error("expected flags, got '%s'", tk->s);
	strcpy(buf, tk->s);
	for (part = strtok_r(buf, "|", &save); part; part = strtok_r(NULL, "|", &save)) {
		const struct named *n;
		long long x;

		for (n = flag_names; n->name; n++)
			if (strcmp(n->name, part) == 0)
				break;
		if (n->name)
			v |= n->v;
		else if (parse_ll(part, &x, 0) == 0 && x >= 0)
			v |= (unsigned long long)x;
		else
			protocol_error("unknown flag '%s'", part);
	}
	if (tk->s[0] == 0 || tk->s[0] == '|' || tk->s[strlen(tk->s) - 1] == '|' || strstr(tk->s, "||"))
		protocol_error("bad flag set '%s'", tk->s);
	return v;
}

static const struct named sig_names[] = {
	{ "SIGKILL", SIGKILL }, { "SIGTERM", SIGTERM }, { "SIGINT", SIGINT },
	{ "SIGHUP", SIGHUP },   { "SIGUSR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 },
	{ "SIGQUIT", SIGQUIT }, { "SIGCHLD", SIGCHLD }, { "SIGSTOP", SIGSTOP },
	{ "SIGCONT", SIGCONT }, { "SIGALRM", SIGALRM }, { "SIGPIPE", SIGPIPE },
	{ NULL, 0 }
};

static int arg_signal(struct task *caller, const struct tok *tk)
{
	const struct named *n;

	for (n = sig_names; n->name; n++)
		if (!tk->quoted && strcmp(n->name, tk->s) == 0)
			return (int)n->v;
	return (int)arg_int(caller, tk);
}

/* Text of a path argument with every $NAME replaced by its pid as the
 * caller sees it (meaningful for tasks of the root namespace). */
static void arg_path(struct task *caller, const struct tok *tk, char *out_buf, size_t len)
{
	const char *s = tk->s;
	size_t o = 0;

	while (*s) {
		if (*s == '$' && !tk->quoted) {
			char name[128];
			size_t n = 0;

			s++;
			while ((*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
				(*s >= '0' && *s <= '9')) && n < sizeof name - 1)
				name[n++] = *s++;
			name[n] = 0;
			o += snprintf(out_buf + o, o < len ? len - o : 0, "%ld",
				      task_view(caller, lookup(name)));
		} else {
			if (o + 1 < len)
				out_buf[o] = *s;
			o++;
			s++;
		}
		if (o >= len)
			protocol_error("path too long");
	}
	out_buf[o] = 0;
}

/* Cgroup paths.  /sys/fs/cgroup/pids and /sys/fs/cgroup/unified (exactly, or
 * followed by '/') map to the run's scratch cgroups; any other path under
 * /sys/fs/cgroup is model-only (actors conform never sends one), and so is a
 * ".." component that would leave the scratch tree: both are refused loudly.
 * Returns 1 when path is a cgroup path (rewritten in place), 0 otherwise. */
static int map_cgroup_path(char *path, size_t len)
{
	static const char base[] = "/sys/fs/cgroup";
	char rest[AC_PATH_MAX + 1];
	const char *p;
	int h;

	if (strncmp(path, base, sizeof base - 1) != 0 ||
	    (path[sizeof base - 1] != 0 && path[sizeof base - 1] != '/')) {
		if (strstr(path, base))
			protocol_error("path %s reaches the host's cgroups other than through /sys/fs/cgroup/pids or "
				       "/sys/fs/cgroup/unified", path);
		return 0;
	}
	for (h = 0; h < AC_CG_N; h++) {
		size_t ml = strlen(ac_cg_mounts[h]);

		if (strncmp(path, ac_cg_mounts[h], ml) == 0 && (path[ml] == 0 || path[ml] == '/'))
			break;
	}
	if (h == AC_CG_N)
		protocol_error("path %s: only /sys/fs/cgroup/pids and /sys/fs/cgroup/unified run on Linux "
			       "(the other hierarchies are model-only)", path);
	p = path + strlen(ac_cg_mounts[h]);
	for (const char *c = p; (c = strstr(c, "/..")) != NULL; c += 3)
		if (c[3] == 0 || c[3] == '/')
			protocol_error("path %s: '..' in a cgroup path", path);
	snprintf(rest, sizeof rest, "%s", p);
	if ((size_t)snprintf(path, len, "%s%s", cgroup_scratch(h), rest) >= len)
		protocol_error("path too long");
	return 1;
}

/* Value of a write: the string, or the number's text. */
static void arg_value(struct task *caller, const struct tok *tk, char *out_buf, size_t len)
{
	if (!tk->quoted && tk->s[0] == '$')
		snprintf(out_buf, len, "%lld", arg_int(caller, tk));
	else
		snprintf(out_buf, len, "%s", tk->s);
}

static void need_args(const char *call, int nargs, int min, int max)
{
	if (nargs < min || nargs > max)
		protocol_error("%s takes %d..%d arguments, got %d", call, min, max, nargs);
}

/* ------------------------------------------------------------------------ */
/* talking to the task */

/* Report a finished request: number, -1 ERRNO, (dead), blocks forever. */
static void report(struct task *t, int st)
{
	if (st == CS_DEAD)
		out("(dead)");
	else if (st == CS_TIMEOUT) {
		out("blocks forever");
		task_interrupt(t);
	} else if (rep.err < 0)
		die(3, "helper failure in task %s: %s", t->name, strerror(rep.err + 1000));
	else if (rep.err)
		out_errno(rep.err);
	else
		out("%lld", (long long)rep.ret);
}

static int sys_req(struct task *t, long nr, long a0, long a1, long a2, long a3, int timeout_ms)
{
	req_init(&q, AC_OP_SYSCALL);
	q.nr = nr;
	q.a[0] = a0;
	q.a[1] = a1;
	q.a[2] = a2;
	q.a[3] = a3;
	return task_call(t, &q, &rep, NULL, timeout_ms);
}

static void simple_call(struct task *t, long nr, long a0, long a1, long a2, long a3)
{
	report(t, sys_req(t, nr, a0, a1, a2, a3, g_conf.step_ms));
}

/* A system call on a path: a[path_arg] points to the path in the task. */
static int path_req(struct task *t, long nr, const char *path, int path_arg, long a0, long a1, long a2)
{
	req_init(&q, AC_OP_SYSCALL);
	req_set_path(&q, path, NULL, 0);
	q.nr = nr;
	q.a[0] = a0;
	q.a[1] = a1;
	q.a[2] = a2;
	q.path_mask = 1u << path_arg;
	return task_call(t, &q, &rep, NULL, g_conf.step_ms);
}

static int file_req(struct task *t, uint32_t op, const char *path, const char *data)
{
	req_init(&q, op);
	req_set_path(&q, path, data, data ? strlen(data) : 0);
	return task_call(t, &q, &rep, NULL, g_conf.step_ms);
}

/* ------------------------------------------------------------------------ */
/* next_id emulation (the 2008 series): per task slot kept here */

static int parse_next_id(const char *s, int64_t *ids, int *n_out)
{
	long long n = 1;
	int i;

	if (strncmp(s, "LONG", 4) != 0)
		return -1;
	s += 4;
	if (*s >= '0' && *s <= '9') {
		char *end;

		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno || n < 1 || n > AC_MAX_LEVELS)
			return -1;
		s = end;
	}
	for (i = 0; i < n; i++) {
		unsigned long long v = 0;

		if (*s != ' ' && *s != '\t')
			return -1;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return -1;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned long long)(*s++ - '0');
			if (v > (unsigned long long)INT64_MAX)
				return -1;
		}
		ids[i] = (int64_t)v;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\n')
		s++;
	if (*s)
		return -1;	/* more ids than announced, or junk */
	*n_out = (int)n;
	return 0;
}

static void next_id_text(const struct task *t, char *buf, size_t len)
{
	size_t o;
	int i;

	buf[0] = 0;
	if (t->nid_n == 0)
		return;
	if (t->nid_n == 1)
		o = snprintf(buf, len, "LONG");
	else
		o = snprintf(buf, len, "LONG%d", t->nid_n);
	for (i = 0; i < t->nid_n && o < len; i++)
		o += snprintf(buf + o, len - o, " %lld", (long long)t->nid[i]);
}

/* Is PATH a next_id file?  Returns 1 and sets *target (NULL: no such task). */
static int next_id_path(struct task *caller, const char *path, struct task **target)
{
	long long pid = -1, tid = -1;
	int n = -1, i;

	*target = NULL;
	if (strcmp(path, "/proc/thread-self/next_id") == 0) {
		*target = caller;
		return 1;
	}
	if (sscanf(path, "/proc/self/task/%lld/next_id%n", &tid, &n) == 1 && n == (int)strlen(path))
		pid = caller->group->nr[0];
	else if (n = -1, sscanf(path, "/proc/%lld/task/%lld/next_id%n", &pid, &tid, &n) == 2 &&
		 n == (int)strlen(path))
		;
	else
		return 0;
	for (i = task_count() - 1; i >= 0; i--) {
		struct task *t = task_at(i);

		if (t->pidfd >= 0 && t->nr[0] == tid && t->group->nr[0] == pid && !task_reaped(t)) {
			*target = t;
			break;
		}
	}
	return 1;
}

/* ------------------------------------------------------------------------ */
/* calls */

/* With pending next_id: did this failed clone stop before id allocation
 * (slot kept) or in/after it (slot consumed)?  Decided from the errno and
 * the flag checks copy_process() makes before alloc_pid(). */
static int clone_failed_before_alloc(const struct task *t, unsigned long long f, int err)
{
	int ns_init = t->group->nr[t->group->level] == 1;

	if (err == EPERM || err == ENOSPC || err == EFAULT || err == E2BIG)
		return 1;
	if (err != EINVAL)
		return 0;
	return ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND)) ||
	       ((f & CLONE_SIGHAND) && !(f & CLONE_VM)) ||
	       ((f & CLONE_NEWNS) && (f & CLONE_FS)) ||
	       ((f & CLONE_NEWUSER) && (f & CLONE_FS)) ||
	       ((f & CLONE_THREAD) && (f & (CLONE_NEWPID | CLONE_NEWUSER))) ||
	       ((f & CLONE_PARENT) && ns_init) ||
	       ((f & (CLONE_NEWPID | CLONE_THREAD)) && t->pfc_level != t->level);
}

static void call_clone(struct task *t, unsigned long long flags, int have_set_tid,
		       const long long *set_tid, int n_set_tid, const char *newname)
{
	struct task *child;
	char err[256];
	int st, fd, i, from_next_id = 0;

	req_init(&q, AC_OP_CLONE);
	q.a[0] = (int64_t)flags;
	if (t->nid_n > 0) {
		if (have_set_tid) {
			out_errno(EINVAL);	/* both set_tid and a pending next_id */
			return;
		}
		for (i = 0; i < t->nid_n; i++)
			if (t->nid[i] > INT_MAX) {
				t->nid_n = 0;
				out_errno(EINVAL);
				return;
			}
		have_set_tid = 1;
		from_next_id = 1;
		n_set_tid = t->nid_n;
		for (i = 0; i < n_set_tid; i++)
			q.set_tid[i] = (int32_t)t->nid[i];
	} else {
		for (i = 0; i < n_set_tid && i < AC_MAX_LEVELS; i++)
			q.set_tid[i] = (int32_t)set_tid[i];
	}
	q.a[1] = have_set_tid;
	q.set_tid_size = (uint32_t)n_set_tid;

	/* alloc_pid(): set_tid_size > ns->level + 1 -> EINVAL.  The kernel counts
	 * levels from the host's namespace, which the scenario cannot see: one
	 * entry more than the scenario's levels would address the host's pid
	 * numbers.  Refuse it here with the errno the scenario's kernel gives.
	 * (Flag errors, all EINVAL too, would come first; same errno.) */
	if (have_set_tid && t->pfc_level >= 0 && n_set_tid <= 32 &&
	    n_set_tid > t->pfc_level + ((flags & CLONE_NEWPID) ? 1 : 0) + 1) {
		if (from_next_id)
			t->nid_n = 0;
		out_errno(EINVAL);
		return;
	}

	st = task_call(t, &q, &rep, &fd, g_conf.step_ms);
	if (st != CS_OK || rep.err != 0) {
		if (st == CS_OK && rep.err > 0 && from_next_id &&
		    !clone_failed_before_alloc(t, flags, rep.err))
			t->nid_n = 0;
		if (fd >= 0)
			close(fd);
		report(t, st);
		return;
	}
	if (from_next_id)
		t->nid_n = 0;
	if (fd < 0)
		die(3, "clone by %s returned %lld but no socket for the child", t->name, (long long)rep.ret);
	child = task_from_hello(fd, t, (flags & CLONE_THREAD) != 0, err, sizeof err);
	if (!child)
		die(3, "child %lld of %s: %s", (long long)rep.ret, t->name, err);
	if (newname)
		bind_name(child, newname);
	out("%lld", (long long)rep.ret);
}

static void call_exit(struct task *t, long nr, long code)
{
	int st;

	req_init(&q, AC_OP_SYSCALL_NOREPLY);
	q.nr = nr;
	q.a[0] = code;
	st = task_call(t, &q, &rep, NULL, g_conf.step_ms);
	if (st == CS_DEAD) {
		out("(dead)");
		return;
	}
	task_wait_exit(t, g_conf.step_ms);
	out("0");
}

static void field_of(const char *text, size_t len, const char *field, char *val, size_t *vlen)
{
	size_t fl = strlen(field), i = 0, o = 0;

	*vlen = 0;
	while (i < len) {
		size_t eol = i;

		while (eol < len && text[eol] != '\n')
			eol++;
		if (eol - i > fl && memcmp(text + i, field, fl) == 0 && text[i + fl] == ':') {
			size_t j = i + fl + 1;

			while (j < eol && (text[j] == ' ' || text[j] == '\t'))
				j++;
			for (; j < eol; j++)
				val[o++] = text[j] == '\t' ? ' ' : text[j];
			*vlen = o;
			return;
		}
		i = eol + 1;
	}
}

static void print_read(const char *text, size_t len, const char *field)
{
	static char val[AC_DATA_MAX];
	size_t vlen;

	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (!field) {
		out_quoted(text, len);
		return;
	}
	field_of(text, len, field, val, &vlen);
	out_quoted(val, vlen);
}

static void call_read(struct task *t, const char *path, const char *field)
{
	struct task *target;
	int st;

	if (next_id_path(t, path, &target)) {
		char buf[AC_MAX_LEVELS * 24 + 16];

		if (!target) {
			out_errno(ENOENT);
			return;
		}
		if (target != t) {
			out_model_only();	/* another task's slot: nothing like it in Linux */
			return;
		}
		next_id_text(target, buf, sizeof buf);
		print_read(buf, strlen(buf), field);
		return;
	}
	st = file_req(t, AC_OP_READ, path, NULL);
	if (st != CS_OK || rep.err != 0) {
		report(t, st);
		return;
	}
	print_read(rep.data, rep.len, field);
}

static void call_write(struct task *t, const char *path, const char *value)
{
	struct task *target;
	int64_t ids[AC_MAX_LEVELS];
	int n;

	if (next_id_path(t, path, &target)) {
		if (target != t)
			out_model_only();	/* another task's slot, or no task: the model says EPERM */
		else if (parse_next_id(value, ids, &n) != 0)
			out_errno(EINVAL);	/* slot unchanged */
		else {
			memcpy(t->nid, ids, n * sizeof ids[0]);
			t->nid_n = n;
			out("0");
		}
		return;
	}
	report(t, file_req(t, AC_OP_WRITE, path, value));
}

enum ipc_type { IPC_MSG, IPC_SEM, IPC_SHM };
static const char *const ipc_sysctl[] = { "/proc/sys/kernel/msg_next_id", "/proc/sys/kernel/sem_next_id",
					  "/proc/sys/kernel/shm_next_id" };

static int ipc_get_req(struct task *t, enum ipc_type type, long key, long a1, long a2)
{
	switch (type) {
	case IPC_MSG:
		return sys_req(t, SYS_msgget, key, a1, 0, 0, g_conf.step_ms);
	case IPC_SEM:
		return sys_req(t, SYS_semget, key, a1, a2, 0, g_conf.step_ms);
	default:
		return sys_req(t, SYS_shmget, key, a1, a2, 0, g_conf.step_ms);
	}
}

static int ipc_rmid_req(struct task *t, enum ipc_type type, long id)
{
	switch (type) {
	case IPC_MSG:
		return sys_req(t, SYS_msgctl, id, IPC_RMID, 0, 0, g_conf.step_ms);
	case IPC_SEM:
		return sys_req(t, SYS_semctl, id, 0, IPC_RMID, 0, g_conf.step_ms);
	default:
		return sys_req(t, SYS_shmctl, id, IPC_RMID, 0, 0, g_conf.step_ms);
	}
}

/* Read a *_next_id sysctl in the task's IPC namespace: 0 ok, else status. */
static int read_sysctl(struct task *t, enum ipc_type type, long long *v)
{
	int st = file_req(t, AC_OP_READ, ipc_sysctl[type], NULL);

	if (st == CS_OK && rep.err == 0) {
		rep.data[rep.len < AC_DATA_MAX ? rep.len : AC_DATA_MAX - 1] = 0;
		*v = strtoll(rep.data, NULL, 10);
	}
	return st;
}

/*
 * msgget/semget/shmget.  With a pending next_id X0 the creation must get
 * exactly id X0 or fail EEXIST (the model), while Linux's *_next_id takes the
 * lowest free index >= X0's.  Emulation, all inside the task's IPC ns:
 *   V = read sysctl; write X0; call; A = read sysctl;
 *   A != X0 (consumed: the call reached ipc_addid): slot cleared; a created
 *     id != X0 is removed again and the call reports EEXIST;
 *   A == X0 (the call failed or found an existing key first): slot kept,
 *     X0 disarmed by a throw-away IPC_PRIVATE object (removed at once);
 *   V != -1 (the scenario had armed the sysctl itself): V is re-armed.
 */
static void call_ipc_get(struct task *t, enum ipc_type type, long key, long a1, long a2)
{
	long long x0, v = -1, after = -1;
	long long ret;
	int err, st, consumed, busy = 0;
	char num[32];

	if (t->nid_n == 0) {
		report(t, ipc_get_req(t, type, key, a1, a2));
		return;
	}
	x0 = t->nid[0];
	if (x0 > INT_MAX) {
		t->nid_n = 0;
		out_errno(EINVAL);
		return;
	}
#define SUB(call)                                                      \
	do {                                                           \
		st = (call);                                           \
		if (st != CS_OK) {                                     \
			report(t, st);                                 \
			return;                                        \
		}                                                      \
	} while (0)
	SUB(read_sysctl(t, type, &v));
	if (rep.err) {
		t->nid_n = 0;
		out_errno(rep.err);
		return;
	}
	snprintf(num, sizeof num, "%lld", x0);
	SUB(file_req(t, AC_OP_WRITE, ipc_sysctl[type], num));
	if (rep.err) {
		t->nid_n = 0;
		out_errno(rep.err);
		return;
	}
	SUB(ipc_get_req(t, type, key, a1, a2));
	ret = rep.ret;
	err = rep.err;
	SUB(read_sysctl(t, type, &after));
	consumed = !(rep.err == 0 && after == x0);
	if (consumed) {
		t->nid_n = 0;
		if (err == 0 && ret != x0) {
			/* X0's index was busy: *_next_id took a higher one, the
			 * model fails EEXIST.  Remove it: the state is the model's. */
			SUB(ipc_rmid_req(t, type, (long)ret));
			busy = 1;
		}
	} else if (v == -1) {
		long id;

		SUB(ipc_get_req(t, type, IPC_PRIVATE, type == IPC_MSG ? 0600 : 1, 0600));
		id = (long)rep.ret;
		if (rep.err == 0)
			SUB(ipc_rmid_req(t, type, id));
		else
			fprintf(stderr, "actors-conform-helper: warning: %s stays armed with %lld\n",
				ipc_sysctl[type], x0);
	}
	if (v != -1) {
		snprintf(num, sizeof num, "%lld", v);
		SUB(file_req(t, AC_OP_WRITE, ipc_sysctl[type], num));
	}
#undef SUB
	if (busy)
		out_model_only();
	else if (err)
		out_errno(err);
	else
		out("%lld", ret);
}

static long arg_ipc_key(struct task *t, const struct tok *tk)
{
	if (!tk->quoted && strcmp(tk->s, "IPC_PRIVATE") == 0)
		return IPC_PRIVATE;
	return (long)arg_int(t, tk);
}

static void arg_rmid(const struct tok *tk)
{
	if (tk->quoted || strcmp(tk->s, "IPC_RMID") != 0)
		protocol_error("expected IPC_RMID, got '%s'", tk->s);
}

/* The scenario language: CLONE_NEWIPC alone opens ns/ipc, anything else
 * ns/pid (so another type, or several, is the kernel's EINVAL). */
static const char *ns_file(unsigned long long flags)
{
	return flags == CLONE_NEWIPC ? "ipc" : "pid";
}

static void call_setns(struct task *t, const struct tok *who, unsigned long long flags)
{
	struct task *target = NULL;
	long long rootnr;
	char path[96];
	int st, i;

	if (!who->quoted && who->s[0] == '$') {
		target = lookup(who->s + 1);
		rootnr = target->nr[0];
	} else {
		rootnr = arg_int(t, who);
		for (i = task_count() - 1; i >= 0 && !target; i--)
			if (task_at(i)->pidfd >= 0 && task_at(i)->nr[0] == rootnr && !task_reaped(task_at(i)))
				target = task_at(i);
	}
	snprintf(path, sizeof path, "/proc/%lld/ns/%s", rootnr, ns_file(flags));
	req_init(&q, AC_OP_SETNS);
	req_set_path(&q, path, NULL, 0);
	q.a[0] = (int64_t)flags;
	st = task_call(t, &q, &rep, NULL, g_conf.step_ms);
	if (st == CS_OK && rep.err == 0 && strcmp(ns_file(flags), "pid") == 0)
		t->pfc_level = target ? target->level : -1;
	report(t, st);
}

static void cmd_step(void)
{
	struct task *t;
	const char *call, *newname = NULL;
	struct tok *a;
	int n;

	if (!started)
		protocol_error("step before start");
	if (ntok < 3)
		protocol_error("step needs TASK CALL");
	n = ntok - 3;
	if (n >= 2 && !toks[ntok - 2].quoted && strcmp(toks[ntok - 2].s, "->") == 0) {
		newname = toks[ntok - 1].s;
		if (toks[ntok - 1].quoted || !newname[0] || newname[0] == '$' || strlen(newname) >= 128)
			protocol_error("bad task name '%s'", newname);
		n -= 2;
	}
	for (int i = 3; i < 3 + n; i++)
		if (!toks[i].quoted && strcmp(toks[i].s, "->") == 0)
			protocol_error("'->' must end the step");
	t = lookup(toks[1].s);
	call = toks[2].s;
	a = &toks[3];
	if (newname && strcmp(call, "fork") != 0 && strcmp(call, "clone") != 0)
		protocol_error("'-> %s' after %s (only fork and clone create tasks)", newname, call);

	if (strcmp(call, "fork") == 0) {
		need_args(call, n, 0, 0);
		if (task_gone(t))
			out("(dead)");
		else
			call_clone(t, 0, 0, NULL, 0, newname);
	} else if (strcmp(call, "clone") == 0) {
		long long set_tid[64];
		int nst = 0, have = 0, i;
		unsigned long long flags;

		need_args(call, n, 1, 2);
		flags = arg_flags(&a[0]);
		if (n == 2) {
			char *s = a[1].s, *end;

			if (a[1].quoted || strncmp(s, "set_tid=", 8) != 0)
				protocol_error("unknown clone option '%s'", s);
			have = 1;
			s += 8;
			while (*s) {
				if (nst == 64)
					protocol_error("too many set_tid entries");
				errno = 0;
				set_tid[nst++] = strtoll(s, &end, 10);
				if (end == s || errno || (*end && *end != ','))
					protocol_error("bad set_tid list '%s'", a[1].s);
				s = *end ? end + 1 : end;
				if (*end && !*s)
					protocol_error("bad set_tid list '%s'", a[1].s);
			}
			for (i = 0; i < nst; i++)
				if (set_tid[i] < INT_MIN || set_tid[i] > INT_MAX)
					protocol_error("set_tid entry out of range");
		}
		if (flags & UNSUPPORTED_CLONE_FLAGS)
			protocol_error("clone flags 0x%llx not supported by the helper",
				       flags & UNSUPPORTED_CLONE_FLAGS);
		if (task_gone(t))
			out("(dead)");
		else
			call_clone(t, flags, have, set_tid, nst, newname);
	} else if (strcmp(call, "unshare") == 0) {
		unsigned long long flags;
		int st;

		need_args(call, n, 1, 1);
		flags = arg_flags(&a[0]);
		st = sys_req(t, SYS_unshare, (long)flags, 0, 0, 0, g_conf.step_ms);
		if (st == CS_OK && rep.err == 0 && (flags & CLONE_NEWPID))
			t->pfc_level = t->level + 1;
		report(t, st);
	} else if (strcmp(call, "setns") == 0) {
		need_args(call, n, 2, 2);
		call_setns(t, &a[0], arg_flags(&a[1]));
	} else if (strcmp(call, "exit") == 0 || strcmp(call, "exit_group") == 0) {
		need_args(call, n, 1, 1);
		call_exit(t, strcmp(call, "exit") == 0 ? SYS_exit : SYS_exit_group, (long)arg_int(t, &a[0]));
	} else if (strcmp(call, "wait") == 0) {
		long long pid = -1;
		unsigned long long opts = 0;

		need_args(call, n, 0, 2);
		if (n == 1 && !a[0].quoted && (a[0].s[0] < '0' || a[0].s[0] > '9') &&
		    a[0].s[0] != '-' && a[0].s[0] != '$')
			opts = arg_flags(&a[0]);	/* "wait WNOHANG": pid -1 */
		else if (n >= 1)
			pid = arg_int(t, &a[0]);
		if (n == 2)
			opts = arg_flags(&a[1]);
		report(t, sys_req(t, SYS_wait4, (long)pid, 0, (long)opts, 0,
				  (opts & WNOHANG) ? g_conf.step_ms : g_conf.wait_ms));
	} else if (strcmp(call, "kill") == 0) {
		need_args(call, n, 2, 2);
		simple_call(t, SYS_kill, (long)arg_int(t, &a[0]), arg_signal(t, &a[1]), 0, 0);
	} else if (strcmp(call, "getpid") == 0) {
		need_args(call, n, 0, 0);
		simple_call(t, SYS_getpid, 0, 0, 0, 0);
	} else if (strcmp(call, "getppid") == 0) {
		need_args(call, n, 0, 0);
		simple_call(t, SYS_getppid, 0, 0, 0, 0);
	} else if (strcmp(call, "gettid") == 0) {
		need_args(call, n, 0, 0);
		simple_call(t, SYS_gettid, 0, 0, 0, 0);
	} else if (strcmp(call, "prctl") == 0) {
		need_args(call, n, 2, 2);
		if (a[0].quoted || strcmp(a[0].s, "PR_SET_CHILD_SUBREAPER") != 0)
			protocol_error("prctl supports PR_SET_CHILD_SUBREAPER only");
		simple_call(t, SYS_prctl, PR_SET_CHILD_SUBREAPER, (long)arg_int(t, &a[1]), 0, 0);
	} else if (strcmp(call, "mkdir") == 0 || strcmp(call, "rmdir") == 0) {
		char path[AC_PATH_MAX + 1];

		need_args(call, n, 1, 1);
		arg_path(t, &a[0], path, sizeof path);
		if (!map_cgroup_path(path, sizeof path))
			protocol_error("%s %s: the path must lie under /sys/fs/cgroup", call, path);
		if (task_gone(t))
			out("(dead)");
		else if (call[0] == 'm')
			report(t, path_req(t, SYS_mkdirat, path, 1, AT_FDCWD, 0, 0755));
		else
			report(t, path_req(t, SYS_unlinkat, path, 1, AT_FDCWD, 0, AT_REMOVEDIR));
	} else if (strcmp(call, "read") == 0) {
		char path[AC_PATH_MAX + 1];

		need_args(call, n, 1, 2);
		arg_path(t, &a[0], path, sizeof path);
		map_cgroup_path(path, sizeof path);
		if (task_gone(t))
			out("(dead)");
		else
			call_read(t, path, n == 2 ? a[1].s : NULL);
	} else if (strcmp(call, "write") == 0) {
		static char value[AC_DATA_MAX + 1];
		char path[AC_PATH_MAX + 1];

		need_args(call, n, 2, 2);
		arg_path(t, &a[0], path, sizeof path);
		map_cgroup_path(path, sizeof path);
		arg_value(t, &a[1], value, sizeof value);
		if (task_gone(t))
			out("(dead)");
		else
			call_write(t, path, value);
	} else if (strcmp(call, "msgget") == 0 || strcmp(call, "semget") == 0 || strcmp(call, "shmget") == 0) {
		enum ipc_type type = call[0] == 'm' ? IPC_MSG : call[1] == 'e' ? IPC_SEM : IPC_SHM;
		long key, a1, a2 = 0;

		need_args(call, n, type == IPC_MSG ? 2 : 3, type == IPC_MSG ? 2 : 3);
		key = arg_ipc_key(t, &a[0]);
		if (type == IPC_MSG)
			a1 = (long)arg_flags(&a[1]);
		else {
			a1 = (long)arg_int(t, &a[1]);
			a2 = (long)arg_flags(&a[2]);
		}
		if (task_gone(t))
			out("(dead)");
		else
			call_ipc_get(t, type, key, a1, a2);
	} else if (strcmp(call, "msgctl") == 0 || strcmp(call, "semctl") == 0 || strcmp(call, "shmctl") == 0) {
		enum ipc_type type = call[0] == 'm' ? IPC_MSG : call[1] == 'e' ? IPC_SEM : IPC_SHM;
		long id;

		need_args(call, n, 2, 2);
		id = (long)arg_int(t, &a[0]);
		arg_rmid(&a[1]);
		report(t, ipc_rmid_req(t, type, id));
	} else {
		protocol_error("unknown call %s", call);
	}
	settle();
}

/* pidof CALLER NAME: $NAME as CALLER sees it (the pid NAME has, or had once
 * reaped; 0 when not visible in CALLER's active pid namespace). */
static void cmd_pidof(void)
{
	if (!started)
		protocol_error("pidof before start");
	if (ntok != 3 || toks[1].quoted || toks[2].quoted)
		protocol_error("pidof needs CALLER NAME");
	out("%ld", task_view(lookup(toks[1].s), lookup(toks[2].s)));
}

static void cmd_config(void)
{
	char *eq;
	long long v;

	if (started)
		protocol_error("config after start");
	if (ntok != 2 || toks[1].quoted || !(eq = strchr(toks[1].s, '=')))
		protocol_error("config needs KEY=VALUE");
	*eq = 0;
	if (strcmp(toks[1].s, "pid_max") == 0) {
		if (parse_ll(eq + 1, &v, 10) != 0 || v < 1 || v > INT_MAX)
			protocol_error("bad pid_max '%s'", eq + 1);
		g_conf.pid_max = (long)v;
	} else if (strcmp(toks[1].s, "msgmni") == 0) {
		if (parse_ll(eq + 1, &v, 10) != 0 || v < 0 || v > INT_MAX)
			protocol_error("bad msgmni '%s'", eq + 1);
		g_conf.msgmni = (long)v;
	} else
		die(2, "unknown config key %s", toks[1].s);
}

static int env_ms(const char *name, int def)
{
	const char *s = getenv(name);
	long long v;

	if (!s || !*s)
		return def;
	if (parse_ll(s, &v, 10) != 0 || v < 1 || v > 3600000) {
		fprintf(stderr, "actors-conform-helper: ignoring bad %s=%s\n", name, s);
		return def;
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (argc > 1) {
		fprintf(stderr, "usage: %s < steps  (protocol: see native/README.md)\n", argv[0]);
		return 2;
	}
	g_conf.wait_ms = env_ms("ACTORS_CONFORM_WAIT_MS", g_conf.wait_ms);
	g_conf.step_ms = env_ms("ACTORS_CONFORM_STEP_MS", g_conf.step_ms);
	g_conf.settle_ms = env_ms("ACTORS_CONFORM_SETTLE_MS", g_conf.settle_ms);
	kernel_install_signal_handlers();

	while ((len = getline(&line, &cap, stdin)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		tokenize(line);
		if (ntok == 0)
			continue;
		if (toks[0].quoted)
			protocol_error("bad command");
		if (strcmp(toks[0].s, "config") == 0)
			cmd_config();
		else if (strcmp(toks[0].s, "start") == 0) {
			char err[512];

			if (started || ntok != 1)
				protocol_error("bad start");
			if (kernel_start(err, sizeof err) != 0)
				die(3, "%s", err);
			started = 1;
			out("ready");
		} else if (strcmp(toks[0].s, "step") == 0)
			cmd_step();
		else if (strcmp(toks[0].s, "pidof") == 0)
			cmd_pidof();
		else if (strcmp(toks[0].s, "quit") == 0 && ntok == 1)
			break;
		else
			protocol_error("unknown command %s", toks[0].s);
	}
	free(line);
	kernel_teardown();
	return 0;
}
