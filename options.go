package concord

// Options of the Collection methods. They are plain structs: a nil pointer
// or a zero field means MongoDB's default. When several are passed to one
// call they are merged left to right, a later non-zero field replacing an
// earlier one. Sort, Projection and ArrayFilters elements accept whatever a
// filter accepts (bson.D, bson.M, bson.Raw, structs).

// FindOptions configures Find.
type FindOptions struct {
	// Sort orders the results, e.g. bson.D{{"age", -1}}.
	Sort any
	// Projection selects fields, e.g. bson.D{{"name", 1}, {"_id", 0}}.
	Projection any
	// Skip skips that many documents after sorting.
	Skip int64
	// Limit caps the number of documents; 0 means no limit. A negative
	// limit is treated as its absolute value, as the driver does.
	Limit int64
	// Hint forces the index to use: its name (a string) or its key
	// pattern; bson.D{{"$natural", 1}} forces a collection scan. A hint
	// naming no usable index fails with BadValue (2).
	Hint any
	// Min and Max bound the hinted index's keys, inclusive and exclusive,
	// as documents naming its fields in order. They require Hint.
	Min, Max any
	// Collation is a collation document, e.g. bson.D{{"locale", "fr"},
	// {"strength", 2}}: the filter's comparisons and the sort order strings
	// by it. Nil or {locale: "simple"} compares bytes. An invalid one fails
	// with mongod's error.
	Collation any
	// Let binds variables for the filter's $expr and the projection's
	// expressions ($$name), e.g. bson.D{{"target", 5}}: a document of
	// expressions evaluated once, against no document, before the find
	// runs (see the Let of the other options).
	Let any
	// ReturnKey returns, instead of each document, the key of the index the
	// query used: {field: value} for each field of its key pattern ({_id}
	// for the _id index), or an empty document after a collection scan.
	// Projection is then ignored.
	ReturnKey bool
	// BatchSize is how many documents a FindStream or FindBatches cursor reads from the storage at a time when it
	// reads in batches, from 1 to 1,024 (0: 1,024), as Cursor.SetBatchSize sets it; Find's cursor ignores it.
	BatchSize int32
}

// FindOneOptions configures FindOne.
type FindOneOptions struct {
	Sort       any
	Projection any
	Skip       int64
}

// InsertManyOptions configures InsertMany.
type InsertManyOptions struct {
	// Ordered (default true) stops at the first failed document; false tries
	// every document and reports all failures.
	Ordered *bool
}

// UpdateOptions configures UpdateOne and UpdateMany.
type UpdateOptions struct {
	// Upsert inserts a document built from the filter's equality conditions
	// and the update when nothing matches.
	Upsert bool
	// ArrayFilters are the filters of the update's $[<identifier>] operators.
	ArrayFilters []any
	// Sort picks which document UpdateOne modifies when several match
	// (ignored by UpdateMany).
	Sort any
	// Collation orders and equates strings in the filter and the sort (see
	// FindOptions).
	Collation any
	// Hint forces the index that finds the documents: its name (a string)
	// or key pattern, as FindOptions.Hint.
	Hint any
	// Let binds variables ($$name) for the filter's $expr and a pipeline
	// update's expressions: a document of expressions, each evaluated once
	// against no document (so it may use $$NOW and the variables before
	// it, not a field). An invalid name fails with FailedToParse (9), a
	// system variable's name (NOW, CLUSTER_TIME) with 4738901, a value
	// reading a field with 4890500.
	Let any
}

// ReplaceOptions configures ReplaceOne.
type ReplaceOptions struct {
	Upsert bool
	// Sort picks which document is replaced when several match.
	Sort any
	// Collation is the filter's and the sort's collation (see FindOptions).
	Collation any
	// Hint and Let are as in UpdateOptions.
	Hint, Let any
}

// DeleteOptions configures DeleteOne and DeleteMany.
// ReturnDocument says which version of the document a FindOneAndUpdate or
// FindOneAndReplace returns.
type ReturnDocument int8

