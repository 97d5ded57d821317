package sql

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// MaxCopyBytes bounds the data of one COPY ... FROM STDIN: the rows are inserted in one transaction, after the
// whole of it has arrived. Beyond it the COPY fails with 54000 and inserts nothing.
var MaxCopyBytes = 256 << 20

// CopyIn describes a COPY ... FROM STDIN to the source of its data: the columns each row fills, in order, and
// whether the data is in PostgreSQL's binary copy format (else text or CSV, which the session parses).
type CopyIn struct {
	Columns []Column
	Binary  bool
}

// CopySource gives COPY ... FROM STDIN its data: the PostgreSQL port reads it from the client.
type CopySource interface {
	// CopyData announces the copy to the client and returns the data it sent, whole (at most MaxCopyBytes).
	CopyData(ctx context.Context, in *CopyIn) ([]byte, error)
	// DecodeBinary decodes one field of the binary format, a value of type oid, as a Bind parameter's.
	DecodeBinary(oid uint32, b []byte) (any, error)
}

// SetCopySource sets where COPY ... FROM STDIN reads its data; without one it fails with 0A000 (the embedded
// database/sql driver has no client to send data).
func (s *Session) SetCopySource(src CopySource) { s.copySrc = src }

// CopyOut is set on the Result of COPY ... TO STDOUT: the rows go to the client as CopyData messages, the
// header line first when there is one, each row as Line formats it.
type CopyOut struct {
	opts copyOpts
	// Header is the CSV or text header line (the column names), or nil.
	Header []byte
}

// Line appends row, of values of the columns' types, as one line of the copy's format.
func (o *CopyOut) Line(dst []byte, cols []Column, row []any) ([]byte, error) {
	for i, v := range row {
		if i > 0 {
			dst = append(dst, o.opts.delim)
		}
		if v == nil {
			dst = append(dst, o.opts.null...)
			continue
		}
		c, err := coerce(v, cols[i].OID)
		if err != nil {
			return nil, err
		}
		text := string(AppendTypedMod(nil, c, cols[i].OID, DisplayMod(cols[i])))
		if o.opts.csv && (o.opts.forceAll || o.opts.force[cols[i].Name]) {
			dst = o.opts.quoted(dst, text)
			continue
		}
		dst = o.opts.appendField(dst, text)
	}
	return append(dst, '\n'), nil
}

// copyOpts are a COPY's format options.
type copyOpts struct {
	csv, binary, header bool
	delim, quote, esc   byte
	null                string
	// forceAll and force are FORCE_QUOTE's: every column's values, or the named columns', quoted in CSV output.
	forceAll bool
	force    map[string]bool
}

