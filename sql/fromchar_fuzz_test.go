package sql

import (
	"testing"
	"time"
)

// FuzzDateTemplates reads any text with any template through to_date, to_timestamp, to_number and to_char:
// each answers or returns an error, and none may panic.
func FuzzDateTemplates(f *testing.F) {
	for _, seed := range [][2]string{
		{"2024-01-15", "YYYY-MM-DD"}, {"20240115", "YYYYMMDD"}, {"2000    JUN", "FXYYYY MON"},
		{"2024-01-02 03:04:05.123456 +05:30", "YYYY-MM-DD HH24:MI:SS.US TZH:TZM"}, {"2024 ", "YYYY TZH"},
		{"10:00 p.m.", "HH12:MI a.m."}, {`2024-01-02T03`, `YYYY-MM-DD"T"HH24`}, {"2024 032", "YYYY DDD"},
		{"12,454.8-", "99G999D9S"}, {"$1,234.56", "L9,999.99"}, {"<123>", "999PR"}, {"5.01-", "FM9.999999MI"},
		{"1st", "FMDDth"}, {"", ""}, {"\"", "\"\\"}, {"2451545 12:30", "J HH24:MI"}, {"99999999999999999999", "J"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, s, tmpl string) {
		_, _ = toDateText(s, tmpl)
		_, _ = toTimestampText(s, tmpl, time.UTC)
		_, _ = toNumber(s, tmpl)
		_ = formatTime(time.Date(2024, 3, 5, 14, 7, 9, 0, time.UTC), tmpl)
	})
}
