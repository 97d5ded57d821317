package sched

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// policies returns the policy of every thread of the process.
func policies(t *testing.T) map[int]int {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		p, _, e := unix.RawSyscall(unix.SYS_SCHED_GETSCHEDULER, uintptr(tid), 0, 0)
		if e == 0 {
			out[tid] = int(p)
		}
	}
	return out
}

// SetBatch reaches every thread, threads started afterwards inherit it, and it goes back; the nice value stays.
func TestSetBatch(t *testing.T) {
	nice, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := SetBatch(true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { SetBatch(false) })
	for tid, p := range policies(t) {
		if p != unix.SCHED_BATCH {
			t.Errorf("thread %d: policy %d after SetBatch(true)", tid, p)
		}
	}
	// Goroutines locked to their threads while others block force the runtime to start threads.
	var wg sync.WaitGroup
	release := make(chan struct{})
	got := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			got <- Batch()
			<-release
		}()
	}
	for range 8 {
		if !<-got {
			t.Error("a thread running a new goroutine is not under SCHED_BATCH")
		}
	}
	close(release)
	wg.Wait()
	if n, _ := unix.Getpriority(unix.PRIO_PROCESS, 0); n != nice {
		t.Errorf("nice value %d after SetBatch, %d before", n, nice)
	}
	if err := SetBatch(false); err != nil {
		t.Fatal(err)
	}
	for tid, p := range policies(t) {
		if p != unix.SCHED_NORMAL {
			t.Errorf("thread %d: policy %d after SetBatch(false)", tid, p)
		}
	}
}