// parseCopyOptions reads COPY's options (new and old syntax) with PostgreSQL's defaults and checks.
func parseCopyOptions(list []*pg.Node) (copyOpts, error) {
	o := copyOpts{delim: '\t', null: `\N`, quote: '"', esc: '"'}
	var delim, null, quote, esc *string
	str := func(d *pg.DefElem) (string, error) {
		if d.Arg == nil {
			return "", errorf(CodeSyntaxError, "%s requires a parameter", d.Defname)
		}
		if s := d.Arg.GetString_(); s != nil {
			return s.Sval, nil
		}
		return "", errorf(CodeSyntaxError, "%s requires a string", d.Defname)
	}
	for _, n := range list {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "format":
			f, err := str(d)
			if err != nil {
				return o, err
			}
			switch strings.ToLower(f) {
			case "text":
			case "csv":
				o.csv = true
			case "binary":
				o.binary = true
			default:
				return o, errorf(CodeInvalidParameterValue, "COPY format \"%s\" not recognized", f)
			}
		case "header":
			o.header = true
			if d.Arg != nil {
				if b := d.Arg.GetBoolean(); b != nil {
					o.header = b.Boolval
				} else if s, err := str(d); err == nil {
					v, err := coerce(s, OIDBool)
					if err != nil {
						return o, errorf(CodeSyntaxError, "header requires a Boolean value")
					}
					o.header = v.(bool)
				} else if i := d.Arg.GetInteger(); i != nil {
					o.header = i.Ival != 0
				}
			}
		case "delimiter", "null", "quote", "escape":
			s, err := str(d)
			if err != nil {
				return o, err
			}
			switch d.Defname {
			case "delimiter":
				delim = &s
			case "null":
				null = &s
			case "quote":
				quote = &s
			default:
				esc = &s
			}
		case "encoding":
			s, err := str(d)
			if err != nil {
				return o, err
			}
			if n := strings.ToUpper(strings.ReplaceAll(s, "-", "")); n != "UTF8" && n != "SQLASCII" {
				return o, unsupported("COPY ENCODING " + s + " (Concord's data is UTF8)")
			}
		case "freeze":
		case "force_quote":
			if d.Arg.GetAStar() != nil {
				o.forceAll = true
				break
			}
			o.force = map[string]bool{}
			for _, c := range d.Arg.GetList().GetItems() {
				o.force[c.GetString_().GetSval()] = true
			}
		default:
			return o, errorf(CodeSyntaxError, "option \"%s\" not recognized", d.Defname)
		}
	}
	if o.csv {
		o.delim, o.null = ',', ""
	}
	if o.binary && (delim != nil || null != nil || quote != nil || esc != nil) {
		return o, errorf(CodeSyntaxError, "cannot specify DELIMITER, NULL, QUOTE or ESCAPE in BINARY mode")
	}
	if !o.csv && (quote != nil || esc != nil) {
		return o, unsupported("COPY QUOTE and ESCAPE outside CSV mode")
	}
	one := func(p *string, what string, dst *byte) error {
		if p == nil {
			return nil
		}
		if len(*p) != 1 {
			return errorf(CodeFeatureNotSupported, "COPY %s must be a single one-byte character", what)
		}
		*dst = (*p)[0]
		return nil
	}
	if err := one(delim, "delimiter", &o.delim); err != nil {
		return o, err
	}
	if err := one(quote, "quote", &o.quote); err != nil {
		return o, err
	}
	if esc == nil {
		o.esc = o.quote
	} else if err := one(esc, "escape", &o.esc); err != nil {
		return o, err
	}
	if null != nil {
		o.null = *null
	}
	if o.delim == '\n' || o.delim == '\r' || (!o.csv && o.delim == '\\') {
		return o, errorf(CodeInvalidParameterValue, "COPY delimiter cannot be newline, carriage return or backslash")
	}
	if o.csv && o.delim == o.quote {
		return o, errorf(CodeInvalidParameterValue, "COPY delimiter and quote must be different")
	}
	return o, nil
}

// copyTarget resolves COPY's table and the columns its rows have: the column list, or every declared column.
func (x *exec) copyTarget(cs *pg.CopyStmt) (*table, []Column, error) {
	if cs.Relation == nil {
		return nil, nil, nil
	}
	mode := lockRowExclusive
	if !cs.IsFrom {
		mode = lockAccessShare // COPY TO only reads
	}
	t, _, err := x.targetLocked(cs.Relation, mode)
	if err != nil {
		return nil, nil, err
	}
	var cols []Column
	for _, a := range cs.Attlist {
		name := a.GetString_().GetSval()
		if t.declared && t.column(name) == nil {
			return nil, nil, errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", name, t.Name)
		}
		cols = append(cols, Column{Name: name, OID: t.colType(name), TypMod: t.typmodOfColumn(name)})
	}
	if cols == nil {
		if !t.declared {
			return nil, nil, errorf(CodeSyntaxError, "COPY of %q, a collection without declared columns, needs a column list", t.Name)
		}
		for _, c := range t.Columns {
			cols = append(cols, Column{Name: c.Name, OID: c.Type, TypMod: c.TypMod})
		}
	}
	return t, cols, nil
}

// copyInput is a COPY ... FROM STDIN read by readCopyData: its table, the columns its rows fill, its format
// and its data.
type copyInput struct {
	t    *table
	cols []Column
	opts copyOpts
	data []byte
}

// readCopyData resolves a COPY ... FROM STDIN and fetches its data from the session's source, before the
// statement's transaction starts (a retried transaction inserts the same rows again).
func (x *exec) readCopyData(cs *pg.CopyStmt) error {
	if cs.Filename != "" || cs.IsProgram {
		return copyFileError()
	}
	if cs.WhereClause != nil {
		return unsupported("COPY ... WHERE")
	}
	o, err := parseCopyOptions(cs.Options)
	if err != nil {
		return err
	}
	t, cols, err := x.copyTarget(cs)
	if err != nil {
		return err
	}
	if t.hasTriggers(trigInsert) && x.s.txn == nil {
		return errNeedsBlock // before the client's data is read: the run in a block reads it
	}
	if x.s.copySrc == nil {
		return unsupported("COPY FROM STDIN without a client sending data (the embedded driver): use INSERT")
	}
	data, err := x.s.copySrc.CopyData(x.base, &CopyIn{Columns: cols, Binary: o.binary})
	if err != nil {
		return err
	}
	x.copyIn = &copyInput{t: t, cols: cols, opts: o, data: data}
	return nil
}