// The ReturnDocument values.
const (
	// Before returns the document as it was before the write (the default);
	// nothing (ErrNoDocuments) when the write was an upsert's insert.
	Before ReturnDocument = iota
	// After returns the document as written.
	After
)

// FindOneAndUpdateOptions configures FindOneAndUpdate.
type FindOneAndUpdateOptions struct {
	ReturnDocument ReturnDocument
	Upsert         bool
	Sort           any
	Projection     any
	ArrayFilters   []any
	// Collation is the filter's and the sort's collation (see FindOptions).
	Collation any
	// Hint and Let are as in UpdateOptions.
	Hint, Let any
}

// FindOneAndReplaceOptions configures FindOneAndReplace.
type FindOneAndReplaceOptions struct {
	ReturnDocument ReturnDocument
	Upsert         bool
	Sort           any
	Projection     any
	// Collation is the filter's and the sort's collation (see FindOptions).
	Collation any
	// Hint and Let are as in UpdateOptions.
	Hint, Let any
}

// FindOneAndDeleteOptions configures FindOneAndDelete.
type FindOneAndDeleteOptions struct {
	Sort       any
	Projection any
	// Collation is the filter's and the sort's collation (see FindOptions).
	Collation any
	// Hint and Let are as in UpdateOptions.
	Hint, Let any
}

// DeleteOptions configures DeleteOne and DeleteMany.
type DeleteOptions struct {
	// Collation is the filter's collation (see FindOptions).
	Collation any
	// Hint and Let are as in UpdateOptions.
	Hint, Let any
}

// CountOptions configures CountDocuments.
type CountOptions struct {
	Skip  int64
	Limit int64
	// Collation is the count's collation document (see FindOptions).
	Collation any
	// Hint forces the index, as FindOptions.Hint.
	Hint any
}

// DistinctOptions configures Distinct.
type DistinctOptions struct {
	// Collation is the collation document under which values are matched
	// and equated (see FindOptions).
	Collation any
	// Hint forces the index, as FindOptions.Hint.
	Hint any
}

// AggregateOptions configures Aggregate.
type AggregateOptions struct {
	// AllowDiskUse is the aggregate command's allowDiskUse. Nil or true lets
	// $sort and $group spill to temporary files once they hold 100 MiB
	// (mongod's default since 6.0); false makes them fail instead with
	// QueryExceededMemoryLimitNoDiskUseAllowed (292).
	AllowDiskUse *bool
	// Collation applies to every stage that compares values: $match,
	// $sort, $group keys, $lookup's equality, expressions' comparisons,
	// $in and set operators, ... (see FindOptions).
	Collation any
	// Hint forces the index that reads the collection, as FindOptions.Hint.
	Hint any
	// Let binds variables ($$name) for every stage's expressions, $lookup
	// sub-pipelines included, as UpdateOptions.Let.
	Let any
	// BatchSize is how many documents an AggregateBatches cursor's input reads from the storage at a time, as
	// FindOptions.BatchSize; Aggregate's cursor ignores it.
	BatchSize int32
}

