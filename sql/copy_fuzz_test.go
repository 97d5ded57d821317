package sql

import (
	"testing"
)

// rawDecoder decodes a binary copy field as its bytes, for FuzzCopyData.
type rawDecoder struct{ CopySource }

func (rawDecoder) DecodeBinary(oid uint32, b []byte) (any, error) { return string(b), nil }

// FuzzCopyData parses arbitrary bytes as COPY FROM STDIN's text, CSV and binary data: each parse returns rows of
// exactly the columns' count or an error with a SQLSTATE, and never panics.
func FuzzCopyData(f *testing.F) {
	for _, s := range []string{
		"1\talice\t3\n2\t\\N\t\\x41\\101\\n\n\\.\n",
		"id,name,qty\n3,\"bob, jr\",\"\"\"\"\n4,,\n",
		"PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x01a\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff",
	} {
		f.Add([]byte(s))
	}
	cols := []Column{{Name: "id", OID: OIDInt8}, {Name: "name", OID: OIDText}, {Name: "qty", OID: OIDInt4}}
	x := &exec{s: &Session{copySrc: rawDecoder{}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		text, _ := parseCopyOptions(nil)
		csv := text
		csv.csv, csv.delim, csv.null, csv.header = true, ',', "", true
		for name, parse := range map[string]func() ([][]any, error){
			"text":   func() ([][]any, error) { return parseCopyText(data, cols, text) },
			"csv":    func() ([][]any, error) { return parseCopyCSV(data, cols, csv) },
			"binary": func() ([][]any, error) { return x.parseCopyBinary(data, cols) },
		} {
			rows, err := parse()
			if err != nil {
				if AsError(err).Code == "" {
					t.Fatalf("%s: error without SQLSTATE: %v", name, err)
				}
				continue
			}
			for _, r := range rows {
				if len(r) != len(cols) {
					t.Fatalf("%s: row of %d fields: %q", name, len(r), r)
				}
			}
		}
	})
}