func copyFileError() *Error {
	return &Error{Code: CodeInsufficientPrivilege, Message: "COPY to or from a file or program is not allowed",
		Hint: "Use COPY ... FROM STDIN or TO STDOUT (psql's \\copy does)."}
}

// copy runs COPY: FROM STDIN inserts the rows read by readCopyData, all of them or none; TO STDOUT returns a
// table's rows (the columns listed) or a query's, for the client to receive as CopyData.
func (x *exec) copy(cs *pg.CopyStmt) (*Result, error) {
	if cs.Filename != "" || cs.IsProgram {
		return nil, copyFileError()
	}
	if cs.WhereClause != nil {
		return nil, unsupported("COPY ... WHERE")
	}
	o, err := parseCopyOptions(cs.Options)
	if err != nil {
		return nil, err
	}
	if x.describe {
		return &Result{}, nil // PostgreSQL describes a COPY as returning no rows
	}
	if cs.IsFrom {
		return x.copyFrom()
	}
	if o.binary {
		return nil, unsupported("COPY TO in the binary format")
	}
	out := &CopyOut{opts: o}
	header := func(cols []Column) {
		if !o.header {
			return
		}
		var h []byte
		for i, c := range cols {
			if i > 0 {
				h = append(h, o.delim)
			}
			h = o.appendField(h, c.Name)
		}
		out.Header = append(h, '\n')
	}
	// The statement's rows stream to its sink when it has one (stream.go).
	streams := x.sink != nil && x.sinkStmt.GetCopyStmt() == cs
	if q := cs.Query; q != nil {
		sel := q.GetSelectStmt()
		if sel == nil {
			return nil, unsupported("COPY (" + nodeName(q) + ") TO")
		}
		if t := x.streamTable(sel); streams && t != nil {
			var cols []Column
			n, err := x.streamRows(sel, t, func(c []Column) error {
				cols = c
				header(cols)
				return x.sink.Start(&Result{Columns: cols, Copy: out})
			}, x.sink.Rows)
			if err != nil {
				return nil, err
			}
			return &Result{Columns: cols, Tag: fmt.Sprintf("COPY %d", n), Copy: out, Streamed: true}, nil
		}
		rel, err := x.selectRows(sel, nil, -1)
		if err != nil {
			return nil, err
		}
		cols, rows := resultOf(rel)
		header(cols)
		return &Result{Columns: cols, Rows: rows, Tag: fmt.Sprintf("COPY %d", len(rows)), Copy: out}, nil
	}
	t, cols, err := x.copyTarget(cs)
	if err != nil {
		return nil, err
	}
	for i := range cols {
		if cols[i].OID == 0 {
			cols[i].OID = OIDText
		}
	}
	header(cols)
	// pick makes a scan's rows the columns COPY lists.
	pick := func(rel *relation) [][]any {
		all, allRows := resultOf(rel)
		idx := make([]int, len(cols))
		for i, w := range cols {
			idx[i] = -1
			for k, c := range all {
				if c.Name == w.Name {
					idx[i] = k
				}
			}
		}
		rows := make([][]any, len(allRows))
		for j, r := range allRows {
			row := make([]any, len(idx))
			for i, k := range idx {
				if k >= 0 {
					row[i] = r[k]
				}
			}
			rows[j] = row
		}
		return rows
	}
	if !streams || t.View != "" {
		rel, err := x.scan(t, t.Name, nil)
		if err != nil {
			return nil, err
		}
		rows := pick(rel)
		return &Result{Columns: cols, Rows: rows, Tag: fmt.Sprintf("COPY %d", len(rows)), Copy: out}, nil
	}
	if err := x.sink.Start(&Result{Columns: cols, Copy: out}); err != nil {
		return nil, err
	}
	ts := &tableStream{table: t.Name}
	x.streaming = ts
	defer func() {
		x.streaming = nil
		ts.close(x.ctx)
	}()
	n := 0
	for {
		ts.armed = true
		rel, err := x.scan(t, t.Name, nil)
		if err != nil {
			return nil, err
		}
		rows := pick(rel)
		if len(rows) > 0 {
			if err := x.sink.Rows(rows); err != nil {
				return nil, err
			}
		}
		n += len(rows)
		if ts.done || ts.armed {
			return &Result{Columns: cols, Tag: fmt.Sprintf("COPY %d", n), Copy: out, Streamed: true}, nil
		}
	}
}

