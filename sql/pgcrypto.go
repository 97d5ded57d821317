package sql

// pgcrypto's hashing functions, which CREATE EXTENSION pgcrypto makes available in PostgreSQL and which Concord
// has built in: digest and hmac (md5, sha1, sha224, sha256, sha384, sha512), gen_random_bytes, and crypt with
// gen_salt for passwords ('bf', bcrypt's $2a$, and 'md5', the $1$ scheme), so that a password check written for
// PostgreSQL, WHERE pw_hash = crypt($1, pw_hash), runs unchanged. pgcrypto's encryption functions (encrypt,
// pgp_sym_encrypt, ...) are not here.

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/blowfish"
)

// cryptoTypes are pgcrypto's functions' result and parameter types (builtinTypes'; 0: text or bytea).
var cryptoTypes = map[string]struct {
	result uint32
	args   []uint32
}{
	"digest":           {OIDBytea, []uint32{0, OIDText}},
	"hmac":             {OIDBytea, []uint32{0, 0, OIDText}},
	"gen_random_bytes": {OIDBytea, []uint32{OIDInt4}},
	"crypt":            {OIDText, []uint32{OIDText, OIDText}},
	"gen_salt":         {OIDText, []uint32{OIDText, OIDInt4}},
}

func init() {
	for name, t := range cryptoTypes {
		builtinTypes[name] = t
	}
}

// cryptoArity are the least and most arguments each of pgcrypto's functions takes.
var cryptoArity = map[string][2]int{"digest": {2, 2}, "hmac": {3, 3}, "gen_random_bytes": {1, 1}, "crypt": {2, 2}, "gen_salt": {1, 2}}

// cryptoFunc runs pgcrypto's function name; ok is false for a name that is none of them.
func cryptoFunc(ctx context.Context, name string, args []any) (v any, ok bool, err error) {
	arity, found := cryptoArity[name]
	if !found {
		return nil, false, nil
	}
	if null, err := strictArity(name, args, arity); null || err != nil {
		return nil, true, err
	}
	switch name {
	case "digest":
		h, err := cryptoHash(formatText(args[1]))
		if err != nil {
			return nil, true, err
		}
		w := h()
		w.Write(cryptoBytes(args[0]))
		return Bytea(w.Sum(nil)), true, nil
	case "hmac":
		h, err := cryptoHash(formatText(args[2]))
		if err != nil {
			return nil, true, err
		}
		w := hmac.New(h, cryptoBytes(args[1]))
		w.Write(cryptoBytes(args[0]))
		return Bytea(w.Sum(nil)), true, nil
	case "gen_random_bytes":
		c, err := coerce(numeric(args[0]), OIDInt4)
		if err != nil {
			return nil, true, err
		}
		if k := c.(int64); k < 1 || k > 1024 {
			return nil, true, errorf("39000", "Length not in range") // pgcrypto's external_routine_invocation_exception
		} else {
			b := make([]byte, k)
			_, _ = rand.Read(b)
			return Bytea(b), true, nil
		}
	case "gen_salt":
		rounds := int64(-1)
		if len(args) == 2 {
			c, err := coerce(numeric(args[1]), OIDInt4)
			if err != nil {
				return nil, true, err
			}
			rounds = c.(int64)
		}
		s, err := genSalt(strings.ToLower(formatText(args[0])), rounds)
		return s, true, err
	}
	s, err := crypt(ctx, cryptoBytes(args[0]), formatText(args[1]))
	return s, true, err
}

// cryptoBytes is a pgcrypto argument's bytes: a bytea's, or a text's.
func cryptoBytes(v any) []byte {
	if b, ok, _ := toBytea(v); ok {
		if _, isText := v.(string); !isText {
			return []byte(b)
		}
	}
	return []byte(formatText(v))
}

// cryptoHash is the hash digest and hmac name; 22023 for another, as pgcrypto's error.
func cryptoHash(name string) (func() hash.Hash, error) {
	switch strings.ToLower(name) {
	case "md5":
		return md5.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha224":
		return sha256.New224, nil
	case "sha256":
		return sha256.New, nil
	case "sha384":
		return sha512.New384, nil
	case "sha512":
		return sha512.New, nil
	}
	return nil, errorf(CodeInvalidParameterValue, "Cannot use \"%s\": No such hash algorithm", name)
}

