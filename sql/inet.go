package sql

import (
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// PostgreSQL's network address types. An inet is a host address with an optional netmask length
// ('192.168.1.5/24'), a cidr a network whose bits right of the mask are zero ('192.168.0.0/16'). A column of
// either type stores the value's text as PostgreSQL writes it, so that equality filters and unique indexes see
// one value whatever form it was written in; in the evaluator a value is an inetValue, which orders as
// PostgreSQL's network_cmp does (IPv4 before IPv6, then the network part, then the mask length, then the whole
// address).

// The types' OIDs.
const (
	OIDInet      uint32 = 869
	OIDCidr      uint32 = 650
	OIDInetArray uint32 = 1041
	OIDCidrArray uint32 = 651
)

func init() {
	types[OIDInet] = typeInfo{typname: "inet", name: "inet", array: OIDInetArray}
	types[OIDCidr] = typeInfo{typname: "cidr", name: "cidr", array: OIDCidrArray}
	types[OIDInetArray] = typeInfo{typname: "_inet", name: "inet[]", elem: OIDInet}
	types[OIDCidrArray] = typeInfo{typname: "_cidr", name: "cidr[]", elem: OIDCidr}
	typeNames["inet"] = OIDInet
	typeNames["cidr"] = OIDCidr
}

// inetValue is a value of type inet or cidr: the address (not masked, for an inet) and its mask length.
type inetValue struct {
	p    netip.Prefix
	cidr bool
}

// String is the value's text: an inet's address alone when its mask covers it all, else address/bits.
func (v inetValue) String() string {
	if !v.cidr && v.p.Bits() == v.p.Addr().BitLen() {
		return v.p.Addr().String()
	}
	return v.withMask()
}

// withMask is the value's text with its mask length always, as text(inet) and a cast to text write it.
func (v inetValue) withMask() string { return v.p.Addr().String() + "/" + strconv.Itoa(v.p.Bits()) }

// oid is the value's type.
func (v inetValue) oid() uint32 {
	if v.cidr {
		return OIDCidr
	}
	return OIDInet
}

// parseInet reads inet or cidr input as PostgreSQL's inet_in and cidr_in do: an IPv4 or IPv6 address with an
// optional /bits; an IPv4 address with a mask may leave out trailing octets ('10/8'), and so may a cidr without
// one, whose length then follows the old address classes ('10' is 10.0.0.0/8). A cidr with bits set right of its
// mask is refused.
func parseInet(s string, cidr bool) (inetValue, error) {
	typ := map[bool]string{false: "inet", true: "cidr"}[cidr]
	bad := func() (inetValue, error) {
		return inetValue{}, errorf(CodeInvalidTextRep, "invalid input syntax for type %s: \"%s\"", typ, s)
	}
	addrText, bitsText, hasBits := strings.Cut(s, "/") // no spaces, as PostgreSQL reads it
	var addr netip.Addr
	bits := -1
	if hasBits {
		n, err := strconv.Atoi(bitsText)
		if err != nil || bitsText == "" || bitsText[0] == '+' || bitsText[0] == '-' {
			return bad()
		}
		bits = n
	}
	if strings.Contains(addrText, ":") {
		a, err := netip.ParseAddr(addrText)
		if err != nil || a.Zone() != "" {
			return bad()
		}
		addr = a
	} else {
		octets := strings.Split(addrText, ".")
		if len(octets) > 4 || len(octets) < 4 && !cidr && !hasBits {
			return bad()
		}
		var b [4]byte
		for i, o := range octets {
			n, err := strconv.Atoi(o)
			if err != nil || o == "" || len(o) > 3 || n > 255 || o[0] == '+' || o[0] == '-' {
				return bad()
			}
			b[i] = byte(n)
		}
		addr = netip.AddrFrom4(b)
		if bits < 0 && len(octets) < 4 {
			// A cidr's classful length: A (below 128) /8, B /16, C /24, D (224) /4, at least the octets given.
			switch {
			case b[0] >= 240:
				bits = 32
			case b[0] >= 224:
				bits = 8
			case b[0] >= 192:
				bits = 24
			case b[0] >= 128:
				bits = 16
			default:
				bits = 8
			}
			bits = max(bits, 8*len(octets))
			if bits == 8 && b[0] == 224 {
				bits = 4
			}
		}
	}
	if bits < 0 {
		bits = addr.BitLen()
	}
	if bits > addr.BitLen() {
		return bad()
	}
	v := inetValue{p: netip.PrefixFrom(addr, bits), cidr: cidr}
	if cidr && v.p.Masked().Addr() != addr {
		return inetValue{}, &Error{Code: CodeInvalidTextRep, Message: "invalid cidr value: \"" + s + "\"",
			Detail: "Value has bits set to right of mask."}
	}
	return v, nil
}

// inetInput converts a value to an inet or a cidr: text by parseInet; an inet to a cidr by zeroing the bits right
// of its mask, as PostgreSQL's cast does.
func inetInput(v any, cidr bool) (any, error) {
	switch x := v.(type) {
	case inetValue:
		if cidr && !x.cidr {
			return inetValue{p: x.p.Masked(), cidr: true}, nil
		}
		x.cidr = cidr
		return x, nil
	case string:
		return parseInet(x, cidr)
	}
	return nil, errorf(CodeCannotCoerce, "cannot cast type %s to %s", TypeName(valueOID(v)), map[bool]string{false: "inet", true: "cidr"}[cidr])
}

// InetPrefix is an inet or cidr value's address and mask length, for package pgserver's binary form; ok is false
// for other values.
func InetPrefix(v any) (p netip.Prefix, ok bool) {
	x, ok := v.(inetValue)
	return x.p, ok
}

// bitsEqual reports whether a and b agree in their first n bits.
func bitsEqual(a, b netip.Addr, n int) bool {
	pa, _ := a.Prefix(n)
	pb, _ := b.Prefix(n)
	return pa.Addr() == pb.Addr()
}

// compareInets orders two network addresses as PostgreSQL's network_cmp: family, the bits both masks cover, the
// mask length, then the whole address.
func compareInets(a, b inetValue) int {
	aa, ba := a.p.Addr(), b.p.Addr()
	if a4, b4 := aa.Is4(), ba.Is4(); a4 != b4 {
		if a4 {
			return -1
		}
		return 1
	}
	n := min(a.p.Bits(), b.p.Bits())
	pa, _ := aa.Prefix(n)
	pb, _ := ba.Prefix(n)
	if c := pa.Addr().Compare(pb.Addr()); c != 0 {
		return c
	}
	if a.p.Bits() != b.p.Bits() {
		return cmp3(a.p.Bits() < b.p.Bits(), a.p.Bits() > b.p.Bits())
	}
	return aa.Compare(ba)
}

// inetOperands converts the text operand beside a network address to the address's type (22P02 when it is none),
// as PostgreSQL types the literal after the other side.
func inetOperands(l, r *any) error {
	conv := func(n, other *any) error {
		x, ok := (*n).(inetValue)
		if !ok {
			return nil
		}
		s, ok := (*other).(string)
		if !ok {
			return nil
		}
		v, err := parseInet(s, x.cidr)
		if err == nil {
			*other = v
		}
		return err
	}
	if err := conv(l, r); err != nil {
		return err
	}
	return conv(r, l)
}

// inetOperator evaluates an operator with a network address operand: the containment operators << <<= >> >>=
// and &&, + and - of an integer, the difference of two addresses, and the bitwise & and |. ok is false for the
// operators it does not have (comparisons go through compare).
func inetOperator(op string, l, r any) (v any, ok bool, err error) {
	_, li := l.(inetValue)
	_, ri := r.(inetValue)
	if !li && !ri {
		return nil, false, nil
	}
	switch op {
	case "<<", "<<=", ">>", ">>=", "&&", "&", "|":
		if err := inetOperands(&l, &r); err != nil {
			return nil, true, err
		}
		a, aok := l.(inetValue)
		b, bok := r.(inetValue)
		if !aok || !bok {
			return nil, false, nil
		}
		same := a.p.Addr().Is4() == b.p.Addr().Is4()
		switch op {
		case "&", "|":
			if !same {
				return nil, true, errorf(CodeFeatureNotSupported, "cannot AND inet values of different sizes")
			}
			x, y := a.p.Addr().AsSlice(), b.p.Addr().AsSlice()
			for i := range x {
				if op == "&" {
					x[i] &= y[i]
				} else {
					x[i] |= y[i]
				}
			}
			addr, _ := netip.AddrFromSlice(x)
			return inetValue{p: netip.PrefixFrom(addr, a.p.Bits())}, true, nil
		case ">>", ">>=":
			a, b = b, a
			op = "<<" + op[2:]
		}
		if !same {
			return false, true, nil
		}
		switch op {
		case "<<":
			return b.p.Bits() < a.p.Bits() && bitsEqual(a.p.Addr(), b.p.Addr(), b.p.Bits()), true, nil
		case "<<=":
			return b.p.Bits() <= a.p.Bits() && bitsEqual(a.p.Addr(), b.p.Addr(), b.p.Bits()), true, nil
		}
		return bitsEqual(a.p.Addr(), b.p.Addr(), min(a.p.Bits(), b.p.Bits())), true, nil
	case "+", "-":
		if op == "-" && li && ri {
			if err := inetOperands(&l, &r); err != nil {
				return nil, true, err
			}
			a, b := l.(inetValue), r.(inetValue)
			if a.p.Addr().Is4() != b.p.Addr().Is4() {
				return nil, true, errorf(CodeFeatureNotSupported, "cannot subtract inet values of different sizes")
			}
			d := new(big.Int).Sub(addrInt(a.p.Addr()), addrInt(b.p.Addr()))
			if !d.IsInt64() {
				return nil, true, errorf(CodeNumericOutOfRange, "result is out of range")
			}
			return d.Int64(), true, nil
		}
		if !li {
			if op == "-" {
				return nil, false, nil // integer - inet does not exist
			}
			l, r = r, l
		}
		n, isInt := numeric(r).(int64)
		if !isInt {
			return nil, false, nil
		}
		if op == "-" {
			n = -n
		}
		a := l.(inetValue)
		sum := new(big.Int).Add(addrInt(a.p.Addr()), big.NewInt(n))
		if sum.Sign() < 0 || sum.BitLen() > a.p.Addr().BitLen() {
			return nil, true, errorf(CodeNumericOutOfRange, "result is out of range")
		}
		buf := sum.FillBytes(make([]byte, a.p.Addr().BitLen()/8))
		addr, _ := netip.AddrFromSlice(buf)
		return inetValue{p: netip.PrefixFrom(addr, a.p.Bits()), cidr: a.cidr}, true, nil
	}
	return nil, false, nil
}

// addrInt is an address as an unsigned integer.
func addrInt(a netip.Addr) *big.Int { return new(big.Int).SetBytes(a.AsSlice()) }

// notInet is ~inet: every bit of the address inverted, the mask length kept.
func notInet(a inetValue) inetValue {
	b := a.p.Addr().AsSlice()
	for i := range b {
		b[i] = ^b[i]
	}
	addr, _ := netip.AddrFromSlice(b)
	return inetValue{p: netip.PrefixFrom(addr, a.p.Bits()), cidr: a.cidr}
}

// maskAddr is the address of a mask of n ones (netmask) or of its complement (hostmask) for addresses of bitLen
// bits.
func maskAddr(n, bitLen int, host bool) netip.Addr {
	b := make([]byte, bitLen/8)
	for i := range b {
		ones := min(max(n-8*i, 0), 8)
		b[i] = byte(0xff << (8 - ones))
		if host {
			b[i] = ^b[i]
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// inetFuncTypes are the network address functions' result types (0: the first argument's).
var inetFuncTypes = map[string]uint32{
	"host": OIDText, "masklen": OIDInt4, "family": OIDInt4, "network": OIDCidr, "broadcast": OIDInet,
	"netmask": OIDInet, "hostmask": OIDInet, "abbrev": OIDText, "set_masklen": 0, "inet_same_family": OIDBool,
	"inet_merge": OIDCidr, "text": OIDText,
}

// inetFunc runs the network address functions on evaluated arguments (NULL in, NULL out); ok is false for a name
// it does not have or arguments that are not addresses.
func inetFunc(name string, args []any) (v any, ok bool, err error) {
	if _, known := inetFuncTypes[name]; !known || len(args) == 0 {
		return nil, false, nil
	}
	if _, isInet := args[0].(inetValue); name == "text" && (!isInet || len(args) != 1) {
		return nil, false, nil // text(x) of another type: its cast
	}
	for i, a := range args {
		if s, isText := a.(string); isText && i == 0 {
			in, err := parseInet(s, false)
			if err != nil {
				return nil, true, err
			}
			args[i] = in
		}
		if a == nil {
			return nil, true, nil
		}
	}
	a, isInet := args[0].(inetValue)
	if !isInet {
		return nil, false, nil
	}
	want := 1
	if name == "set_masklen" || name == "inet_same_family" || name == "inet_merge" {
		want = 2
	}
	if len(args) != want {
		return nil, true, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	bitLen := a.p.Addr().BitLen()
	switch name {
	case "text":
		return a.withMask(), true, nil
	case "host":
		return a.p.Addr().String(), true, nil
	case "masklen":
		return int64(a.p.Bits()), true, nil
	case "family":
		if a.p.Addr().Is4() {
			return int64(4), true, nil
		}
		return int64(6), true, nil
	case "network":
		return inetValue{p: a.p.Masked(), cidr: true}, true, nil
	case "broadcast":
		b := a.p.Masked().Addr().AsSlice()
		h := maskAddr(a.p.Bits(), bitLen, true).AsSlice()
		for i := range b {
			b[i] |= h[i]
		}
		addr, _ := netip.AddrFromSlice(b)
		return inetValue{p: netip.PrefixFrom(addr, a.p.Bits())}, true, nil
	case "netmask", "hostmask":
		return inetValue{p: netip.PrefixFrom(maskAddr(a.p.Bits(), bitLen, name == "hostmask"), bitLen)}, true, nil
	case "abbrev":
		if !a.cidr {
			return a.withMask(), true, nil
		}
		if !a.p.Addr().Is4() {
			return a.String(), true, nil
		}
		// A cidr's IPv4 network without the trailing zero octets its mask covers: 10.1/16.
		b := a.p.Addr().As4()
		n := max((a.p.Bits()+7)/8, 1)
		for n < 4 && b[n] != 0 {
			n++
		}
		parts := make([]string, n)
		for i := range parts {
			parts[i] = strconv.Itoa(int(b[i]))
		}
		return strings.Join(parts, ".") + "/" + strconv.Itoa(a.p.Bits()), true, nil
	case "set_masklen":
		n, isInt := numeric(args[1]).(int64)
		if !isInt {
			return nil, false, nil
		}
		if n == -1 {
			n = int64(bitLen)
		}
		if n < 0 || n > int64(bitLen) {
			return nil, true, errorf(CodeInvalidParameterValue, "invalid mask length: %d", n)
		}
		p := netip.PrefixFrom(a.p.Addr(), int(n))
		if a.cidr {
			p = p.Masked()
		}
		return inetValue{p: p, cidr: a.cidr}, true, nil
	}
	b, isInet := args[1].(inetValue)
	if s, isText := args[1].(string); isText {
		in, err := parseInet(s, false)
		if err != nil {
			return nil, true, err
		}
		b, isInet = in, true
	}
	if !isInet {
		return nil, false, nil
	}
	same := a.p.Addr().Is4() == b.p.Addr().Is4()
	if name == "inet_same_family" {
		return same, true, nil
	}
	// inet_merge: the smallest network that holds both.
	if !same {
		return nil, true, errorf(CodeInvalidParameterValue, "cannot merge addresses from different families")
	}
	n := min(a.p.Bits(), b.p.Bits())
	for n > 0 && !bitsEqual(a.p.Addr(), b.p.Addr(), n) {
		n--
	}
	p, _ := a.p.Addr().Prefix(n)
	return inetValue{p: p, cidr: true}, true, nil
}
