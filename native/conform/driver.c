/*
 * driver.c - the driver's view of the real kernel: it builds the fresh kernel
 * (init in new pid + IPC + mount namespaces), keeps one record per scenario
 * task, sends requests to tasks, notices deaths, waits for quiescence, and
 * tears everything down.
 *
 * The driver stays in the caller's namespaces.  It learns about a task from the
 * PIDFD_THREAD pidfd the task sends in its HELLO: /proc/self/fdinfo/<pidfd>
 * gives the task's id here ("Pid:") and its numbers at every level ("NSpid:"),
 * PIDFD_GET_PID_NAMESPACE + NS_GET_PARENT give the namespace identity at every
 * level, and poll() on the pidfd says when the thread has exited.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

#ifndef PIDFD_GET_PID_NAMESPACE
#define PIDFD_GET_PID_NAMESPACE _IO(0xFF, 5)
#endif
#define PF_EXITING 0x00000004

enum { TS_LIVE, TS_DYING, TS_PARKED };
static int task_exit_progress(struct task *t);

struct conf g_conf = { 32768, -1, 500, 10000, 2000 };

const char *const ac_cg_mounts[AC_CG_N] = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified" };

static struct task **tasks;
static int ntasks, tasks_cap;
static int root_offset = -1;	/* index of the scenario root level in fdinfo NSpid */
static volatile pid_t init_hpid = -1;	/* init's pid here; our child, so never reused */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int task_count(void) { return ntasks; }
struct task *task_at(int i) { return tasks[i]; }

static struct task *task_add(void)
{
	struct task *t = calloc(1, sizeof *t);

	if (!t) {
		perror("calloc");
		exit(3);
	}
	if (ntasks == tasks_cap) {
		tasks_cap = tasks_cap ? 2 * tasks_cap : 64;
		tasks = realloc(tasks, tasks_cap * sizeof *tasks);
		if (!tasks) {
			perror("realloc");
			exit(3);
		}
	}
	t->conn = t->pidfd = -1;
	t->group = t;
	tasks[ntasks++] = t;
	return t;
}

void req_init(struct ac_req *q, uint32_t op)
{
	memset(q, 0, AC_REQ_HDR + 2);
	q->op = op;
}

void req_set_path(struct ac_req *q, const char *path, const char *data, size_t data_len)
{
	size_t pl = strlen(path);

	if (pl > AC_PATH_MAX)
		pl = AC_PATH_MAX;
	if (data_len > AC_DATA_MAX)
		data_len = AC_DATA_MAX;
	memcpy(q->buf, path, pl);
	q->buf[pl] = 0;
	q->path_len = (uint32_t)pl;
	if (data)
		memcpy(q->buf + pl + 1, data, data_len);
	q->buf[pl + 1 + data_len] = 0;
	q->data_len = (uint32_t)data_len;
}

/* One datagram from a task, with at most one passed descriptor. */
static ssize_t recv_rep(int conn, struct ac_rep *rep, int *fd_out, int flags)
{
	struct iovec iov = { rep, sizeof *rep };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.b;
	mh.msg_controllen = sizeof cm.b;
	do
		n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (fd_out)
		*fd_out = -1;
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int nfd = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)), i, fd;

			for (i = 0; i < nfd; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (fd_out && *fd_out < 0)
					*fd_out = fd;
				else
					close(fd);
			}
		}
	}
	if ((size_t)n < AC_REP_HDR) {
		errno = EPROTO;
		return -1;
	}
	return n;
}

static int poll_readable(int fd, int timeout_ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (fd < 0)
		return 1;
	return poll(&p, 1, timeout_ms) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

/* State letter of /proc/<htid>/stat, 0 if unreadable. */
static char proc_state(pid_t htid, char *buf, size_t len, ssize_t *n_out)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)htid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (n_out)
		*n_out = n;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Has the thread exited (zombie or released)?  A thread pidfd polls readable
 * once the thread has an exit_state - except for a thread-group leader that
 * exits before its other threads (pidfd_poll: !delay_group_leader()), which
 * is a zombie ("Z" in /proc/PID/stat) while its pidfd stays quiet. */
