/*
 * ipc-bench.c - how many msgget(IPC_PRIVATE) + msgctl(IPC_RMID) pairs per second the real kernel does: the scale
 * for perf/Actors.Benchmarks/Ipc/IpcBenchmarks.cs (same flags as the model benchmark: IPC_PRIVATE, mode 0600).
 *
 * Usage: ipc-bench [seconds=5] [threads=1]   (run it with run-ipc-bench.sh: inside unshare --ipc)
 * Prints one line per second per run, then "total: N pairs in S s: R pairs/s (T threads)".
 * Every call is checked; a failure exits 1 with the errno. Each thread removes what it created, so the namespace is
 * left empty; unshare --ipc throws the namespace away in any case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

static atomic_long pairs;
static atomic_int stop;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *loop(void *arg)
{
	(void)arg;
	long local = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int id = msgget(IPC_PRIVATE, 0600);
		if (id < 0) {
			fprintf(stderr, "msgget: %s\n", strerror(errno));
			exit(1);
		}
		if (msgctl(id, IPC_RMID, NULL) != 0) {
			fprintf(stderr, "msgctl(%d, IPC_RMID): %s\n", id, strerror(errno));
			exit(1);
		}
		if (++local == 1024) {
			atomic_fetch_add_explicit(&pairs, local, memory_order_relaxed);
			local = 0;
		}
	}
	atomic_fetch_add_explicit(&pairs, local, memory_order_relaxed);
	return NULL;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 5;
	int threads = argc > 2 ? atoi(argv[2]) : 1;
	if (seconds < 1 || threads < 1 || threads > 64) {
		fprintf(stderr, "usage: ipc-bench [seconds>=1] [threads 1..64]\n");
		return 2;
	}
	pthread_t t[64];
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&t[i], NULL, loop, NULL) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	}
	double start = now(), tick = start;
	long last = 0;
	for (int s = 0; s < seconds; s++) {
		struct timespec one = { 1, 0 };
		nanosleep(&one, NULL);
		double t1 = now();
		long p = atomic_load(&pairs);
		printf("  %12.0f pairs/s\n", (double)(p - last) / (t1 - tick));
		fflush(stdout);
		last = p;
		tick = t1;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	double elapsed = now() - start;
	long total = atomic_load(&pairs);
	printf("total: %ld pairs in %.1f s: %.0f pairs/s (%d threads)\n", total, elapsed, (double)total / elapsed, threads);
	return 0;
}