// IndexModel describes an index for CreateIndex.
type IndexModel struct {
	// Keys is the ordered key document, e.g. bson.D{{"a", 1}, {"b", -1}}.
	// Use bson.D rather than bson.M when there is more than one key: a map
	// has no order.
	Keys any
	// Name defaults to MongoDB's generated name ("a_1_b_-1").
	Name string
	// Unique rejects a second document with the same key (DuplicateKey 11000).
	Unique bool
	// Sparse leaves out of the index the documents that have none of its
	// fields; the planner then uses it only for queries that cannot match
	// such documents.
	Sparse bool
	// PartialFilterExpression indexes only the documents it matches; the
	// planner uses the index only for queries that imply it.
	PartialFilterExpression any
	// ExpireAfterSeconds makes a one-field index a TTL index: documents
	// whose indexed date is older than this many seconds are removed in the
	// background. Nil means none.
	ExpireAfterSeconds *int32
	// Hidden keeps the index maintained but out of the planner's choices.
	Hidden bool
	// Collation is the index's collation document: its keys compare
	// strings under it (a unique index at strength 2 refuses "abc" beside
	// "ABC"), and queries use it for strings only under the same
	// collation. Nil means the collection's default collation;
	// {locale: "simple"} means binary comparison.
	Collation any
	// WildcardProjection chooses the paths of a wildcard index with keys
	// {"$**": 1}: an inclusion ({a: 1, "b.c": 1}) or exclusion ({a: 0})
	// projection; _id is indexed only when it says {_id: 1}. Nil indexes
	// every path but _id. Wildcard indexes ({"$**": 1}, {"a.$**": 1})
	// hold one entry per field path and value and serve an equality or a
	// range on one path; they cannot be unique, sparse or TTL indexes.
	WildcardProjection any
	// OverTransactionWrites is Concord's own, for layers whose transactions
	// hold DDL (its SQL front end's transaction blocks): inside a
	// transaction, on a collection the transaction created and has already
	// written documents to, CreateIndex builds the index over those
	// documents too, where MongoDB (and CreateIndex without it) refuses with
	// OperationNotSupportedInTransaction (263): mongod builds an index in a
	// transaction only on an empty collection. The index then holds the
	// transaction's documents from its commit on; a unique one over
	// documents of the transaction that repeat a key fails with
	// DuplicateKey (11000), and holds for the transaction's later writes
	// and against other transactions as any unique key a transaction wrote.
	// RollbackToSavepoint to a savepoint from before it drops it again. It
	// changes nothing outside a transaction or on another collection. The
	// MongoDB wire server never sets it.
	OverTransactionWrites bool
}

// mergeFind and the merge functions below fold a method's variadic options
// into one value, later non-zero fields winning.
func mergeFind(opts []*FindOptions) FindOptions {
	var m FindOptions
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Sort != nil {
			m.Sort = o.Sort
		}
		if o.Projection != nil {
			m.Projection = o.Projection
		}
		if o.Skip != 0 {
			m.Skip = o.Skip
		}
		if o.Limit != 0 {
			m.Limit = o.Limit
		}
		if o.Hint != nil {
			m.Hint = o.Hint
		}
		if o.Min != nil {
			m.Min = o.Min
		}
		if o.ReturnKey {
			m.ReturnKey = true
		}
		if o.BatchSize != 0 {
			m.BatchSize = o.BatchSize
		}
		if o.Max != nil {
			m.Max = o.Max
		}
		if o.Collation != nil {
			m.Collation = o.Collation
		}
		if o.Let != nil {
			m.Let = o.Let
		}
	}
	if m.Limit < 0 {
		m.Limit = -m.Limit
	}
	return m
}

// mergeFindOne folds FindOne's options.
func mergeFindOne(opts []*FindOneOptions) FindOneOptions {
	var m FindOneOptions
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Sort != nil {
			m.Sort = o.Sort
		}
		if o.Projection != nil {
			m.Projection = o.Projection
		}
		if o.Skip != 0 {
			m.Skip = o.Skip
		}
	}
	return m
}

// mergeInsertMany returns whether the insert is ordered (the default).
func mergeInsertMany(opts []*InsertManyOptions) (ordered bool) {
	ordered = true
	for _, o := range opts {
		if o != nil && o.Ordered != nil {
			ordered = *o.Ordered
		}
	}
	return ordered
}

// mergeUpdate folds UpdateOne's and UpdateMany's options.
func mergeUpdate(opts []*UpdateOptions) UpdateOptions {
	var m UpdateOptions
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Upsert {
			m.Upsert = true
		}
		if o.ArrayFilters != nil {
			m.ArrayFilters = o.ArrayFilters
		}
		if o.Sort != nil {
			m.Sort = o.Sort
		}
		if o.Collation != nil {
			m.Collation = o.Collation
		}
		m.Hint, m.Let = mergeAny(m.Hint, o.Hint), mergeAny(m.Let, o.Let)
	}
	return m
}

// mergeReplace folds ReplaceOne's options.
func mergeReplace(opts []*ReplaceOptions) ReplaceOptions {
	var m ReplaceOptions
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Upsert {
			m.Upsert = true
		}
		if o.Sort != nil {
			m.Sort = o.Sort
		}
		if o.Collation != nil {
			m.Collation = o.Collation
		}
		m.Hint, m.Let = mergeAny(m.Hint, o.Hint), mergeAny(m.Let, o.Let)
	}
	return m
}

