package sql

import (
	"math"
	"regexp"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The database's sequences as PostgreSQL's catalogs show them: pg_class rows of kind 'S', pg_sequence,
// pg_sequences and information_schema.sequences, and the pg_depend rows that tie a serial or identity column's
// sequence to its column and a default to the sequence it calls, from which pg_dump learns to write ALTER
// SEQUENCE ... OWNED BY (serial) or ADD GENERATED ... AS IDENTITY (identity) and to set the default after the
// sequence is made.

// sequenceOIDBase is the first oid of the sequences pg_class shows, above the indexes' (indexOIDBase).
const sequenceOIDBase = 2_000_000

// pgSequence is one sequence of the database.
type pgSequence struct {
	oid  int64
	name string
	seqState
	// typ is its data type: the owning column's (a serial column's sequence is an integer's), else bigint.
	typ uint32
	// ownerOID and ownerCol are the table and column (attnum) that own it, 0 for none; identity is set when
	// the column is an identity column.
	ownerOID, ownerCol int64
	identity           bool
}

// pgSequences lists the database's sequences in name order, numbered from sequenceOIDBase.
func (x *exec) pgSequences() ([]pgSequence, error) {
	docs, err := x.s.db().collection(sequencesCollection).find(x.catRead(), bson.D{}, nil, 0)
	if err != nil {
		return nil, err
	}
	tables, oids, err := x.declaredTables()
	if err != nil {
		return nil, err
	}
	out := make([]pgSequence, 0, len(docs))
	for _, d := range docs {
		name, ok := d.Lookup("_id").StringValueOK()
		if !ok {
			continue
		}
		out = append(out, pgSequence{name: name, seqState: seqOf(d), typ: OIDInt8})
	}
	slices.SortFunc(out, func(a, b pgSequence) int { return strings.Compare(a.name, b.name) })
	for i := range out {
		s := &out[i]
		s.oid = int64(sequenceOIDBase + i)
		for _, t := range tables {
			for j, c := range t.Columns {
				if c.Sequence != s.name {
					continue
				}
				s.ownerOID, s.ownerCol, s.identity = oids[t.Name], int64(j+1), c.Identity != ""
				// A serial column's sequence keeps bigint's bounds here; PostgreSQL's is of the column's type,
				// with that type's bounds, which a restore then gives it.
				if typeMax := map[uint32]int64{OIDInt2: math.MaxInt16, OIDInt4: math.MaxInt32}[c.Type]; typeMax != 0 &&
					s.inc > 0 && s.max == math.MaxInt64 {
					s.typ, s.max = c.Type, typeMax
				}
			}
		}
	}
	return out, nil
}

// sequenceByOID finds a sequence by the oid pg_class shows for it.
func (x *exec) sequenceByOID(oid int64) (string, bool, error) {
	if oid < sequenceOIDBase {
		return "", false, nil
	}
	seqs, err := x.pgSequences()
	if err != nil {
		return "", false, err
	}
	if i := oid - sequenceOIDBase; i < int64(len(seqs)) {
		return seqs[i].name, true, nil
	}
	return "", false, nil
}

// lastValue is pg_sequences.last_value: NULL until nextval (or setval) has given a value.
func (s *pgSequence) lastValue() any {
	if !s.called {
		return nil
	}
	return s.last
}

// sequenceCatalog fills pg_sequence, pg_sequences and information_schema.sequences; ok is false for any other
// relation.
func (x *exec) sequenceCatalog(schema, name string, rel *relation, col func(string, uint32)) (bool, error) {
	switch {
	case schema == "information_schema" && name == "sequences", schema != "information_schema" && (name == "pg_sequence" || name == "pg_sequences"):
	default:
		return false, nil
	}
	seqs, err := x.pgSequences()
	if err != nil {
		return true, err
	}
	switch name {
	case "pg_sequence":
		col("seqrelid", OIDOID)
		col("seqtypid", OIDOID)
		for _, c := range []string{"seqstart", "seqincrement", "seqmax", "seqmin", "seqcache"} {
			col(c, OIDInt8)
		}
		col("seqcycle", OIDBool)
		for _, s := range seqs {
			rel.rows = append(rel.rows, []any{s.oid, int64(s.typ), s.start, s.inc, s.max, s.min, int64(1), s.cycle})
		}
	case "pg_sequences":
		for _, c := range []string{"schemaname", "sequencename", "sequenceowner"} {
			col(c, OIDName)
		}
		col("data_type", OIDText) // regtype in PostgreSQL, shown as the type's name
		for _, c := range []string{"start_value", "min_value", "max_value", "increment_by"} {
			col(c, OIDInt8)
		}
		col("cycle", OIDBool)
		col("cache_size", OIDInt8)
		col("last_value", OIDInt8)
		for _, s := range seqs {
			rel.rows = append(rel.rows, []any{"public", s.name, x.s.user(), TypeName(s.typ), s.start, s.min, s.max, s.inc,
				s.cycle, int64(1), s.lastValue()})
		}
	case "sequences":
		for _, c := range []string{"sequence_catalog", "sequence_schema", "sequence_name", "data_type"} {
			col(c, OIDText)
		}
		for _, c := range []string{"numeric_precision", "numeric_precision_radix", "numeric_scale"} {
			col(c, OIDInt4)
		}
		for _, c := range []string{"start_value", "minimum_value", "maximum_value", "increment", "cycle_option"} {
			col(c, OIDText)
		}
		for _, s := range seqs {
			if s.identity {
				continue // as in PostgreSQL, whose view leaves out identity columns' sequences
			}
			precision := map[uint32]int64{OIDInt2: 16, OIDInt4: 32}[s.typ]
			if precision == 0 {
				precision = 64
			}
			rel.rows = append(rel.rows, []any{x.s.database, "public", s.name, TypeName(s.typ), precision, int64(2), int64(0),
				formatText(s.start), formatText(s.min), formatText(s.max), formatText(s.inc), map[bool]string{true: "YES", false: "NO"}[s.cycle]})
		}
	}
	return true, nil
}

// nextvalOf reads the sequence a default calls nextval on ("" for none): nextval('name'::regclass), the name
// quoted or schema-qualified as PostgreSQL writes it.
var nextvalOf = regexp.MustCompile(`nextval\('(?:public\.)?("(?:[^"']|"")+"|[^'".]+)'(?:::regclass)?\)`)

// defaultSequence is the sequence column c's default takes its values from, "" for none.
func defaultSequence(c column) string {
	if c.Sequence != "" {
		return c.Sequence
	}
	m := nextvalOf.FindStringSubmatch(c.Default)
	if m == nil {
		return ""
	}
	if strings.HasPrefix(m[1], `"`) {
		return strings.ReplaceAll(m[1][1:len(m[1])-1], `""`, `"`)
	}
	return m[1]
}

// qualifyNextval writes the sequences a default's nextval calls name as public.name, as pg_get_expr does when
// public is not on the search path (pg_dump's restore runs with an empty one).
func qualifyNextval(def string) string {
	return nextvalOf.ReplaceAllStringFunc(def, func(m string) string {
		if strings.HasPrefix(m, "nextval('public.") {
			return m
		}
		return "nextval('public." + strings.TrimPrefix(m, "nextval('")
	})
}

// publicOnPath reports whether public is on the session's search_path, where the catalog functions leave the
// names of its objects unqualified (pg_dump empties the path, and then gets public.accounts).
func (x *exec) publicOnPath() bool {
	path, ok := x.s.params.vals["search_path"]
	if !ok {
		return true
	}
	for _, p := range strings.Split(path, ",") {
		p = strings.Trim(strings.TrimSpace(p), `"`)
		if p == "public" {
			return true
		}
	}
	return false
}
