package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuTimes is the machine-wide CPU time from the first line of /proc/stat, in clock ticks. Throughput on a small
// shared machine moves with what its neighbours do; the CPU time the machine spent per operation moves much
// less, and it counts every process of a target: client, server and, for PostgreSQL, its backends and WAL
// writer. Time stolen by the hypervisor is kept apart: it is the neighbours', not the target's.
type cpuTimes struct {
	ok                 bool
	busy, steal, total uint64
}

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux architecture Go supports.
const clockTicks = 100

// readCPUTimes reads /proc/stat; on systems without it the result reports nothing.
func readCPUTimes() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTimes{}
	}
	var v [8]uint64 // user nice system idle iowait irq softirq steal
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return cpuTimes{}
		}
		v[i] = n
	}
	t := cpuTimes{ok: true, busy: v[0] + v[1] + v[2] + v[5] + v[6], steal: v[7]}
	for _, n := range v {
		t.total += n
	}
	return t
}

// since returns the times spent between before and t.
func (t cpuTimes) since(before cpuTimes) cpuTimes {
	if !t.ok || !before.ok {
		return cpuTimes{}
	}
	return cpuTimes{ok: true, busy: t.busy - before.busy, steal: t.steal - before.steal, total: t.total - before.total}
}

// plus adds two spans of time; the sum is unknown when either is.
func (t cpuTimes) plus(u cpuTimes) cpuTimes {
	if !u.ok {
		return t
	}
	if !t.ok {
		return u
	}
	return cpuTimes{ok: true, busy: t.busy + u.busy, steal: t.steal + u.steal, total: t.total + u.total}
}

// perOp returns the busy CPU time per operation in microseconds, or 0 when it is unknown.
func (t cpuTimes) perOp(ops int64) float64 {
	if !t.ok || ops == 0 {
		return 0
	}
	return float64(t.busy) / clockTicks / float64(ops) * 1e6
}

// describe gives the busy CPU time per operation, and the shares of time the CPUs were idle (waiting on the disk
// included) and stolen, for ops operations.
func (t cpuTimes) describe(ops int64) string {
	if !t.ok || ops == 0 || t.total == 0 {
		return "cpu n/a"
	}
	idle := t.total - t.busy - t.steal
	return fmt.Sprintf("cpu %4.0f us/op  idle %2.0f%%  steal %2.0f%%", t.perOp(ops),
		100*float64(idle)/float64(t.total), 100*float64(t.steal)/float64(t.total))
}
