/*
 * helper.h - driver-side declarations shared by helper.c (stdin protocol,
 * calls) and driver.c (building the fresh kernel, talking to tasks).
 */
#ifndef ACTORS_HELPER_H
#define ACTORS_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

struct conf {
	long pid_max;		/* config pid_max (default 32768) */
	long msgmni;		/* config msgmni (-1: the new IPC namespace's default) */
	int wait_ms;		/* ACTORS_CONFORM_WAIT_MS: a wait still blocked after this "blocks forever" */
	int step_ms;		/* ACTORS_CONFORM_STEP_MS: any other call / exit / HELLO */
	int settle_ms;		/* ACTORS_CONFORM_SETTLE_MS: max time to let dying tasks finish */
};
extern struct conf g_conf;

/* One scenario task (a thread of the real kernel).  Its pid numbers and pid
 * namespaces never change during its life, so they are recorded at HELLO. */
struct task {
	char name[128];		/* "" for a child made without "-> NAME" */
	int conn;		/* driver's end of the task's socket, -1 if none */
	int pidfd;		/* PIDFD_THREAD pidfd for this thread, -1 if none */
	pid_t htid;		/* the thread's id in the driver's pid namespace */
	struct task *group;	/* thread-group leader's record (self for a process) */
	int level;		/* depth of its active pid ns below the scenario root */
	pid_t nr[AC_MAX_LEVELS];	/* nr[L]: its number at level L (0 = scenario root) */
	uint64_t ino[AC_MAX_LEVELS];	/* ino[L]: inode of its pid ns ancestor at level L */
	int exited;		/* exit_state seen (zombie or released) */
	int exiting;		/* PF_EXITING or closed socket seen: dead for the scenario */
	int pfc_level;		/* level of pid_ns_for_children (differs from level after
				   unshare(CLONE_NEWPID) or setns into a descendant);
				   -1: unknown (setns to a namespace of no known task) */
	int nid_n;		/* emulated next_id slot: pending ids, 0 when empty */
	int64_t nid[AC_MAX_LEVELS];
};

enum call_status { CS_OK, CS_DEAD, CS_TIMEOUT };

/* The cgroup hierarchies scenarios reach on Linux (native/README.md, "Cgroups"):
 * /sys/fs/cgroup/HIER maps to the scratch cgroup HIER/actors-conform-<driver pid>. */
enum { AC_CG_PIDS, AC_CG_UNIFIED, AC_CG_N };
extern const char *const ac_cg_mounts[AC_CG_N];	/* "/sys/fs/cgroup/pids", ... */

/* driver.c */
const char *cgroup_scratch(int hier);	/* the scratch cgroup's path in hierarchy hier */
int kernel_start(char *err, size_t errlen);
void kernel_teardown(void);
void kernel_install_signal_handlers(void);
int task_count(void);
struct task *task_at(int i);
int task_call(struct task *t, struct ac_req *q, struct ac_rep *rep, int *fd_out, int timeout_ms);
void task_interrupt(struct task *t);
int task_check_exited(struct task *t);
int task_gone(struct task *t);
void task_wait_exit(struct task *t, int timeout_ms);
struct task *task_from_hello(int conn, struct task *parent, int thread, char *err, size_t errlen);
int task_reaped(struct task *t);
long task_view(const struct task *caller, struct task *named);
void settle(void);
void req_init(struct ac_req *q, uint32_t op);
void req_set_path(struct ac_req *q, const char *path, const char *data, size_t data_len);

#endif
