package pgserver_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/jackc/pgx/v5"
)

// inetSteps: the network address types inet and cidr (Rails' Devise keeps its sign-in addresses in inet columns):
// input and its errors, output, functions, operators, their order, and columns; compared with PostgreSQL 15.
var inetSteps = []struct{ sql, want string }{
	{"SELECT '192.168.1.5'::inet, '192.168.1.5/24'::inet, '192.168.1.5/32'::inet, '::1'::inet, '2001:db8::1/64'::inet, '10/8'::inet",
		"192.168.1.5|192.168.1.5/24|192.168.1.5|::1|2001:db8::1/64|10.0.0.0/8\nSELECT 1"},
	{"SELECT '10.0.0.0/8'::cidr, '192.168/16'::cidr, '10'::cidr, '192.168.1'::cidr, '10.1.2.3'::cidr, '2001:db8::/32'::cidr, '128'::cidr, '224'::cidr",
		"10.0.0.0/8|192.168.0.0/16|10.0.0.0/8|192.168.1.0/24|10.1.2.3/32|2001:db8::/32|128.0.0.0/16|224.0.0.0/4\nSELECT 1"},
	{"SELECT '10.1.0.0/8'::cidr", "ERROR 22P02"},
	{"SELECT 'x'::inet", "ERROR 22P02"},
	{"SELECT '1.2.3.4/33'::inet", "ERROR 22P02"},
	{"SELECT '1.2.3.256'::inet", "ERROR 22P02"},
	{"SELECT host('192.168.1.5/24'::inet), masklen('192.168.1.5/24'::inet), network('192.168.1.5/24'::inet), broadcast('192.168.1.5/24'::inet), netmask('192.168.1.5/24'::inet), hostmask('192.168.1.5/24'::inet), family('::1'::inet)",
		"192.168.1.5|24|192.168.1.0/24|192.168.1.255/24|255.255.255.0|0.0.0.255|6\nSELECT 1"},
	{"SELECT text('192.168.1.5'::inet), abbrev('10.1.0.0/16'::cidr), abbrev('10.1.0.0/16'::inet), set_masklen('192.168.1.5/24'::inet, 16), set_masklen('192.168.1.0/24'::cidr, 16), '192.168.1.5'::inet::text, '192.168.1.5/24'::inet::cidr",
		"192.168.1.5/32|10.1/16|10.1.0.0/16|192.168.1.5/16|192.168.0.0/16|192.168.1.5/32|192.168.1.0/24\nSELECT 1"},
	{"SELECT '10.1.2.3'::inet << '10.0.0.0/8'::cidr, '10.0.0.0/8'::inet <<= '10.0.0.0/8', '10.0.0.0/8'::cidr >> '10.1.2.3'::inet, '10.0.0.0/8'::inet >>= '10.0.0.0/16', '10.0.0.0/8'::inet && '10.5.0.0/16'::inet, '10.0.0.0/8'::inet && '11.0.0.0/16'::inet, '1.2.3.4'::inet << '::/0'::cidr",
		"t|t|t|t|t|f|f\nSELECT 1"},
	{"SELECT '10.1.2.3'::inet + 10, '10.1.2.3'::inet - 4, '10.1.2.3'::inet - '10.1.1.1'::inet, ~'10.1.2.3'::inet, '10.1.2.3'::inet & '255.255.0.0'::inet, '10.1.2.3'::inet | '0.0.0.255'::inet, 5 + '10.0.0.1'::inet",
		"10.1.2.13|10.1.1.255|258|245.254.253.252|10.1.0.0|10.1.2.255|10.0.0.6\nSELECT 1"},
	{"SELECT '255.255.255.255'::inet + 1", "ERROR 22003"},
	{"SELECT '10.1.2.3'::inet < '10.1.2.4'::inet, '10.0.0.0/8'::inet < '10.0.0.0/16'::inet, '10.0.0.1/8'::inet < '10.0.0.0/16'::inet, '1.2.3.4'::inet < '::1'::inet, '10.0.0.5/24'::inet = '10.0.0.5/24', '10.0.0.5'::inet = '10.0.0.5/32'",
		"t|t|t|t|t|t\nSELECT 1"},
	{"SELECT inet_same_family('1.2.3.4'::inet, '::1'::inet), inet_merge('192.168.1.5/24'::inet, '192.168.2.5/24'::inet)", "f|192.168.0.0/22\nSELECT 1"},
	{"SELECT pg_typeof('1.2.3.4'::inet), pg_typeof('1.2.3.4'::cidr), pg_typeof(network('1.2.3.4'::inet)), pg_typeof(host('1.2.3.4'::inet)), pg_typeof('1.2.3.4'::inet - '1.2.3.1'::inet)",
		"inet|cidr|cidr|text|bigint\nSELECT 1"},
	{"CREATE TABLE devs (id int PRIMARY KEY, ip inet UNIQUE, net cidr, ips inet[])", "CREATE TABLE"},
	{"INSERT INTO devs VALUES (1, '10.0.0.1', '10.0.0.0/8', '{10.0.0.1,::1}'), (2, '192.168.1.20/24', '192.168.0.0/16', NULL), (3, '::1', NULL, NULL), (4, '10.20.30.40', '10.20.0.0/16', NULL)", "INSERT 0 4"},
	{"SELECT * FROM devs ORDER BY ip", "1|10.0.0.1|10.0.0.0/8|{10.0.0.1,::1}\n4|10.20.30.40|10.20.0.0/16|\n2|192.168.1.20/24|192.168.0.0/16|\n3|::1||\nSELECT 4"},
	{"SELECT id FROM devs WHERE ip << '10.0.0.0/8' ORDER BY id", "1\n4\nSELECT 2"},
	{"SELECT id, host(ip), masklen(ip) FROM devs WHERE ip <<= net ORDER BY id", "1|10.0.0.1|32\n2|192.168.1.20|24\n4|10.20.30.40|32\nSELECT 3"},
	{"SELECT id FROM devs WHERE ip = '10.0.0.1/32' OR ip = '::1' ORDER BY id", "1\n3\nSELECT 2"},
	{"SELECT id FROM devs WHERE ip > '10.0.0.1' ORDER BY id", "2\n3\n4\nSELECT 3"},
	{"SELECT to_jsonb(ip), ip::text || 'x', max(ip) OVER () FROM devs ORDER BY ip LIMIT 2", "\"10.0.0.1\"|10.0.0.1/32x|::1\n\"10.20.30.40\"|10.20.30.40/32x|::1\nSELECT 2"},
	{"INSERT INTO devs VALUES (5, 'nope', NULL, NULL)", "ERROR 22P02"},
	{"INSERT INTO devs VALUES (6, '10.0.0.9', '10.0.0.1/8', NULL)", "ERROR 22P02"},
	{"INSERT INTO devs VALUES (7, '10.0.0.1/32', NULL, NULL)", "ERROR 23505"},
	{"UPDATE devs SET ip = ip + 1 WHERE id = 1 RETURNING ip", "10.0.0.2\nUPDATE 1"},
	{"SELECT id FROM devs WHERE ip BETWEEN '10.0.0.0' AND '10.255.255.255' ORDER BY id", "1\n4\nSELECT 2"},
	{"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'devs'::regclass AND attnum > 1 ORDER BY attnum", "inet\ncidr\ninet[]\nSELECT 3"},
	{"DROP TABLE devs", "DROP TABLE"},
}

