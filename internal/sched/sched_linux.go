package sched

import (
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Supported reports whether SetBatch can change the policy on this system.
const Supported = true

// SetBatch puts every thread of the process under SCHED_BATCH (on) or SCHED_NORMAL (off), keeping their nice
// values. A thread the Go runtime starts later inherits the policy of the thread that starts it, so passes repeat
// until one finds every thread already set (a thread started during a pass is met by the next).
func SetBatch(on bool) error {
	policy := unix.SCHED_NORMAL
	if on {
		policy = unix.SCHED_BATCH
	}
	for range 4 {
		changed, err := setAll(policy)
		if err != nil || !changed {
			return err
		}
	}
	return nil
}

// setAll sets policy on every thread listed in /proc/self/task, reporting whether any had another.
func setAll(policy int) (bool, error) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return false, err
	}
	changed := false
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		cur, _, e := unix.RawSyscall(unix.SYS_SCHED_GETSCHEDULER, uintptr(tid), 0, 0)
		if e == unix.ESRCH {
			continue // the thread ended
		}
		if e != 0 {
			return changed, e
		}
		if int(cur) == policy {
			continue
		}
		// sched_setscheduler (unlike sched_setattr) keeps the thread's nice value.
		var prio int32
		_, _, e = unix.RawSyscall(unix.SYS_SCHED_SETSCHEDULER, uintptr(tid), uintptr(policy), uintptr(unsafe.Pointer(&prio)))
		if e == unix.ESRCH {
			continue
		}
		if e != 0 {
			return changed, e
		}
		changed = true
	}
	return changed, nil
}

// Batch reports whether the calling thread runs under SCHED_BATCH.
func Batch() bool {
	cur, _, e := unix.RawSyscall(unix.SYS_SCHED_GETSCHEDULER, 0, 0, 0)
	return e == 0 && int(cur) == unix.SCHED_BATCH
}
