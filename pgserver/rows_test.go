package pgserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestServer_RowsReuseTheirBuffers: result rows are encoded into one
// buffer reused from row to row; every value comes out as written, an empty
// string stays distinct from NULL, in the text format (simple protocol) and
// the binary one (pgx's extended protocol), also as a row's first value.
func TestServer_RowsReuseTheirBuffers(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE r (id int8 PRIMARY KEY, s text, n int4, f float8, b bool)"); err != nil {
		t.Fatal(err)
	}
	type row struct {
		id int64
		s  *string
		n  *int32
		f  *float64
		b  *bool
	}
	str := func(s string) *string { return &s }
	want := []row{
		{1, str(""), nil, ptr(-0.25), ptr(false)},
		{2, str(strings.Repeat("long ", 300)), ptr(int32(-7)), ptr(1.5), ptr(true)},
		{3, nil, ptr(int32(2147483647)), nil, nil},
		{4, str("é"), ptr(int32(0)), ptr(1e300), ptr(true)},
	}
	for _, r := range want {
		if _, err := conn.Exec(ctx, "INSERT INTO r VALUES ($1, $2, $3, $4, $5)", r.id, r.s, r.n, r.f, r.b); err != nil {
			t.Fatal(err)
		}
	}
	show := func(r row) string {
		v := func(p any) string {
			switch x := p.(type) {
			case *string:
				if x != nil {
					return fmt.Sprintf("%q", *x)
				}
			case *int32:
				if x != nil {
					return fmt.Sprint(*x)
				}
			case *float64:
				if x != nil {
					return fmt.Sprint(*x)
				}
			case *bool:
				if x != nil {
					return fmt.Sprint(*x)
				}
			}
			return "NULL"
		}
		return fmt.Sprintf("%d %s %s %s %s", r.id, v(r.s), v(r.n), v(r.f), v(r.b))
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		// A row of nothing but an empty string, on a connection that has
		// sent no row yet.
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var s *string
		err = c.QueryRow(ctx, "SELECT s FROM r WHERE id = 1", mode).Scan(&s)
		c.Close(ctx)
		if err != nil || s == nil || *s != "" {
			t.Fatalf("mode %v: the empty string came out as %v (%v)", mode, s, err)
		}
		rows, err := conn.Query(ctx, "SELECT s, id, n, f, b FROM r ORDER BY id", mode)
		if err != nil {
			t.Fatal(err)
		}
		var got []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.s, &r.id, &r.n, &r.f, &r.b); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("mode %v: %d rows, want %d", mode, len(got), len(want))
		}
		for i := range want {
			if show(got[i]) != show(want[i]) {
				t.Errorf("mode %v: row %d is %s, want %s", mode, i, show(got[i]), show(want[i]))
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
