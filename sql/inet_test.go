package sql

import "testing"

// FuzzInet: inet and cidr input never panics, and a value read prints as text that reads back to the same value
// (the text a column stores), for both types.
func FuzzInet(f *testing.F) {
	for _, s := range []string{"192.168.1.5", "192.168.1.5/24", "10/8", "10", "224", "128.1", "::1", "2001:db8::1/64",
		"::ffff:1.2.3.4", "::/0", "0.0.0.0/0", "1.2.3.4/33", "256/8", "1.2.3.4.5", "fe80::1%eth0", "", "/", "1.2.3.4/"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, cidr bool) {
		v, err := parseInet(s, cidr)
		if err != nil {
			return
		}
		back, err := parseInet(v.String(), cidr)
		if err != nil {
			t.Fatalf("%q read as %q, which does not read back: %v", s, v.String(), err)
		}
		if compareInets(v, back) != 0 || back.String() != v.String() {
			t.Fatalf("%q read as %q, which reads back as %q", s, v.String(), back.String())
		}
		if _, err := parseInet(v.withMask(), cidr); err != nil {
			t.Fatalf("%q: its text with the mask, %q, does not read back: %v", s, v.withMask(), err)
		}
	})
}

// TestInet_Order: PostgreSQL's network_cmp order (family, the common network bits, the mask length, the address).
func TestInet_Order(t *testing.T) {
	in := []string{"1.2.3.4", "10.0.0.0/8", "10.0.0.0/16", "10.0.0.1/8", "10.0.0.1", "::1", "::/0"}
	want := []string{"1.2.3.4", "10.0.0.0/8", "10.0.0.1/8", "10.0.0.0/16", "10.0.0.1", "::/0", "::1"}
	vals := make([]inetValue, len(in))
	for i, s := range in {
		v, err := parseInet(s, false)
		if err != nil {
			t.Fatal(err)
		}
		vals[i] = v
	}
	for i := range vals {
		for j := i + 1; j < len(vals); j++ {
			if compareInets(vals[j], vals[i]) < 0 {
				vals[i], vals[j] = vals[j], vals[i]
			}
		}
	}
	for i, v := range vals {
		if v.String() != want[i] {
			t.Fatalf("order %d: %s, want %s (all: %v)", i, v.String(), want[i], vals)
		}
	}
}