int task_check_exited(struct task *t)
{
	char buf[512];

	if (t->exited || t->pidfd < 0)
		return t->exited;
	if (poll_readable(t->pidfd, 0))
		t->exited = 1;
	else if (t->group == t) {
		char st = proc_state(t->htid, buf, sizeof buf, NULL);

		/* pidfd not readable, so the pid is not released and htid is still ours */
		if (st == 'Z' || st == 'X')
			t->exited = 1;
	}
	return t->exited;
}

/* "Pid:" and "NSpid:" of a pidfd.  Returns the number of NSpid entries, 0 if
 * the task was released ("Pid: -1"), -1 on error. */
static int pidfd_info(int pidfd, pid_t *hpid, pid_t *nspid, int max)
{
	char path[64], buf[1024];
	int fd, n = -1;
	ssize_t len;
	char *p;

	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	p = strstr(buf, "\nPid:");
	if (!p)
		return -1;
	*hpid = (pid_t)strtol(p + 5, NULL, 10);
	if (*hpid <= 0)
		return 0;
	p = strstr(buf, "\nNSpid:");
	if (!p)
		return -1;
	p += 7;
	n = 0;
	while (n < max) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		nspid[n++] = (pid_t)v;
		p = end;
	}
	return n;
}

int task_reaped(struct task *t)
{
	pid_t hpid, ns[AC_MAX_LEVELS + 40];

	if (t->pidfd < 0)
		return 1;
	if (!task_check_exited(t))
		return 0;
	return pidfd_info(t->pidfd, &hpid, ns, AC_MAX_LEVELS + 40) <= 0;
}

long task_view(const struct task *caller, struct task *named)
{
	int L = caller->level;

	/* A reaped task keeps the numbers it had (as the model's $NAME). */
	if (named->pidfd < 0)
		return 0;
	if (named->level < L || named->ino[L] != caller->ino[L])
		return 0;
	return named->nr[L];
}

/* Wait for the HELLO of a new task on conn and record it. */
struct task *task_from_hello(int conn, struct task *parent, int thread, char *err, size_t errlen)
{
	static struct ac_rep rep;
	pid_t ns[AC_MAX_LEVELS + 40], hpid = -1;
	struct task *t;
	int pidfd = -1, n, L, nsfd;
	ssize_t r;

	if (!poll_readable(conn, g_conf.step_ms)) {
		snprintf(err, errlen, "no HELLO from new task within %d ms", g_conf.step_ms);
		return NULL;
	}
	r = recv_rep(conn, &rep, &pidfd, MSG_DONTWAIT);
	if (r <= 0) {
		snprintf(err, errlen, "new task died before HELLO");
		return NULL;
	}
	if (rep.kind == AC_REP_FATAL) {
		snprintf(err, errlen, "%.*s", (int)rep.len, rep.data);
		return NULL;
	}
	if (rep.kind != AC_REP_HELLO || pidfd < 0) {
		snprintf(err, errlen, "bad HELLO (pidfd_open: %s)", strerror(rep.err));
		if (pidfd >= 0)
			close(pidfd);
		return NULL;
	}
	n = pidfd_info(pidfd, &hpid, ns, AC_MAX_LEVELS + 40);
	if (n <= 0) {
		snprintf(err, errlen, "cannot read fdinfo of the new task's pidfd");
		close(pidfd);
		return NULL;
	}
	if (root_offset < 0)
		root_offset = n - 1;	/* the first task is init, pid 1 of the scenario root */
	if (n - 1 - root_offset < 0 || n - 1 - root_offset >= AC_MAX_LEVELS) {
		snprintf(err, errlen, "new task has %d NSpid entries, scenario root is entry %d", n, root_offset);
		close(pidfd);
		return NULL;
	}
	t = task_add();
	t->conn = conn;
	t->pidfd = pidfd;
	t->htid = hpid;
	t->level = n - 1 - root_offset;
	t->pfc_level = t->level;
	for (L = 0; L <= t->level; L++)
		t->nr[L] = ns[root_offset + L];
	if (thread && parent)
		t->group = parent->group;

	nsfd = ioctl(pidfd, PIDFD_GET_PID_NAMESPACE, 0);
	if (nsfd < 0) {
		char path[64];

		snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)hpid);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
	}
	for (L = t->level; L >= 0 && nsfd >= 0; L--) {
		struct stat st;

		if (fstat(nsfd, &st) == 0)
			t->ino[L] = st.st_ino;
		if (L > 0) {
			int pfd = ioctl(nsfd, NS_GET_PARENT, 0);

			close(nsfd);
			nsfd = pfd;
		}
	}
	if (nsfd >= 0)
		close(nsfd);
	if (L >= 0)
		fprintf(stderr, "actors-conform-helper: warning: pid ns chain of host tid %d incomplete\n",
			(int)hpid);
	return t;
}