// mergeAny is a later option's value when it is set, else the earlier one.
func mergeAny(earlier, later any) any {
	if later != nil {
		return later
	}
	return earlier
}

// mergeFindOneAndUpdate folds FindOneAndUpdate's options.
func mergeFindOneAndUpdate(opts []*FindOneAndUpdateOptions) FindOneAndUpdateOptions {
	var m FindOneAndUpdateOptions
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.ReturnDocument != Before {
			m.ReturnDocument = o.ReturnDocument
		}
		if o.Upsert {
			m.Upsert = true
		}
		if o.Sort != nil {
			m.Sort = o.Sort
		}
		if o.Projection != nil {
			m.Projection = o.Projection
		}
		if o.ArrayFilters != nil {
			m.ArrayFilters = o.ArrayFilters
		}
		if o.Collation != nil {
			m.Collation = o.Collation
		}
		m.Hint, m.Let = mergeAny(m.Hint, o.Hint), mergeAny(m.Let, o.Let)
	}
	return m
}

// mergeFindOneAndReplace folds FindOneAndReplace's options.
func mergeFindOneAndReplace(opts []*FindOneAndReplaceOptions) FindOneAndReplaceOptions {
	var m FindOneAndReplaceOptions
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.ReturnDocument != Before {
			m.ReturnDocument = o.ReturnDocument
		}
		if o.Upsert {
			m.Upsert = true
		}
		if o.Sort != nil {
			m.Sort = o.Sort
		}
		if o.Projection != nil {
			m.Projection = o.Projection
		}
		if o.Collation != nil {
			m.Collation = o.Collation
		}
		m.Hint, m.Let = mergeAny(m.Hint, o.Hint), mergeAny(m.Let, o.Let)
	}
	return m
}

// mergeFindOneAndDelete folds FindOneAndDelete's options.
func mergeFindOneAndDelete(opts []*FindOneAndDeleteOptions) FindOneAndDeleteOptions {
	var m FindOneAndDeleteOptions
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Sort != nil {
			m.Sort = o.Sort
		}
		if o.Projection != nil {
			m.Projection = o.Projection
		}
		if o.Collation != nil {
			m.Collation = o.Collation
		}
		m.Hint, m.Let = mergeAny(m.Hint, o.Hint), mergeAny(m.Let, o.Let)
	}
	return m
}

// mergeCount folds CountDocuments' options.
func mergeCount(opts []*CountOptions) CountOptions {
	var m CountOptions
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Skip != 0 {
			m.Skip = o.Skip
		}
		if o.Limit != 0 {
			m.Limit = o.Limit
		}
		if o.Collation != nil {
			m.Collation = o.Collation
		}
		m.Hint = mergeAny(m.Hint, o.Hint)
	}
	return m
}

// mergeAggregate folds Aggregate's options.
func mergeAggregate(opts []*AggregateOptions) AggregateOptions {
	var m AggregateOptions
	for _, o := range opts {
		if o != nil && o.AllowDiskUse != nil {
			m.AllowDiskUse = o.AllowDiskUse
		}
		if o != nil && o.Collation != nil {
			m.Collation = o.Collation
		}
		if o != nil {
			m.Hint, m.Let = mergeAny(m.Hint, o.Hint), mergeAny(m.Let, o.Let)
		}
		if o != nil && o.BatchSize != 0 {
			m.BatchSize = o.BatchSize
		}
	}
	return m
}

// mergeDelete folds DeleteOne's and DeleteMany's options.
func mergeDelete(opts []*DeleteOptions) DeleteOptions {
	var m DeleteOptions
	for _, o := range opts {
		if o != nil {
			m.Collation = mergeAny(m.Collation, o.Collation)
			m.Hint, m.Let = mergeAny(m.Hint, o.Hint), mergeAny(m.Let, o.Let)
		}
	}
	return m
}
