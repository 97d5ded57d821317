package sql

import (
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestParseUUID: the input forms PostgreSQL 15's uuid_in accepts and refuses, each read to the canonical text.
func TestParseUUID(t *testing.T) {
	const canon = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
	for _, c := range []struct {
		name, in string
		ok       bool
	}{
		{"the canonical form", canon, true},
		{"upper case", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", true},
		{"braces", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", true},
		{"no hyphens", "a0eebc999c0b4ef8bb6d6bb9bd380a11", true},
		{"a hyphen after every group of four", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", true},
		{"braces and other groups", "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}", true},
		{"a leading space", " " + canon, false},
		{"a trailing space", canon + " ", false},
		{"a digit short", canon[:35], false},
		{"a digit too many", canon + "1", false},
		{"a hyphen inside a group of four", "a0eebc9-9-c0b-4ef8-bb6d-6bb9bd380a11", false},
		{"an unclosed brace", "{" + canon, false},
		{"a closing brace alone", canon + "}", false},
		{"a trailing hyphen", canon + "-", false},
		{"two hyphens", "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", false},
		{"a letter that is no hex digit", "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", false},
		{"empty", "", false},
		{"braces alone", "{}", false},
	} {
		u, ok := parseUUID(c.in)
		if ok != c.ok || (ok && u.String() != canon) {
			t.Errorf("%s: parseUUID(%q) = %s, %v; want %s, %v", c.name, c.in, u, ok, canon, c.ok)
		}
	}
}

// TestUUIDInput: text that is no uuid is 22P02, a BSON UUID (subtype 4) reads as its bytes, and uuids compare
// with text in any form of the same value.
func TestUUIDInput(t *testing.T) {
	var e *Error
	if _, err := coerce("nope", OIDUUID); !errors.As(err, &e) || e.Code != CodeInvalidTextRep {
		t.Errorf("'nope'::uuid: %v, want 22P02", err)
	}
	if _, err := coerce(int64(12), OIDUUID); !errors.As(err, &e) || e.Code != CodeCannotCoerce {
		t.Errorf("12::uuid: %v, want 42846", err)
	}
	raw := []byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	typ, data, err := bson.MarshalValue(bson.Binary{Subtype: 4, Data: raw})
	if err != nil {
		t.Fatal(err)
	}
	v, err := coerce(bson.RawValue{Type: typ, Value: data}, OIDUUID)
	if err != nil || formatText(v) != "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" {
		t.Errorf("BSON UUID as uuid: %v, %v", v, err)
	}
	if c, ok := compare(v, "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}"); !ok || c != 0 {
		t.Errorf("uuid compared with its upper-case braced text: %d, %v", c, ok)
	}
	if stored, err := toBSON("A0EEBC999C0B4EF8BB6D6BB9BD380A11", OIDUUID); err != nil || stored != "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" {
		t.Errorf("stored form: %v, %v", stored, err)
	}
}

// FuzzParseUUID: whatever parseUUID accepts, its canonical text reads back to the same bytes.
func FuzzParseUUID(f *testing.F) {
	for _, s := range []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{A0EEBC999C0B4EF8BB6D6BB9BD380A11}", "a0ee-bc99", "", "{}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := parseUUID(s)
		if !ok {
			return
		}
		back, ok := parseUUID(u.String())
		if !ok || back != u {
			t.Fatalf("%q: canonical %q reads back as %v, %v", s, u.String(), back, ok)
		}
	})
}
