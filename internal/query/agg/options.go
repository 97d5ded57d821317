package agg

import (
	"github.com/concorddb/concord/internal/codes"
)

// DefaultMemoryLimit is the memory a blocking stage ($sort, $group) may hold
// by default: mongod's 100 MiB (internalQueryMaxBlockingSortMemoryUsageBytes
// and internalDocumentSourceGroupMaxMemoryBytes).
const DefaultMemoryLimit = 100 << 20

// Options bound the memory of one run of a pipeline. The zero value is
// mongod's default since 6.0: 100 MiB per stage, spilling to disk past it.
type Options struct {
	// MemoryLimit is the approximate bytes each $sort or $group stage may
	// hold (documents, group keys and accumulator state); 0 means
	// DefaultMemoryLimit.
	MemoryLimit int64
	// NoDiskUse is the aggregate command's allowDiskUse: false. A stage
	// that reaches MemoryLimit then fails with
	// QueryExceededMemoryLimitNoDiskUseAllowed (292) instead of spilling.
	NoDiskUse bool
	// TempDir is where stages spill; "" means os.TempDir(). Spill files are
	// removed when the stage's iterator is closed.
	TempDir string
}

// limit returns the memory limit in bytes.
func (o Options) limit() int64 {
	if o.MemoryLimit <= 0 {
		return DefaultMemoryLimit
	}
	return o.MemoryLimit
}

// errSortMemory is mongod's error for a $sort over the limit without
// allowDiskUse.
func errSortMemory(limit int64) error {
	return codes.New(codes.QueryExceededMemoryLimitNoDiskUseAllowed,
		"Sort exceeded memory limit of %d bytes, but did not opt in to external sorting.", limit)
}

// errGroupMemory is mongod's error for a $group over the limit without
// allowDiskUse.
func errGroupMemory() error {
	return codes.New(codes.QueryExceededMemoryLimitNoDiskUseAllowed,
		"Exceeded memory limit for $group, but didn't allow external sort. Pass allowDiskUse:true to opt in.")
}
