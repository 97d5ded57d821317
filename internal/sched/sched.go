// Package sched sets the Linux scheduling policy of every thread of the process, SCHED_BATCH or SCHED_NORMAL.
// Under SCHED_BATCH the fair scheduler's wakeup preemption is off: a thread woken by a socket write or a finished
// fdatasync waits for a free CPU or the running thread's tick instead of preempting the thread that woke it, which
// saves a context switch per hand-off when the CPUs are busy. scripts/abspread uses it to measure how much a client's
// policy moves a server's throughput (docs/benchmarks.md). Elsewhere than Linux the calls do nothing.
package sched
