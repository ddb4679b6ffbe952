/*
 * task.c - the code that runs inside the scenario: every scenario task (init,
 * forked processes, CLONE_VM children, CLONE_THREAD threads) runs task_loop()
 * on its own socket to the driver.
 *
 * Rules for everything reachable from task_loop(): raw system calls only
 * (rawsys.h), no errno, no malloc, no stdio, no globals written.  A thread made
 * by clone3(CLONE_THREAD|CLONE_VM) without CLONE_SETTLS shares the thread
 * pointer - and so every TLS variable - with the thread that made it, and a
 * CLONE_VM child shares all memory with its parent.  Only stack memory is
 * private, so that is all the loop uses.
 *
 * ac_init_main() is the exception: it runs once, in the freshly cloned init
 * process (a private copy of the single-threaded driver), before any task
 * exists, and may use libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"
#include "rawsys.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* Stack for CLONE_VM children (threads or not).  Never unmapped: a thread
 * cannot free the stack it runs on, and the process's exit frees it. */
#define AC_TASK_STACK (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* clone3 trampoline: returns in the parent like clone3; in the child it calls
 * fn(arg) on the child's stack (the new one for CLONE_VM, the copied one
 * otherwise) and ends the child with SYS_exit if fn returns. */

#if defined(__x86_64__)
__asm__(".text\n"
	".globl ac_clone3\n"
	".type ac_clone3,@function\n"
	"ac_clone3:\n"
	"	mov %rdx, %r8\n"	/* fn  (r8/r9 survive syscall; rcx/r11 do not) */
	"	mov %rcx, %r9\n"	/* arg */
	"	mov $435, %eax\n"	/* __NR_clone3 */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	mov %r9, %rdi\n"
	"	call *%r8\n"
	"	xor %edi, %edi\n"
	"	mov $60, %eax\n"	/* __NR_exit */
	"	syscall\n"
	"	hlt\n"
	"1:	ret\n"
	".size ac_clone3, .-ac_clone3\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl ac_clone3\n"
	".type ac_clone3,%function\n"
	"ac_clone3:\n"
	"	mov x9, x2\n"		/* fn  (svc preserves every register but x0) */
	"	mov x10, x3\n"		/* arg */
	"	mov x8, #435\n"		/* __NR_clone3 */
	"	svc #0\n"
	"	cbnz x0, 1f\n"
	"	mov x29, xzr\n"
	"	mov x30, xzr\n"
	"	mov x11, sp\n"
	"	and x11, x11, #-16\n"
	"	mov sp, x11\n"
	"	mov x0, x10\n"
	"	blr x9\n"
	"	mov x0, xzr\n"
	"	mov x8, #93\n"		/* __NR_exit */
	"	svc #0\n"
	"	brk #0\n"
	"1:	ret\n"
	".size ac_clone3, .-ac_clone3\n");
#endif

/* ------------------------------------------------------------------------ */

static void r_close(long fd)
{
	if (fd >= 0)
		rsys1(SYS_close, fd);
}

static void send_rep(int conn, struct ac_rep *rep, int pass_fd)
{
	struct iovec iov = { rep, AC_REP_HDR + rep->len };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh;
	long r;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof cm);
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof cm.b;
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	do
		r = rsys3(SYS_sendmsg, conn, &mh, MSG_NOSIGNAL);
	while (r == -EINTR);
}

static void set_result(struct ac_rep *rep, long r)
{
	rep->kind = AC_REP_RESULT;
	rep->len = 0;
	if (rsys_failed(r)) {
		rep->ret = -1;
		rep->err = (int32_t)-r;
	} else {
		rep->ret = r;
		rep->err = 0;
	}
}

/* HELLO: tell the driver who we are by passing a pidfd for this very thread;
 * the driver reads our host tid and NSpid from its fdinfo. */
static void send_hello(int conn)
{
	struct ac_rep rep;
	long tid = rsys0(SYS_gettid);
	long pfd = rsys2(SYS_pidfd_open, tid, PIDFD_THREAD);

	rep.kind = AC_REP_HELLO;
	rep.ret = tid;
	rep.err = rsys_failed(pfd) ? (int32_t)-pfd : 0;
	rep.len = 0;
	send_rep(conn, &rep, rsys_failed(pfd) ? -1 : (int)pfd);
	r_close(pfd);
}

__attribute__((noreturn)) static void task_loop(int conn);

/* Child side of AC_OP_CLONE.  arg packs: own socket, parent's socket, the
 * driver's end (still open in the child), CLONE_FILES. */
static void child_entry(void *arg)
{
	uint64_t v = (uint64_t)(uintptr_t)arg;
	int conn = (int)(v & 0xfffff);
	int files = (int)((v >> 61) & 1);

	if (!files) {
		/* Private fd table: keep only stdio and our own socket, so that a
		 * dying task's sockets are not kept open by its descendants. */
		if (conn > 3)
			rsys3(SYS_close_range, 3, conn - 1, 0);
		rsys3(SYS_close_range, conn + 1, ~0U, 0);
	}
	send_hello(conn);
	task_loop(conn);
}