// cryptAlphabet is the alphabet of crypt's salts and hashes (bcrypt's base64 and md5-crypt's digits).
const (
	bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	md5Alphabet    = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

var bcryptEncoding = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

// genSalt is gen_salt(type [, rounds]): a new random salt for crypt, 'bf' (rounds 4 to 31, 6 unless given) or
// 'md5' (no rounds).
func genSalt(kind string, rounds int64) (string, error) {
	switch kind {
	case "bf":
		if rounds < 0 {
			rounds = 6
		}
		if rounds < 4 || rounds > 31 {
			return "", errorf(CodeInvalidParameterValue, "gen_salt: Incorrect number of rounds")
		}
		salt := make([]byte, 16)
		_, _ = rand.Read(salt)
		return "$2a$" + twoDigits(rounds) + "$" + bcryptEncoding.EncodeToString(salt), nil
	case "md5":
		if rounds >= 0 {
			return "", errorf(CodeInvalidParameterValue, "gen_salt: Incorrect number of rounds")
		}
		salt := make([]byte, 6)
		_, _ = rand.Read(salt)
		return "$1$" + md5Encode(salt, 8), nil
	case "des", "xdes":
		return "", unsupported("gen_salt('" + kind + "') (Concord has 'bf' and 'md5')")
	}
	return "", errorf(CodeInvalidParameterValue, "gen_salt: Unknown salt algorithm")
}

func twoDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

// crypt is crypt(password, salt): the password's hash in the scheme and with the salt the salt (or a whole hash
// of that scheme) names.
func crypt(ctx context.Context, password []byte, salt string) (string, error) {
	switch {
	case strings.HasPrefix(salt, "$2a$") || strings.HasPrefix(salt, "$2x$"):
		// pgcrypto's bcrypt schemes ($2b$ and $2y$ are DES salts to it); $2x$ differs from $2a$ only for bytes
		// above 127, which it sign-extends.
		return bcryptWithSalt(ctx, password, salt)
	case strings.HasPrefix(salt, "$1$"):
		return md5Crypt(password, salt), nil
	}
	return "", unsupported("crypt with a DES salt (Concord has 'bf' and 'md5' salts)")
}

// bcryptMagic is the text bcrypt encrypts 64 times: "OrpheanBeholderScryDoubt".
var bcryptMagic = []byte("OrpheanBeholderScryDoubt")

// bcryptWithSalt hashes password with bcrypt at the cost and with the 22-character salt of setting
// ("$2a$06$" and the salt, or a whole hash), as pgcrypto's crypt does: golang.org/x/crypto/bcrypt draws its own
// salt, so the key setup is done here on its Blowfish.
func bcryptWithSalt(ctx context.Context, password []byte, setting string) (string, error) {
	if len(setting) < 29 || setting[6] != '$' || setting[4] < '0' || setting[4] > '9' || setting[5] < '0' || setting[5] > '9' {
		return "", errorf(CodeInvalidParameterValue, "invalid salt")
	}
	cost := int(setting[4]-'0')*10 + int(setting[5]-'0')
	if cost < 4 || cost > 31 {
		return "", errorf(CodeInvalidParameterValue, "invalid salt")
	}
	if setting[2] == 'x' {
		// The $2x$ scheme's bug: each byte above 127 sign-extended into the key words (crypt_blowfish's).
		for _, b := range password {
			if b > 127 {
				return "", unsupported("crypt with a $2x$ salt of a password of bytes above 127")
			}
		}
	}
	encSalt := []byte(setting[7:29])
	// The last character carries 2 bits of the 16 bytes: the rest are dropped, as crypt-blowfish drops them.
	i := strings.IndexByte(bcryptAlphabet, encSalt[21])
	if i < 0 {
		return "", errorf(CodeInvalidParameterValue, "invalid salt")
	}
	encSalt[21] = bcryptAlphabet[i&0x30]
	salt, err := bcryptEncoding.DecodeString(string(encSalt))
	if err != nil {
		return "", errorf(CodeInvalidParameterValue, "invalid salt")
	}
	if len(password) > 72 {
		password = password[:72]
	}
	key := append(password[:len(password):len(password)], 0) // the key's trailing NUL, as C's bcrypt reads it
	c, err := blowfish.NewSaltedCipher(key, salt)
	if err != nil {
		return "", err
	}
	for i := range uint64(1) << cost {
		if i%1024 == 1023 {
			if err := ctx.Err(); err != nil { // a high cost runs for hours: a cancel or timeout stops it
				return "", AsError(err)
			}
		}
		blowfish.ExpandKey(key, c)
		blowfish.ExpandKey(salt, c)
	}
	data := append([]byte(nil), bcryptMagic...)
	for i := 0; i < 24; i += 8 {
		for range 64 {
			c.Encrypt(data[i:i+8], data[i:i+8])
		}
	}
	return setting[:7] + string(encSalt) + bcryptEncoding.EncodeToString(data[:23]), nil
}

// md5Crypt is the $1$ scheme of FreeBSD's crypt (pgcrypto's crypt-md5): setting is "$1$", a salt of up to 8
// characters, and optionally "$" and a hash.
func md5Crypt(password []byte, setting string) string {
	salt := setting[3:]
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}
	alt := md5.New()
	alt.Write(password)
	alt.Write([]byte(salt))
	alt.Write(password)
	final := alt.Sum(nil)
	ctx := md5.New()
	ctx.Write(password)
	ctx.Write([]byte("$1$" + salt))
	for n := len(password); n > 0; n -= 16 {
		ctx.Write(final[:min(n, 16)])
	}
	for n := len(password); n > 0; n >>= 1 {
		if n&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(password[:1])
		}
	}
	final = ctx.Sum(nil)
	for i := range 1000 {
		c := md5.New()
		if i&1 != 0 {
			c.Write(password)
		} else {
			c.Write(final)
		}
		if i%3 != 0 {
			c.Write([]byte(salt))
		}
		if i%7 != 0 {
			c.Write(password)
		}
		if i&1 != 0 {
			c.Write(final)
		} else {
			c.Write(password)
		}
		final = c.Sum(nil)
	}
	var out strings.Builder
	out.WriteString("$1$" + salt + "$")
	for _, g := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		v := uint(final[g[0]])<<16 | uint(final[g[1]])<<8 | uint(final[g[2]])
		out.WriteString(md5Digits(v, 4))
	}
	out.WriteString(md5Digits(uint(final[11]), 2))
	return out.String()
}

// md5Digits writes v's low 6*n bits as n characters of md5Alphabet, least significant first.
func md5Digits(v uint, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = md5Alphabet[v&0x3f]
		v >>= 6
	}
	return string(b)
}

// md5Encode is n characters of md5Alphabet from random bytes b, for a salt.
func md5Encode(b []byte, n int) string {
	var out strings.Builder
	for i := 0; out.Len() < n; i += 3 {
		v := uint(b[i%len(b)]) | uint(b[(i+1)%len(b)])<<8 | uint(b[(i+2)%len(b)])<<16
		out.WriteString(md5Digits(v, 4))
	}
	return out.String()[:n]
}
