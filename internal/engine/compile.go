package engine

import (
	"context"
	"sync"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/update"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Compiled-update cache bounds: only small update documents are kept (the
// ones applications repeat, such as {$inc: {n: 1}}), and the cache starts
// over when it is full, so a stream of distinct updates costs one map
// insert each and a bounded amount of memory.
const (
	updateCacheMaxEntries = 1024
	updateCacheMaxBytes   = 512
)

// updateCache maps the bytes of an update document to its compiled form.
// A update.Update is immutable and safe for concurrent use, and compiling
// depends on nothing but the bytes (the time $currentDate stores is given to
// Apply), so one compiled update can serve every statement that sends the
// same bytes. Only successful compilations are kept: an invalid update is
// compiled again and fails again with the same error. Safe for concurrent
// use; the zero value is ready.
type updateCache struct {
	mu sync.RWMutex
	m  map[string]*update.Update
}

// compileSpec compiles a statement's update: the pipeline of a
// pipeline-style update (not cached: it is compiled in the command's scope,
// see scopeFrom; arrayFilters are refused with it, as mongod does) or the
// update document. A pipeline's expressions compare strings under coll (nil: bytes), the statement's
// collation.
func (c *updateCache) compileSpec(ctx context.Context, spec bson.Raw, pipeline, arrayFilters []bson.Raw, coll *collation.Collation) (*update.Update, error) {
	if pipeline == nil {
		return c.compile(spec, arrayFilters)
	}
	if len(arrayFilters) > 0 {
		return nil, codes.New(codes.FailedToParse, "arrayFilters may not be specified for pipeline-style updates")
	}
	return update.CompilePipelineIn(pipeline, scopeFrom(ctx).Collate(stringComparer(coll)))
}

// compile returns the compiled update, from the cache when the same bytes
// were compiled before. Updates with array filters bypass the cache (their
// meaning depends on the filters too), as do malformed and large ones.
func (c *updateCache) compile(spec bson.Raw, arrayFilters []bson.Raw) (*update.Update, error) {
	if len(arrayFilters) > 0 || len(spec) < 5 || len(spec) > updateCacheMaxBytes {
		return update.Compile(spec, arrayFilters)
	}
	c.mu.RLock()
	u := c.m[string(spec)]
	c.mu.RUnlock()
	if u != nil {
		return u, nil
	}
	// Compile from a private copy: the compiled form may alias its input,
	// and the caller may reuse its buffer once the statement ends.
	key := string(spec)
	u, err := update.Compile(bson.Raw(key), nil)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= updateCacheMaxEntries {
		c.m = make(map[string]*update.Update)
	}
	c.m[key] = u
	c.mu.Unlock()
	return u, nil
}