static void do_clone(int conn, struct ac_req *q, struct ac_rep *rep)
{
	struct clone_args ca;
	uint64_t flags = (uint64_t)q->a[0];
	int sp[2];
	long r, stk = 0;
	uint64_t packed;

	r = rsys4(SYS_socketpair, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp);
	if (rsys_failed(r)) {
		set_result(rep, r);
		rep->err = -1000 + rep->err;	/* negative: helper failure, not clone's */
		send_rep(conn, rep, -1);
		return;
	}
	memset(&ca, 0, sizeof ca);
	ca.flags = flags;
	/* clone3 rejects a non-zero exit_signal with CLONE_THREAD or CLONE_PARENT
	 * (kernel/fork.c clone3_args_valid); CLONE_PARENT children inherit the
	 * parent's exit_signal in copy_process. */
	ca.exit_signal = (flags & (CLONE_THREAD | CLONE_PARENT)) ? 0 : SIGCHLD;
	if (flags & CLONE_VM) {
		stk = rsys6(SYS_mmap, 0, AC_TASK_STACK, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (rsys_failed(stk)) {
			set_result(rep, stk);
			rep->err = -1000 + rep->err;
			send_rep(conn, rep, -1);
			r_close(sp[0]);
			r_close(sp[1]);
			return;
		}
		ca.stack = (uint64_t)stk;
		ca.stack_size = AC_TASK_STACK;
	}
	if (q->a[1]) {	/* set_tid given (possibly empty) */
		ca.set_tid = (uint64_t)(uintptr_t)q->set_tid;
		ca.set_tid_size = q->set_tid_size;
	}
	packed = (uint64_t)sp[0] | ((uint64_t)conn << 20) | ((uint64_t)sp[1] << 40) |
		 ((uint64_t)((flags & CLONE_FILES) ? 1 : 0) << 61);
	r = ac_clone3(&ca, sizeof ca, child_entry, (void *)(uintptr_t)packed);
	set_result(rep, r);
	if (rsys_failed(r)) {
		send_rep(conn, rep, -1);
		r_close(sp[0]);
		r_close(sp[1]);
		if (stk)
			rsys2(SYS_munmap, stk, AC_TASK_STACK);
		return;
	}
	send_rep(conn, rep, sp[1]);
	r_close(sp[1]);
	if (!(flags & CLONE_FILES))
		r_close(sp[0]);	/* with CLONE_FILES it is the child's socket too */
}

static void do_read(struct ac_req *q, struct ac_rep *rep)
{
	long fd = rsys4(SYS_openat, AT_FDCWD, q->buf, O_RDONLY | O_CLOEXEC, 0);
	long got = 0;

	if (rsys_failed(fd)) {
		set_result(rep, fd);
		return;
	}
	while (got < AC_DATA_MAX) {
		long r = rsys3(SYS_read, fd, rep->data + got, AC_DATA_MAX - got);

		if (r == -EINTR)
			continue;
		if (rsys_failed(r)) {
			r_close(fd);
			set_result(rep, r);
			return;
		}
		if (r == 0)
			break;
		got += r;
	}
	r_close(fd);
	set_result(rep, got);
	rep->len = (uint32_t)got;
}

static void do_write(struct ac_req *q, struct ac_rep *rep)
{
	long fd = rsys4(SYS_openat, AT_FDCWD, q->buf, O_WRONLY | O_CLOEXEC, 0);
	long r;

	if (rsys_failed(fd)) {
		set_result(rep, fd);
		return;
	}
	r = rsys3(SYS_write, fd, q->buf + q->path_len + 1, q->data_len);
	r_close(fd);
	set_result(rep, rsys_failed(r) ? r : 0);
}

static void do_setns(struct ac_req *q, struct ac_rep *rep)
{
	long fd = rsys4(SYS_openat, AT_FDCWD, q->buf, O_RDONLY | O_CLOEXEC, 0);
	long r;

	if (rsys_failed(fd)) {
		set_result(rep, fd);
		return;
	}
	r = rsys2(SYS_setns, fd, q->a[0]);
	r_close(fd);
	set_result(rep, r);
}

__attribute__((noreturn)) static void task_loop(int conn)
{
	struct ac_req q;
	struct ac_rep rep;

	for (;;) {
		long n = rsys6(SYS_recvfrom, conn, (long)&q, sizeof q, 0, 0, 0);

		if (n == -EINTR)
			continue;	/* AC_SIG_WAKE arriving while idle */
		if (n < (long)AC_REQ_HDR) {
			/* The driver is gone (EOF) or talks nonsense: leave quietly. */
			rsys1(SYS_exit_group, 0);
			__builtin_unreachable();
		}
		if (q.path_len > AC_PATH_MAX)
			q.path_len = AC_PATH_MAX;
		if (q.data_len > AC_DATA_MAX)
			q.data_len = AC_DATA_MAX;
		q.buf[q.path_len] = 0;
		q.buf[q.path_len + 1 + q.data_len] = 0;

		switch (q.op) {
		case AC_OP_SYSCALL:
		case AC_OP_SYSCALL_NOREPLY: {
			char scratch[1024];
			long a[6];
			int i;

			for (i = 0; i < 6; i++)
				a[i] = (q.scratch_mask & (1u << i)) ? (long)scratch
				       : (q.path_mask & (1u << i)) ? (long)q.buf
				       : (long)q.a[i];
			set_result(&rep, rsys6(q.nr, a[0], a[1], a[2], a[3], a[4], a[5]));
			break;
		}
		case AC_OP_READ:
			do_read(&q, &rep);
			break;
		case AC_OP_WRITE:
			do_write(&q, &rep);
			break;
		case AC_OP_SETNS:
			do_setns(&q, &rep);
			break;
		case AC_OP_CLONE:
			do_clone(conn, &q, &rep);
			continue;	/* replied already */
		default:
			set_result(&rep, -ENOSYS);
			break;
		}
		send_rep(conn, &rep, -1);
	}
}

/* ------------------------------------------------------------------------ */
/* init: the first process of the fresh kernel (pid 1 of the new pid ns). */

static void wake_handler(int sig)
{
	(void)sig;	/* only there to interrupt a blocking call (no SA_RESTART) */
}

__attribute__((noreturn, format(printf, 2, 3))) static void init_fatal(int conn, const char *fmt, ...)
{
	struct ac_rep rep;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rep.data, 512, fmt, ap);
	va_end(ap);
	rep.kind = AC_REP_FATAL;
	rep.err = 0;
	rep.ret = -1;
	rep.len = n < 0 ? 0 : (n > 511 ? 511 : (uint32_t)n);
	send_rep(conn, &rep, -1);
	_exit(1);
}

