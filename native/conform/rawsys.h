/*
 * rawsys.h - raw system calls that never touch errno or any other TLS.
 *
 * Scenario tasks may be real threads created by clone3(CLONE_THREAD|CLONE_VM|...)
 * without CLONE_SETTLS: they share the thread pointer (and so glibc's errno,
 * malloc tcache, stdio locks) with the thread that created them.  All code that
 * runs in a task (task.c) therefore uses only these wrappers: they return the
 * kernel's value unchanged, i.e. -errno in [-4095, -1] on failure.
 */
#ifndef ACTORS_RAWSYS_H
#define ACTORS_RAWSYS_H

#include <sys/syscall.h>

#if defined(__x86_64__)
static inline long rsys6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static inline long rsys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
#error "actors-conform-helper supports x86_64 and aarch64 only (raw syscalls and the clone3 trampoline are written per architecture)"
#endif

#define rsys0(n) rsys6((n), 0, 0, 0, 0, 0, 0)
#define rsys1(n, a) rsys6((n), (long)(a), 0, 0, 0, 0, 0)
#define rsys2(n, a, b) rsys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define rsys3(n, a, b, c) rsys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define rsys4(n, a, b, c, d) rsys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static inline int rsys_failed(long r) { return r < 0 && r >= -4095; }

#endif
