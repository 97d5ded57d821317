// Package cputime reads the CPU time the process has used, which benchmarks divide by their operations: unlike
// wall time, it is not inflated by other processes on a busy machine.
package cputime