void ac_init_main(struct ac_init_params *p)
{
	int conn = p->conn;
	struct pollfd pfd;
	struct sigaction sa;
	struct rlimit rl = { 0, 0 };
	sigset_t none;
	int sig, fd;

	/* Nothing survives the driver: when it dies, init dies, and the kernel
	 * kills the whole namespace (zap_pid_ns_processes). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(p->driver_end);
	pfd.fd = conn;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR)))
		_exit(1);	/* the driver died before PDEATHSIG was armed */

	/* Scenario tasks start with default dispositions and an empty mask;
	 * the only handler is the wake-up signal's. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);	/* 32/33 fail in glibc: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sa.sa_handler = wake_handler;
	sa.sa_flags = 0;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	if (sigaction(AC_SIG_WAKE, &sa, NULL) != 0)
		init_fatal(conn, "sigaction(%d): %s", AC_SIG_WAKE, strerror(errno));
	setrlimit(RLIMIT_CORE, &rl);	/* SIGQUIT & co. must not write core files */
	/* Own session and process group (sid = pgid = 1), as a container's init:
	 * otherwise kill(0, sig) or kill(-pgid, sig) from inside would reach the
	 * driver, which shares the caller's process group. */
	if (setsid() < 0)
		init_fatal(conn, "setsid: %s", strerror(errno));

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		init_fatal(conn, "mount --make-rprivate /: %s", strerror(errno));
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		init_fatal(conn, "mount proc on /proc: %s", strerror(errno));
	fd = open("/proc/sys/kernel/pid_max", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		init_fatal(conn, "open /proc/sys/kernel/pid_max: %s", strerror(errno));
	if (dprintf(fd, "%ld", p->pid_max) < 0)
		init_fatal(conn, "pid_max=%ld: %s", p->pid_max, strerror(errno));
	close(fd);
	if (p->msgmni >= 0) {
		/* per IPC namespace: this is the scenario's own */
		fd = open("/proc/sys/kernel/msgmni", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			init_fatal(conn, "open /proc/sys/kernel/msgmni: %s", strerror(errno));
		if (dprintf(fd, "%ld", p->msgmni) < 0)
			init_fatal(conn, "msgmni=%ld: %s", p->msgmni, strerror(errno));
		close(fd);
	}
	if (chdir("/") != 0)
		init_fatal(conn, "chdir /: %s", strerror(errno));

	/* Tasks must not hold the caller's stdin/stdout (stderr stays for
	 * diagnostics) nor any other descriptor of the driver. */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (fd > 2)
			close(fd);
	}
	if (conn > 3)
		close_range(3, conn - 1, 0);
	close_range(conn + 1, ~0U, 0);

	send_hello(conn);
	task_loop(conn);
}
