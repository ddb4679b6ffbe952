#!/usr/bin/env bash
# native/test.sh - self-checking test of actors-conform-helper.
#
# Builds the helper, runs the step streams in tests/*.in and compares stdout
# (and the exit status, tests/NAME.rc, default 0) with tests/NAME.out, runs the
# protocol-error and robustness cases below, and checks after every run that
# nothing is left behind: no process running the helper binary, none of the
# run's namespaces (pid, ipc, mnt of its init) held by any process, the host's
# SysV IPC objects unchanged, no new pid/ipc/mnt namespace held by one of ours,
# no scratch cgroup (actors-conform-*) under /sys/fs/cgroup/pids or
# /sys/fs/cgroup/unified.
# Needs root (CAP_SYS_ADMIN) on Linux >= 6.11.  Prints "N passed, N failed";
# exits non-zero on any failure.
set -u
cd "$(dirname "$0")" || exit 1
export ACTORS_CONFORM_WAIT_MS=${ACTORS_CONFORM_WAIT_MS:-200}

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/     /'; fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

if ! make -s >/dev/null; then
	bad "build (make)"
	finish
fi
ok "build"
H=$PWD/build/actors-conform-helper

# ---------------------------------------------------------------- leftovers
ours() { # pids of live processes running the helper binary
	find /proc/[0-9]* -maxdepth 1 -name exe -printf '%l %h\n' 2>/dev/null |
		awk -v h="$H" '$1 == h { sub("/proc/", "", $2); print $2 }'
}
ns_links() { # "type:[inode] /proc/PID/ns" for every pid/ipc/mnt namespace link
	find /proc/[0-9]*/ns -maxdepth 1 \( -name pid -o -name ipc -o -name mnt \) \
		-printf '%l %h\n' 2>/dev/null
}
ns_set() { ns_links | awk 'NF == 2 { print $1 }' | sort -u; }
CG_MOUNTS="/sys/fs/cgroup/pids /sys/fs/cgroup/unified"
scratch_cgroups() { # every actors-conform-* cgroup (with whatever is below it)
	local m
	for m in $CG_MOUNTS; do
		find "$m" -mindepth 1 -maxdepth 1 -type d -name 'actors-conform-*' 2>/dev/null
	done
}
ns_holders() { # pids holding namespace $1 ("pid:[N]")
	ns_links | awk -v n="$1" '$1 == n { split($2, a, "/"); print a[3] }' | sort -u
}
check_clean() { # $1 = label, $2 = namespaces ("pid:[N] ...") recorded while it ran
	# Waits up to 5 s: after the helper is SIGKILLed its init dies by
	# PR_SET_PDEATHSIG and is reaped by the system's init, not by us.
	# A SIGKILLed helper's scratch cgroups are removed by its watchdog.
	local i left n h holders cgs
	for i in $(seq 50); do
		left=$(ours)
		holders=""
		for n in ${2:-}; do
			h=$(ns_holders "$n")
			[ -n "$h" ] && holders="$holders $n held by $(echo $h)"
		done
		cgs=$(scratch_cgroups)
		[ -z "$left" ] && [ -z "$holders" ] && [ -z "$cgs" ] && break
		sleep 0.1
	done
	if [ -n "$left" ]; then
		bad "$1: no helper or task process left" "still running: $(echo $left)"
	elif [ -n "$holders" ]; then
		bad "$1: the run's namespaces are gone" "$holders"
	elif [ -n "$cgs" ]; then
		bad "$1: the scratch cgroups are gone" "$(find $cgs -type d)"
	else
		ok "$1: nothing left behind"
	fi
}

if [ -n "$(scratch_cgroups)" ]; then
	bad "no scratch cgroup before the tests" "$(scratch_cgroups)"
	finish
fi
NS_BEFORE=$(ns_set)
IPCS_BEFORE=$(ipcs -a 2>/dev/null)