/* Send a request, wait for its reply.  CS_DEAD if the task died first (or
 * was already dead), CS_TIMEOUT if no reply within timeout_ms. */
int task_call(struct task *t, struct ac_req *q, struct ac_rep *rep, int *fd_out, int timeout_ms)
{
	size_t len = AC_REQ_HDR + q->path_len + 1 + q->data_len + 1;
	long deadline = now_ms() + timeout_ms;
	int slices = 0;
	ssize_t n;

	if (fd_out)
		*fd_out = -1;
	if (t->conn < 0 || task_gone(t))
		return CS_DEAD;
	do
		n = send(t->conn, q, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		task_wait_exit(t, g_conf.step_ms);
		return CS_DEAD;
	}
	if (q->op == AC_OP_SYSCALL_NOREPLY)
		return CS_OK;
	for (;;) {
		struct pollfd p[2] = { { t->conn, POLLIN, 0 }, { t->pidfd, POLLIN, 0 } };
		long left = deadline - now_ms();

		if (left <= 0)
			return CS_TIMEOUT;
		if (poll(p, 2, left < 10 ? (int)left : 10) < 0 && errno != EINTR)
			return CS_DEAD;
		if (p[0].revents) {
			n = recv_rep(t->conn, rep, fd_out, MSG_DONTWAIT);
			if (n > 0)
				return CS_OK;
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				/* EOF: the thread is exiting; let it finish. */
				task_wait_exit(t, g_conf.step_ms);
				return CS_DEAD;
			}
		}
		if (!p[0].revents && !p[1].revents && ++slices % 4 == 0 && task_exit_progress(t) != TS_LIVE) {
			/* killed while in the call; with CLONE_FILES its socket stays open */
			task_wait_exit(t, g_conf.step_ms);
			return CS_DEAD;
		}
		if (p[1].revents || task_check_exited(t)) {
			n = recv_rep(t->conn, rep, fd_out, MSG_DONTWAIT);
			if (n > 0)
				return CS_OK;
			t->exited = 1;
			return CS_DEAD;
		}
	}
}

/* After "blocks forever": interrupt the blocked call with AC_SIG_WAKE (its
 * handler has no SA_RESTART, so the call fails EINTR) and drain its reply. */
void task_interrupt(struct task *t)
{
	static struct ac_rep rep;
	long deadline = now_ms() + g_conf.step_ms;
	int tries = 0;

	while (!task_check_exited(t) && now_ms() < deadline) {
		if (tries++ % 20 == 0)
			syscall(SYS_pidfd_send_signal, t->pidfd, AC_SIG_WAKE, NULL, 0);
		if (poll_readable(t->conn, 10)) {
			ssize_t n = recv_rep(t->conn, &rep, NULL, MSG_DONTWAIT);

			if (n > 0) {
				if (rep.kind == AC_REP_RESULT && rep.err != EINTR)
					fprintf(stderr, "actors-conform-helper: warning: interrupted call of "
						"%s completed anyway (ret %lld, errno %d)\n",
						t->name, (long long)rep.ret, rep.err);
				return;
			}
			if (n == 0) {
				task_wait_exit(t, g_conf.step_ms);
				return;
			}
		}
	}
}

/* How far is t on its way out?
 *   TS_LIVE    not exiting (idle in its loop, or inside a call);
 *   TS_DYING   exiting and making progress: SIGKILL pending (complete_signal
 *              and zap_other_threads queue it on every thread of a dying
 *              group), or PF_EXITING while runnable / in uninterruptible sleep,
 *              or its socket closed;
 *   TS_PARKED  PF_EXITING, in interruptible sleep, no SIGKILL pending: stuck
 *              in exit until some other task acts - a pid namespace init in
 *              zap_pid_ns_processes() waiting for zombies whose parents live
 *              outside the namespace (setns + fork), for instance.
 * Call only for tasks whose pidfd is not readable (htid still theirs). */
