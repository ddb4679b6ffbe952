/*
 * proto.h - the private wire protocol between the driver and its task processes.
 *
 * Every scenario task owns one end of an AF_UNIX SOCK_SEQPACKET socketpair; the
 * driver owns the other.  One request datagram -> at most one reply datagram.
 * Driver and tasks are the same binary, so the structs go over the wire as-is.
 */
#ifndef ACTORS_PROTO_H
#define ACTORS_PROTO_H

#include <stdint.h>

#define AC_MAX_LEVELS 33	/* MAX_PID_NS_LEVEL 32 -> 33 levels */
#define AC_PATH_MAX 4096
#define AC_DATA_MAX 32768	/* read results and write values are truncated here */

/* Signal used to interrupt a task stuck in a blocking call ("blocks forever").
 * Its handler is installed without SA_RESTART in init and inherited by all tasks. */
#define AC_SIG_WAKE 62

enum ac_op {
	AC_OP_SYSCALL = 1,	/* nr, a[0..5]; scratch_mask: args replaced by a scratch buffer,
				   path_mask: args replaced by a pointer to the path in buf */
	AC_OP_SYSCALL_NOREPLY,	/* same, for exit / exit_group */
	AC_OP_READ,		/* path -> file text (up to AC_DATA_MAX bytes) */
	AC_OP_WRITE,		/* path, data -> open(O_WRONLY) + one write() */
	AC_OP_SETNS,		/* path, a[0] = nstype -> open(O_RDONLY) + setns() */
	AC_OP_CLONE,		/* a[0] = clone flags, set_tid[] -> clone3; reply carries the new
				   task's socket (SCM_RIGHTS), the new task says HELLO on it */
};

struct ac_req {
	uint32_t op;
	uint32_t scratch_mask;
	uint32_t path_mask;
	int64_t nr;
	int64_t a[6];
	uint32_t set_tid_size;
	int32_t set_tid[AC_MAX_LEVELS];
	uint32_t path_len;	/* bytes, without NUL */
	uint32_t data_len;
	char buf[AC_PATH_MAX + 1 + AC_DATA_MAX + 1];	/* path NUL data NUL */
};
#define AC_REQ_HDR ((unsigned long)&((struct ac_req *)0)->buf)

enum ac_rep_kind {
	AC_REP_RESULT = 1,	/* ret (>= 0) or err (> 0) */
	AC_REP_HELLO,		/* a new task is ready; SCM_RIGHTS carries its pidfd (PIDFD_THREAD) */
	AC_REP_FATAL,		/* init could not build the fresh kernel; data = message */
};

struct ac_rep {
	uint32_t kind;
	int32_t err;
	int64_t ret;
	uint32_t len;
	char data[AC_DATA_MAX];
};
#define AC_REP_HDR ((unsigned long)&((struct ac_rep *)0)->data)

/* task.c */
struct ac_init_params {
	int conn;		/* init's end of the socketpair */
	int driver_end;		/* the driver's end, closed in init */
	long pid_max;
	long msgmni;		/* -1: the new IPC namespace's default */
};
__attribute__((noreturn)) void ac_init_main(struct ac_init_params *p);
long ac_clone3(void *args, unsigned long size, void (*fn)(void *), void *arg);

#endif