# ---------------------------------------------------------------- step streams
for in in tests/*.in; do
	name=${in#tests/}
	name=${name%.in}
	want_rc=0
	[ -f "tests/$name.rc" ] && want_rc=$(cat "tests/$name.rc")
	got=$(timeout 120 "$H" <"$in" 2>/tmp/actors-conform-test.$$.err)
	rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		bad "$name: exit status" "got $rc, want $want_rc; stderr: $(cat /tmp/actors-conform-test.$$.err)"
	elif ! diff_out=$(diff <(printf '%s\n' "$got") "tests/$name.out"); then
		bad "$name: transcript" "$(printf '%s\n' "$diff_out" | head -20)"
	else
		ok "$name: transcript"
	fi
	check_clean "$name"
done
rm -f /tmp/actors-conform-test.$$.err

# ---------------------------------------------------------------- protocol errors
expect() { # label, input, expected stdout, expected exit status
	local got rc
	got=$(printf '%b' "$2" | timeout 30 "$H" 2>/dev/null)
	rc=$?
	if [ "$rc" -ne "$4" ] || [ "$got" != "$(printf '%b' "$3")" ]; then
		bad "$1" "rc $rc (want $4); got: $(echo $got)"
	else
		ok "$1"
	fi
	check_clean "$1"
}
expect "unknown config key" 'config foo=1\nstart\n' 'error unknown config key foo' 2
expect "pid_max refused by the kernel" 'config pid_max=5\nstart\n' \
	'error pid_max=5: Invalid argument' 3
expect "config after start" 'start\nconfig pid_max=500\n' 'ready\nerror config after start' 2
expect "step before start" 'step init getpid\n' 'error step before start' 2
expect "pidof before start" 'pidof init init\n' 'error pidof before start' 2
expect "pidof of an unknown task" 'start\npidof init nobody\n' 'ready\nerror unknown task nobody' 2
expect "config msgmni refused by the kernel" 'config msgmni=-1\nstart\n' "error bad msgmni '-1'" 2
expect "unknown task" 'start\nstep nobody getpid\n' 'ready\nerror unknown task nobody' 2
expect "unknown call (tasks alive)" 'start\nstep init fork -> a\nstep a frobnicate\n' \
	'ready\n2\nerror unknown call frobnicate' 2
expect "unknown \$NAME" 'start\nstep init kill $zz 0\n' 'ready\nerror unknown task zz' 2
expect "bad flag" 'start\nstep init clone CLONE_BOGUS\n' 'ready\nerror unknown flag '"'"'CLONE_BOGUS'"'"'' 2
expect "unterminated string" 'start\nstep init write /x "abc\n' 'ready\nerror unterminated string' 2
expect "-> after a non-creating call" 'start\nstep init getpid -> x\n' \
	"ready\nerror '-> x' after getpid (only fork and clone create tasks)" 2
expect "cgroup path of another hierarchy" 'start\nstep init read /sys/fs/cgroup/cpu/tasks\n' \
	'ready\nerror path /sys/fs/cgroup/cpu/tasks: only /sys/fs/cgroup/pids and /sys/fs/cgroup/unified run on Linux (the other hierarchies are model-only)' 2
expect "cgroup path: a prefix is not a hierarchy" 'start\nstep init mkdir /sys/fs/cgroup/pidsx\n' \
	'ready\nerror path /sys/fs/cgroup/pidsx: only /sys/fs/cgroup/pids and /sys/fs/cgroup/unified run on Linux (the other hierarchies are model-only)' 2
expect "cgroup path leaving the scratch cgroup" 'start\nstep init mkdir /sys/fs/cgroup/pids/a\nstep init rmdir /sys/fs/cgroup/pids/a/../../x\n' \
	"ready\n0\nerror path /sys/fs/cgroup/pids/a/../../x: '..' in a cgroup path" 2
expect "cgroups reached another way" 'start\nstep init read /proc/self/root/sys/fs/cgroup/pids/tasks\n' \
	'ready\nerror path /proc/self/root/sys/fs/cgroup/pids/tasks reaches the host'"'"'s cgroups other than through /sys/fs/cgroup/pids or /sys/fs/cgroup/unified' 2
expect "mkdir outside /sys/fs/cgroup" 'start\nstep init mkdir /tmp/x\n' \
	'ready\nerror mkdir /tmp/x: the path must lie under /sys/fs/cgroup' 2
expect "EOF without quit" 'start\nstep init fork -> a\nstep a fork -> b\n' 'ready\n2\n3' 0
expect "string escapes" 'start\nstep init write /proc/thread-self/next_id "LONG \\"1\\""\nstep init read /proc/1/status Name\n' \
	'ready\n-1 EINVAL\n"actors-conform-"' 0

# ---------------------------------------------------------------- interactive runs
# A coprocess lets the test look at the fresh kernel while it runs, then end
# the helper in various ways.
start_helper() {
	coproc HLP { exec "$H" 2>/dev/null; }
	HPID=$HLP_PID
}
send() { printf '%s\n' "$1" >&"${HLP[1]}"; }
recv() { local l=""; IFS= read -r -t 10 l <&"${HLP[0]}"; printf '%s' "$l"; }
step() { # send a line, check its one-line answer
	local got
	send "$1"
	got=$(recv)
	if [ "$got" != "$2" ]; then
		bad "$LABEL: '$1'" "got '$got', want '$2'"
		return 1
	fi
	return 0
}
init_pid() { # the driver's child in another pid namespace (the other one is the cgroup watchdog)
	local c
	for c in $(cat "/proc/$HPID/task/$HPID/children" 2>/dev/null); do
		if [ "$(readlink "/proc/$c/ns/pid")" != "$(readlink "/proc/$HPID/ns/pid")" ]; then
			echo "$c"
			return
		fi
	done
}
run_ns() { # the running scenario's namespaces
	local i t
	i=$(init_pid)
	for t in pid ipc mnt; do readlink "/proc/$i/ns/$t"; done
}
populate() { # a scenario with processes, threads, nested pid namespaces, IPC objects
	step start ready &&
		step "step init fork -> a" 2 &&
		step "step a clone CLONE_THREAD|CLONE_SIGHAND|CLONE_VM -> t" 3 &&
		step "step a clone CLONE_NEWPID|CLONE_NEWIPC -> b" 4 &&
		step "step b fork -> c" 2 &&
		step "step init msgget 77 IPC_CREAT|0600" 0 &&
		step "step c shmget IPC_PRIVATE 4096 IPC_CREAT|0600" 0 &&
		step "step init mkdir /sys/fs/cgroup/pids/g" 0 &&
		step "step init mkdir /sys/fs/cgroup/pids/g/h" 0 &&
		step "step init write /sys/fs/cgroup/pids/g/h/cgroup.procs \$c" 0 &&
		step "step init mkdir /sys/fs/cgroup/unified/g" 0 &&
		step "step a write /sys/fs/cgroup/unified/g/cgroup.procs 0" 0
}
in_scratch() { # $1 = pid: its pids and unified cgroups (as this shell sees them)
	awk -F: '$2 == "pids" || $2 == "" { printf "%s ", $3 }' "/proc/$1/cgroup" 2>/dev/null
}
ended_with() { # wait for the helper; check its exit status
	local rc
	wait "$HPID" 2>/dev/null
	rc=$?
	if [ "$rc" -ne "$1" ]; then bad "$LABEL: helper exit status" "got $rc, want $1"; else ok "$LABEL: helper exit status $1"; fi
}

for how in quit close SIGTERM SIGINT SIGKILL protocol-error init-exit; do
	LABEL="end by $how"
	start_helper
	if ! populate; then
		kill -KILL "$HPID" 2>/dev/null
		wait "$HPID" 2>/dev/null
		check_clean "$LABEL"
		continue
	fi
	NS=$(run_ns)
	if [ "$how" = quit ]; then
		# init in the scratch cgroups, the driver outside them
		want="/actors-conform-$HPID /actors-conform-$HPID "
		if [ "$(in_scratch "$(init_pid)")" = "$want" ]; then ok "$LABEL: init in the scratch cgroups"; else bad "$LABEL: init in the scratch cgroups" "$(in_scratch "$(init_pid)")"; fi
		case "$(in_scratch "$HPID")" in
		*actors-conform*) bad "$LABEL: the driver outside the scratch cgroups" "$(in_scratch "$HPID")" ;;
		*) ok "$LABEL: the driver outside the scratch cgroups" ;;
		esac
		# The IPC objects exist, but only in the scenario's private IPC namespace.
		q=$(nsenter --ipc="/proc/$(init_pid)/ns/ipc" ipcs -q 2>/dev/null | grep -c '^0x0000004d')
		if [ "$q" = 1 ]; then ok "$LABEL: message queue lives in the private IPC ns"; else bad "$LABEL: message queue in private IPC ns" "ipcs -q there: $q"; fi
	fi
	case $how in
	quit) send quit; ended_with 0 ;;
	close) exec {HLP[1]}>&-; ended_with 0 ;;
	SIGTERM) kill -TERM "$HPID"; ended_with 143 ;;
	SIGINT) kill -INT "$HPID"; ended_with 130 ;;
	SIGKILL) kill -KILL "$HPID"; ended_with 137 ;;
	protocol-error) send "step a bogus"; ended_with 2 ;;
	init-exit)
		step "step init exit_group 0" 0 && step "step c getpid" "(dead)" && step "step t gettid" "(dead)"
		send quit
		ended_with 0
		;;
	esac
	check_clean "$LABEL"
	# shellcheck disable=SC2086
	if [ -z "$NS" ] || [ "$(echo $NS | wc -w)" -ne 3 ]; then bad "$LABEL: namespaces recorded" "'$NS'"; fi
done

# blocks forever: declared after ACTORS_CONFORM_WAIT_MS, the task stays usable
LABEL="blocks forever"
start_helper
t0=$(date +%s%N)
step start ready && step "step init fork -> a" 2 && step "step init wait" "blocks forever"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
if [ "$ms" -ge 190 ] && [ "$ms" -lt 5000 ]; then ok "$LABEL: after ${ms} ms (wait ${ACTORS_CONFORM_WAIT_MS} ms)"; else bad "$LABEL: timing" "${ms} ms"; fi
step "step init getpid" 1 && step "step a exit 3" 0 && step "step init wait" 2 &&
	step "step init wait" "-1 ECHILD" && ok "$LABEL: task usable after the interrupted wait"
send quit
ended_with 0
check_clean "$LABEL"

# ---------------------------------------------------------------- global checks
IPCS_AFTER=$(ipcs -a 2>/dev/null)
if [ "$IPCS_BEFORE" = "$IPCS_AFTER" ]; then ok "host SysV IPC objects unchanged"; else bad "host SysV IPC objects unchanged" "$(diff <(echo "$IPCS_BEFORE") <(echo "$IPCS_AFTER"))"; fi
# New namespaces held by a process named like ours (zombies included; their
# exe link is unreadable), given 5 s for the system's init to reap orphans.
for i in $(seq 50); do
	new_ns=$(comm -13 <(echo "$NS_BEFORE") <(ns_set))
	mine=""
	for n in $new_ns; do
		for p in $(ns_holders "$n"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "actors-conform-" ] && mine="$mine $n(pid $p)"
		done
	done
	[ -z "$mine" ] && break
	sleep 0.1
done
if [ -n "$mine" ]; then
	bad "no new namespace held by a helper process" "$mine"
else
	ok "no new namespace held by a helper process"
	for n in $new_ns; do
		h=$(for p in $(ns_holders "$n"); do printf '%s ' "$p/$(cat /proc/$p/comm 2>/dev/null)"; done)
		[ -n "$h" ] && echo "     (note: $n is new, held by processes not ours: $h)"
	done
fi

finish