static int task_exit_progress(struct task *t)
{
	char path[64], buf[4096], *p, state;
	struct pollfd pf = { t->conn, POLLIN, 0 };
	unsigned long long pend = 0;
	unsigned long flags;
	int fd, i, hup;
	ssize_t n;

	hup = t->conn >= 0 && poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP);
	state = proc_state(t->htid, buf, sizeof buf, &n);
	if (!state)
		return TS_DYING;	/* gone from /proc: the pidfd will say so */
	p = strrchr(buf, ')');
	for (i = 0; i < 7 && p; i++)	/* ") S ppid pgrp session tty tpgid flags" */
		p = strchr(p + 1, ' ');
	flags = p ? strtoul(p + 1, NULL, 10) : 0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)t->htid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			p = strstr(buf, "\nSigPnd:");
			if (p)
				pend = strtoull(p + 8, NULL, 16);
		}
	}
	if (flags & PF_EXITING || hup)
		t->exiting = 1;
	if ((pend >> (SIGKILL - 1)) & 1)
		return TS_DYING;
	if (flags & PF_EXITING)
		return state == 'S' ? TS_PARKED : TS_DYING;
	return hup ? TS_DYING : TS_LIVE;
}

/* Wait until t has exited, or is parked in exit (two looks 1 ms apart). */
void task_wait_exit(struct task *t, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int parked = 0;

	while (!task_check_exited(t) && now_ms() < deadline) {
		parked = task_exit_progress(t) == TS_PARKED ? parked + 1 : 0;
		if (parked >= 2)
			return;
		poll_readable(t->pidfd, 1);
	}
	/* A thread that is not its group's leader is released by exit_notify()
	 * itself, but its pidfd polls readable as soon as exit_state is set, a
	 * moment before release_task() frees its tid: wait for that too, so the
	 * next fork sees the number free (as the model's exit does). */
	while (t->group != t && task_check_exited(t) && !task_reaped(t) && now_ms() < deadline)
		poll(NULL, 0, 1);
}

int task_gone(struct task *t)
{
	return task_check_exited(t) || t->exiting;
}

/* Quiescence after a step: wait until no task is still dying (every killed
 * task has exited - zombie or released, its children reparented - or is
 * parked in exit).  Two clean passes 1 ms apart end it;
 * ACTORS_CONFORM_SETTLE_MS bounds it. */