// copyFrom parses the data of COPY ... FROM STDIN and inserts its rows as INSERT does (defaults, NOT NULL,
// identity columns), in the statement's transaction.
func (x *exec) copyFrom() (*Result, error) {
	in := x.copyIn
	t, cols, o := in.t, in.cols, in.opts
	var rows [][]any
	var err error
	switch {
	case o.binary:
		rows, err = x.parseCopyBinary(in.data, cols)
	case o.csv:
		rows, err = parseCopyCSV(in.data, cols, o)
	default:
		rows, err = parseCopyText(in.data, cols, o)
	}
	if err != nil {
		if e := AsError(err); strings.HasPrefix(e.Detail, "line ") && e.Where == "" {
			e.Where, e.Detail = "COPY "+t.Name+", "+e.Detail, "" // PostgreSQL's context names the table and line
		}
		return nil, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	coll := x.writeColl(t)
	fires := t.hasTriggers(trigInsert)
	if fires {
		if err := x.fireStatement(t, trigInsert, true, nil); err != nil {
			return nil, err
		}
	}
	var after []rowEvent
	copied := 0
	for i, row := range rows {
		where := func(err error) error {
			e := AsError(x.uniqueViolation(err)) // a duplicate key's error as PostgreSQL words it, then its context
			if w := e.Where; w == "" || !strings.HasPrefix(w[strings.LastIndexByte(w, '\n')+1:], "COPY ") {
				// PostgreSQL's context: the line, and for a value its column's type does not take, the column;
				// below the context of the value's own input (JSON data, line 1: ...).
				where := fmt.Sprintf("COPY %s, line %d", t.Name, i+1+btoi(o.header)) + x.copyColumn(t, names, row, e)
				if e.Where != "" {
					where = e.Where + "\n" + where
				}
				e.Where = where
			}
			return e
		}
		for _, n := range names {
			if c := t.column(n); c != nil && c.Generated != "" {
				return nil, &Error{Code: "42P10", Message: fmt.Sprintf("column \"%s\" is a generated column", n),
					Detail: "Generated columns cannot be used in COPY."}
			}
		}
		if err := checkIdentity(t, names, row); err != nil {
			return nil, where(err)
		}
		doc, err := x.document(t, names, row)
		if err != nil {
			return nil, where(err)
		}
		raw, err := bson.Marshal(doc)
		if err != nil {
			return nil, where(err)
		}
		if fires {
			if raw, err = x.beforeInsert(t, raw); err != nil {
				return nil, where(err)
			}
			if raw == nil {
				continue // a BEFORE trigger skipped the row
			}
			after = append(after, rowEvent{event: trigInsert, new: docValues(t, raw)})
		}
		if err := coll.insertOne(x.ctx, bson.Raw(raw)); err != nil {
			return nil, where(err)
		}
		copied++
		if i%1024 == 1023 {
			if err := x.ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	if fires {
		for _, ev := range after {
			if _, err := x.fireRow(t, trigInsert, false, nil, nil, ev.new); err != nil {
				return nil, err
			}
		}
		if err := x.fireStatement(t, trigInsert, false, nil); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: fmt.Sprintf("COPY %d", copied)}, nil
}

// copyColumn names, for a data exception (class 22) of a COPY row, the first column whose text its type refuses:
// `, column amt: "abc"`, as PostgreSQL's context of the error names it; "" for any other error.
func (x *exec) copyColumn(t *table, names []string, row []any, e *Error) string {
	if !strings.HasPrefix(e.Code, "22") || !t.declared {
		return ""
	}
	for i, n := range names {
		if i >= len(row) {
			break
		}
		s, ok := row[i].(string)
		if !ok {
			continue
		}
		typ := t.colType(n)
		if _, err := toStored(x.relativeTime(s, typ), typ, t.typmodOfColumn(n)); err != nil {
			return fmt.Sprintf(", column %s: \"%s\"", n, s)
		}
	}
	return ""
}

// badCopy is 22P04, PostgreSQL's bad_copy_file_format.
func badCopy(line int, format string, args ...any) *Error {
	e := errorf("22P04", format, args...)
	if line > 0 {
		e.Detail = fmt.Sprintf("line %d", line)
	}
	return e
}

// parseCopyText parses the text format: one row per line, fields split by the delimiter, backslash escapes,
// the NULL string (\N by default) for NULL, and a line \. ending the data.
func parseCopyText(data []byte, cols []Column, o copyOpts) ([][]any, error) {
	var rows [][]any
	for n, line := 1, data; len(line) > 0; n++ {
		var l []byte
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			l, line = line[:i], line[i+1:]
		} else {
			l, line = line, nil
		}
		l = bytes.TrimSuffix(l, []byte{'\r'})
		if string(l) == `\.` {
			break
		}
		if n == 1 && o.header {
			continue
		}
		var row []any
		var field []byte
		raw := 0 // start of the field's raw text, for the NULL comparison
		flush := func(end int) {
			if string(l[raw:end]) == o.null {
				row = append(row, nil)
			} else {
				row = append(row, string(field))
			}
			field = field[:0:0]
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			switch {
			case c == o.delim:
				flush(i)
				raw = i + 1
			case c == '\\' && i+1 < len(l):
				i++
				switch d := l[i]; d {
				case 'b':
					field = append(field, '\b')
				case 'f':
					field = append(field, '\f')
				case 'n':
					field = append(field, '\n')
				case 'r':
					field = append(field, '\r')
				case 't':
					field = append(field, '\t')
				case 'v':
					field = append(field, '\v')
				case 'x':
					j := i + 1
					for j < len(l) && j < i+3 && isHex(l[j]) {
						j++
					}
					if j == i+1 {
						field = append(field, 'x')
						break
					}
					v, _ := strconv.ParseUint(string(l[i+1:j]), 16, 8)
					field = append(field, byte(v))
					i = j - 1
				case '0', '1', '2', '3', '4', '5', '6', '7':
					j := i
					for j < len(l) && j < i+3 && l[j] >= '0' && l[j] <= '7' {
						j++
					}
					v, _ := strconv.ParseUint(string(l[i:j]), 8, 16)
					field = append(field, byte(v))
					i = j - 1
				default:
					field = append(field, d)
				}
			default:
				field = append(field, c)
			}
		}
		flush(len(l))
		if err := checkCopyRow(row, cols, n); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// checkCopyRow checks a parsed row's field count against the columns, with PostgreSQL's messages.
func checkCopyRow(row []any, cols []Column, line int) error {
	if len(row) < len(cols) {
		return badCopy(line, "missing data for column \"%s\"", cols[len(row)].Name)
	}
	if len(row) > len(cols) {
		return badCopy(line, "extra data after last expected column")
	}
	for _, v := range row {
		if s, ok := v.(string); ok && !utf8.ValidString(s) {
			return badCopy(line, "invalid byte sequence for encoding \"UTF8\"")
		}
	}
	return nil
}

// parseCopyCSV parses the CSV format: fields split by the delimiter, quoted fields (which may hold delimiters,
// quotes doubled or escaped, and newlines), an unquoted field equal to the NULL string (empty by default) for
// NULL, an optional header line, and a line \. ending the data.
func parseCopyCSV(data []byte, cols []Column, o copyOpts) ([][]any, error) {
	var rows [][]any
	line, i := 1, 0
	for i < len(data) {
		start := line
		if end := bytes.IndexByte(data[i:], '\n'); (end >= 0 && string(bytes.TrimSuffix(data[i:i+end], []byte{'\r'})) == `\.`) ||
			(end < 0 && string(data[i:]) == `\.`) {
			break
		}
		var row []any
		for {
			var field []byte
			quoted, sawQuote := false, false
			fieldStart := i
			for i < len(data) {
				c := data[i]
				if quoted {
					switch {
					case c == o.esc && o.esc != o.quote && i+1 < len(data) && (data[i+1] == o.quote || data[i+1] == o.esc):
						field = append(field, data[i+1])
						i += 2
					case c == o.quote && o.esc == o.quote && i+1 < len(data) && data[i+1] == o.quote:
						field = append(field, o.quote)
						i += 2
					case c == o.quote:
						quoted = false
						i++
					default:
						if c == '\n' {
							line++
						}
						field = append(field, c)
						i++
					}
					continue
				}
				if c == o.delim || c == '\n' || c == '\r' {
					break
				}
				if c == o.quote {
					quoted, sawQuote = true, true
					i++
					continue
				}
				field = append(field, c)
				i++
			}
			if quoted {
				return nil, badCopy(start, "unterminated CSV quoted field")
			}
			if !sawQuote && string(data[fieldStart:i]) == o.null {
				row = append(row, nil)
			} else {
				row = append(row, string(field))
			}
			if i < len(data) && data[i] == o.delim {
				i++
				continue
			}
			break
		}
		if i < len(data) && data[i] == '\r' {
			i++
		}
		if i < len(data) && data[i] == '\n' {
			i++
		}
		line++
		if start == 1 && o.header {
			continue
		}
		if err := checkCopyRow(row, cols, start); err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// copySignature opens PostgreSQL's binary copy format.
const copySignature = "PGCOPY\n\xff\r\n\x00"

// parseCopyBinary parses the binary format: the signature, flags and header extension, then tuples of a field
// count and length-prefixed fields (-1 for NULL), each decoded as a binary Bind parameter of its column's type,
// up to the trailer (a field count of -1).
func (x *exec) parseCopyBinary(data []byte, cols []Column) ([][]any, error) {
	if len(data) < len(copySignature)+8 || string(data[:len(copySignature)]) != copySignature {
		return nil, badCopy(0, "COPY file signature not recognized")
	}
	p := data[len(copySignature):]
	flags := binary.BigEndian.Uint32(p)
	if flags&(1<<16) != 0 {
		return nil, badCopy(0, "COPY with OIDs is not supported")
	}
	ext := binary.BigEndian.Uint32(p[4:])
	p = p[8:]
	if uint64(ext) > uint64(len(p)) {
		return nil, badCopy(0, "invalid COPY file header (wrong length)")
	}
	p = p[ext:]
	var rows [][]any
	for n := 1; ; n++ {
		if len(p) == 0 {
			return rows, nil // the end of the data without a trailer, which PostgreSQL accepts too (pgx sends none)
		}
		if len(p) < 2 {
			return nil, badCopy(n, "unexpected EOF in COPY data")
		}
		count := int16(binary.BigEndian.Uint16(p))
		p = p[2:]
		if count == -1 {
			return rows, nil
		}
		if int(count) != len(cols) {
			return nil, badCopy(n, "row field count is %d, expected %d", count, len(cols))
		}
		row := make([]any, len(cols))
		for i, c := range cols {
			if len(p) < 4 {
				return nil, badCopy(n, "unexpected EOF in COPY data")
			}
			size := int32(binary.BigEndian.Uint32(p))
			p = p[4:]
			if size == -1 {
				continue
			}
			if size < 0 || int(size) > len(p) {
				return nil, badCopy(n, "invalid field size")
			}
			v, err := x.s.copySrc.DecodeBinary(c.OID, p[:size])
			if err != nil {
				e := AsError(err)
				e.Detail = fmt.Sprintf("line %d, column %s", n, c.Name)
				return nil, e
			}
			row[i] = v
			p = p[size:]
		}
		rows = append(rows, row)
	}
}

// quoted appends a CSV field in quotes, its quote and escape characters escaped.
func (o copyOpts) quoted(dst []byte, s string) []byte {
	dst = append(dst, o.quote)
	for i := 0; i < len(s); i++ {
		if s[i] == o.quote || (s[i] == o.esc && o.esc != o.quote) {
			dst = append(dst, o.esc)
		}
		dst = append(dst, s[i])
	}
	return append(dst, o.quote)
}

// appendField appends one non-NULL value's text in the copy's format: CSV quoted when it must be, text with
// backslash escapes.
func (o copyOpts) appendField(dst []byte, s string) []byte {
	if o.csv {
		if s == o.null || s == `\.` || strings.IndexByte(s, o.delim) >= 0 || strings.IndexByte(s, o.quote) >= 0 ||
			strings.ContainsAny(s, "\r\n") || (o.esc != o.quote && strings.IndexByte(s, o.esc) >= 0) {
			return o.quoted(dst, s)
		}
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\v':
			dst = append(dst, '\\', 'v')
		default:
			if c == o.delim {
				dst = append(dst, '\\')
			}
			dst = append(dst, c)
		}
	}
	return dst
}