// runInet checks what pgx sees of the network address types in the binary format: netip.Prefix results and
// parameters, inet[] arrays.
func runInet(t *testing.T, who string, c *pgx.Conn) {
	t.Helper()
	runSteps(t, who, c, inetSteps)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE inetbin (id int PRIMARY KEY, ip inet, net cidr, ips inet[])"); err != nil {
		t.Fatalf("%s: %v", who, err)
	}
	defer c.Exec(ctx, "DROP TABLE inetbin")
	in := netip.MustParsePrefix("192.168.1.20/24")
	if _, err := c.Exec(ctx, "INSERT INTO inetbin VALUES (1, $1, $2, $3)", in, netip.MustParsePrefix("10.0.0.0/8"),
		[]netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("::1/128")}); err != nil {
		t.Fatalf("%s: insert: %v", who, err)
	}
	var ip, net netip.Prefix
	var ips []netip.Prefix
	var text string
	if err := c.QueryRow(ctx, "SELECT ip, net, ips, ips::text FROM inetbin WHERE ip = $1", in).Scan(&ip, &net, &ips, &text); err != nil {
		t.Fatalf("%s: select: %v", who, err)
	}
	if ip != in || net.String() != "10.0.0.0/8" || len(ips) != 2 || ips[1].String() != "::1/128" || text != "{10.0.0.1,::1}" {
		t.Errorf("%s: got %v %v %v %q", who, ip, net, ips, text)
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM inetbin WHERE ip << $1", netip.MustParsePrefix("192.168.0.0/16")).Scan(&n); err != nil || n != 1 {
		t.Errorf("%s: ip << $1: %d, %v", who, n, err)
	}
}