void settle(void)
{
	long deadline = now_ms() + g_conf.settle_ms;
	int clean = 0, i;

	while (clean < 2 && now_ms() < deadline) {
		int dying = 0;

		for (i = 0; i < ntasks; i++) {
			struct task *t = tasks[i];

			if (t->pidfd < 0 || task_check_exited(t))
				continue;
			if (task_exit_progress(t) == TS_DYING)
				dying++;
		}
		clean = dying ? 0 : clean + 1;
		if (clean < 2) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Scratch cgroups.  At start the driver makes HIER/actors-conform-<its pid>
 * under each mount of ac_cg_mounts and moves init into them; the scenario's
 * /sys/fs/cgroup/HIER is that directory (helper.c maps the paths).  After the
 * last task is reaped the trees are removed, children first.  Everything here
 * is async-signal-safe (open, getdents64, unlinkat, nanosleep; no malloc, no
 * stdio): the SIGTERM handler removes the trees too.  A watchdog process, a
 * child of the driver that stays in the driver's cgroups, removes them when
 * the driver dies without doing it (SIGKILL). */

static char cg_dir[AC_CG_N][64];	/* "" until the name is chosen */
static int watchdog_fd = -1;		/* write end of the watchdog's pipe */
static volatile pid_t watchdog_pid = -1;

const char *cgroup_scratch(int hier) { return cg_dir[hier]; }

struct ac_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define CG_MAX_DEPTH 256

/* rmdir path (a buffer of AC_PATH_MAX + 1 bytes, restored on return) and every
 * cgroup below it, children first.  0 when gone, else the errno of the failure
 * (EBUSY while a task has not exited yet). */
static int cg_rmtree(char *path, int depth)
{
	size_t len = strlen(path);
	char buf[1024];
	int fd, err = 0;
	long n;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : errno;
	while (depth < CG_MAX_DEPTH && (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
		long off;

		for (off = 0; off < n;) {
			struct ac_dirent64 *d = (struct ac_dirent64 *)(buf + off);
			size_t nl = strlen(d->d_name);

			off += d->d_reclen;
			if (d->d_type != DT_DIR || strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			if (len + 1 + nl > AC_PATH_MAX) {
				err = ENAMETOOLONG;
				continue;
			}
			path[len] = '/';
			memcpy(path + len + 1, d->d_name, nl + 1);
			if (cg_rmtree(path, depth + 1) != 0)
				err = err ? err : EBUSY;
			path[len] = 0;
		}
	}
	close(fd);
	if (unlinkat(AT_FDCWD, path, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	return err ? err : errno;
}

/* Remove every scratch tree, retrying for up to timeout_ms while a cgroup is
 * busy (its last tasks are still exiting).  0 when all are gone. */
static int cg_remove_all(int timeout_ms, int *err_out)
{
	char path[AC_PATH_MAX + 1];
	struct timespec ts = { 0, 5000000 };
	int h, left, err = 0, tries = timeout_ms / 5 + 1;

	do {
		left = 0;
		for (h = 0; h < AC_CG_N; h++) {
			if (!cg_dir[h][0])
				continue;
			memcpy(path, cg_dir[h], strlen(cg_dir[h]) + 1);
			err = cg_rmtree(path, 0);
			if (err)
				left++;
		}
		if (left && tries > 1)
			nanosleep(&ts, NULL);
	} while (left && --tries > 0);
	if (err_out)
		*err_out = err;
	return left;
}

/* The watchdog: waits for a byte ("done": the driver removed the trees) or
 * for end of file on its pipe (the driver died), then removes the trees.  By
 * then init has died by PR_SET_PDEATHSIG and its namespace is being killed; an
 * exited task (a zombie) does not keep its cgroup busy, so this takes at most
 * the time the tasks need to exit. */
__attribute__((noreturn)) static void watchdog_main(int rfd)
{
	struct sigaction sa;
	char c = 0;
	ssize_t n;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;	/* a terminal's ^C must not stop the cleanup */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	/* Hold none of the caller's pipes: a reader of our stdout or stderr must
	 * see end of file when the driver exits. */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (rfd != 3) {
		dup2(rfd, 3);
		rfd = 3;
	}
	close_range(4, ~0U, 0);
	do
		n = read(rfd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && c == 'd')
		_exit(0);
	_exit(cg_remove_all(10000, NULL) ? 1 : 0);
}

static int watchdog_start(char *err, size_t errlen)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork (cgroup watchdog): %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		watchdog_main(p[0]);
	}
	close(p[0]);
	watchdog_fd = p[1];
	watchdog_pid = pid;
	return 0;
}

/* Tell the watchdog the trees are gone, and reap it. */
static void watchdog_stop(void)
{
	pid_t pid = watchdog_pid;

	if (watchdog_fd >= 0) {
		if (write(watchdog_fd, "d", 1) < 0) {
			/* it died: nothing to tell */
		}
		close(watchdog_fd);
		watchdog_fd = -1;
	}
	if (pid > 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		watchdog_pid = -1;
	}
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), e;
	ssize_t n;

	if (fd < 0)
		return errno;
	n = write(fd, text, strlen(text));
	e = errno;
	close(fd);
	return n < 0 ? e : 0;
}

/* Make the scratch cgroups (a stale one of an earlier driver with our pid,
 * killed with its watchdog, is removed first). */
static int cg_create(char *err, size_t errlen)
{
	char path[AC_PATH_MAX + 1];
	int h, e;

	for (h = 0; h < AC_CG_N; h++) {
		snprintf(path, sizeof path, "%s", cg_dir[h]);
		e = cg_rmtree(path, 0);
		if (e == 0 && mkdir(cg_dir[h], 0755) != 0)
			e = errno;
		if (e) {
			snprintf(err, errlen, "cannot create the scratch cgroup %s: %s", cg_dir[h], strerror(e));
			return -1;
		}
	}
	return 0;
}

/* Move init into the scratch cgroups (the driver stays where it is), then
 * give init a cgroup namespace rooted there, so that /proc/PID/cgroup shows
 * "/" for the scenario's cgroup as in a container. */
static int cg_enter(struct task *init, char *err, size_t errlen)
{
	static struct ac_req q;
	static struct ac_rep rep;
	char path[AC_PATH_MAX + 1], pid[24];
	int h, e, st;

	snprintf(pid, sizeof pid, "%d", (int)init->htid);
	for (h = 0; h < AC_CG_N; h++) {
		snprintf(path, sizeof path, "%s/cgroup.procs", cg_dir[h]);
		e = write_file(path, pid);
		if (e) {
			snprintf(err, errlen, "cannot move init into %s: %s", path, strerror(e));
			return -1;
		}
	}
	req_init(&q, AC_OP_SYSCALL);
	q.nr = SYS_unshare;
	q.a[0] = CLONE_NEWCGROUP;
	st = task_call(init, &q, &rep, NULL, g_conf.step_ms);
	if (st != CS_OK || rep.err != 0) {
		snprintf(err, errlen, "unshare(CLONE_NEWCGROUP) in init: %s",
			 st != CS_OK ? "no answer" : strerror(rep.err));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */

static void init_trampoline(void *arg)
{
	ac_init_main(arg);
}

int kernel_start(char *err, size_t errlen)
{
	struct ac_init_params p;
	struct clone_args ca;
	struct task *init;
	struct utsname u;
	int sp[2], major = 0, minor = 0, h;
	long r;

	/* Before 6.14 pid_max is one global value: writing it from the new
	 * namespace would change the host's.  PIDFD_THREAD needs 6.9. */
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	    (major < 6 || (major == 6 && minor < 14))) {
		snprintf(err, errlen, "Linux >= 6.14 required (per-namespace pid_max, PIDFD_THREAD); this is %s",
			 u.release);
		return -1;
	}
	for (h = 0; h < AC_CG_N; h++)	/* named before the watchdog forks: it needs them */
		snprintf(cg_dir[h], sizeof cg_dir[h], "%s/actors-conform-%d", ac_cg_mounts[h], (int)getpid());
	if (watchdog_start(err, errlen) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS;
	ca.exit_signal = SIGCHLD;
	p.conn = sp[0];
	p.driver_end = sp[1];
	p.pid_max = g_conf.pid_max;
	p.msgmni = g_conf.msgmni;
	fflush(stdout);
	fflush(stderr);
	r = ac_clone3(&ca, sizeof ca, init_trampoline, &p);
	if (r < 0) {
		snprintf(err, errlen, "clone3(CLONE_NEWPID|CLONE_NEWIPC|CLONE_NEWNS): %s", strerror((int)-r));
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	init_hpid = (pid_t)r;
	close(sp[0]);
	/* After the clone, so that a missing privilege shows as clone3's EPERM;
	 * init makes no child before the driver asks it to. */
	if (cg_create(err, errlen) != 0) {
		close(sp[1]);
		return -1;
	}
	init = task_from_hello(sp[1], NULL, 0, err, errlen);
	if (!init) {
		close(sp[1]);
		return -1;
	}
	if (init->level != 0 || init->nr[0] != 1) {
		snprintf(err, errlen, "init is not pid 1 of the new namespace");
		return -1;
	}
	snprintf(init->name, sizeof init->name, "init");
	return cg_enter(init, err, errlen);
}

/* SIGKILL from the parent namespace is the one signal init cannot refuse;
 * its death makes the kernel kill every task of the namespace, and waitpid
 * returns only once they are all gone (zap_pid_ns_processes). */
static void kill_init_and_wait(void)
{
	pid_t pid = init_hpid;

	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		init_hpid = -1;
	}
}

void kernel_teardown(void)
{
	int i, err;

	kill_init_and_wait();
	if (cg_remove_all(2000, &err) != 0)
		fprintf(stderr, "actors-conform-helper: warning: scratch cgroups not removed: %s\n", strerror(err));
	else
		watchdog_stop();
	for (i = 0; i < ntasks; i++) {
		if (tasks[i]->conn >= 0)
			close(tasks[i]->conn);
		if (tasks[i]->pidfd >= 0)
			close(tasks[i]->pidfd);
		free(tasks[i]);
	}
	free(tasks);
	tasks = NULL;
	ntasks = tasks_cap = 0;
}

static void on_fatal_signal(int sig)
{
	kill_init_and_wait();	/* kill() and waitpid() are async-signal-safe */
	if (cg_remove_all(2000, NULL) == 0)	/* so is all of this */
		watchdog_stop();
	_exit(128 + sig);
}

void kernel_install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigfillset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);	/* stdout closed -> EPIPE -> orderly exit */
}
