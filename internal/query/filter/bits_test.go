package filter_test

import (
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/filter"
)

// bitsCollection is the collection of the manual's bitwise operator pages
// (https://www.mongodb.com/docs/manual/reference/operator/query/bitsAllSet/
// and bitsAnySet, bitsAllClear, bitsAnyClear): a is 54, 20, 20.0 and
// BinData 0x66 (positions 1, 2, 5, 6). The expected sets follow from the
// operators' definitions; BinData 0x30 holds positions 4 and 5.
var bitsCollection = []string{
	`{"_id": 1, "a": 54}`,
	`{"_id": 2, "a": 20}`,
	`{"_id": 3, "a": 20.0}`,
	`{"_id": 4, "a": {"$binary": {"base64": "Zg==", "subType": "00"}}}`,
}

func TestFilter_Bits(t *testing.T) {
	cases := []struct {
		filter string
		want   []int // _ids of bitsCollection that match
	}{
		{`{"a": {"$bitsAllSet": [1, 5]}}`, []int{1, 4}},
		{`{"a": {"$bitsAllSet": 50}}`, []int{1}},
		{`{"a": {"$bitsAllSet": {"$binary": {"base64": "MA==", "subType": "00"}}}}`, []int{1}},
		{`{"a": {"$bitsAnySet": [1, 5]}}`, []int{1, 4}},
		{`{"a": {"$bitsAnySet": 35}}`, []int{1, 4}},
		{`{"a": {"$bitsAnySet": {"$binary": {"base64": "MA==", "subType": "00"}}}}`, []int{1, 2, 3, 4}},
		{`{"a": {"$bitsAllClear": [1, 5]}}`, []int{2, 3}},
		{`{"a": {"$bitsAllClear": 35}}`, []int{2, 3}},
		{`{"a": {"$bitsAllClear": {"$binary": {"base64": "IA==", "subType": "00"}}}}`, []int{2, 3}},
		{`{"a": {"$bitsAnyClear": [1, 5]}}`, []int{2, 3}},
		{`{"a": {"$bitsAnyClear": 35}}`, []int{1, 2, 3, 4}},
		{`{"a": {"$bitsAnyClear": {"$binary": {"base64": "MA==", "subType": "00"}}}}`, []int{2, 3, 4}},
		// an empty set of positions: all-tests hold, any-tests fail
		{`{"a": {"$bitsAllSet": []}}`, []int{1, 2, 3, 4}},
		{`{"a": {"$bitsAnySet": 0}}`, nil},
	}
	for _, c := range cases {
		f, err := filter.Compile(filterDoc(t, c.filter))
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		var got []int
		for i, d := range bitsCollection {
			if f.Match(filterDoc(t, d)) {
				got = append(got, i+1)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%s matches %v, want %v", c.filter, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s matches %v, want %v", c.filter, got, c.want)
				break
			}
		}
	}
}

func TestFilter_BitsValues(t *testing.T) {
	cases := []struct {
		filter, doc string
		want        bool
	}{
		{`{"a": {"$bitsAllSet": [0, 63, 100]}}`, `{"a": -1}`, true},
		{`{"a": {"$bitsAnySet": [100]}}`, `{"a": {"$numberLong": "-2"}}`, true},
		{`{"a": {"$bitsAnySet": [100]}}`, `{"a": 2}`, false},
		{`{"a": {"$bitsAllClear": [0]}}`, `{"a": -2}`, true},
		{`{"a": {"$bitsAnySet": [0]}}`, `{"a": 1.5}`, false},
		{`{"a": {"$bitsAnyClear": [0]}}`, `{"a": 1.5}`, false},
		{`{"a": {"$bitsAnySet": [0]}}`, `{"a": 1e300}`, false},
		{`{"a": {"$bitsAnySet": [0]}}`, `{"a": {"$numberDouble": "NaN"}}`, false},
		{`{"a": {"$bitsAnySet": [0]}}`, `{"a": {"$numberDecimal": "3"}}`, true},
		{`{"a": {"$bitsAnySet": [0]}}`, `{"a": "1"}`, false},
		{`{"a": {"$bitsAnySet": [0]}}`, `{"a": [2, 3]}`, true},
		{`{"a": {"$bitsAllClear": [20]}}`, `{"a": {"$binary": {"base64": "/w==", "subType": "00"}}}`, true},
		{`{"a": {"$bitsAnyClear": [7]}}`, `{"a": {"$binary": {"base64": "/w==", "subType": "00"}}}`, false},
	}
	for _, c := range cases {
		f, err := filter.Compile(filterDoc(t, c.filter))
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		if got := f.Match(filterDoc(t, c.doc)); got != c.want {
			t.Errorf("%s on %s = %v, want %v", c.filter, c.doc, got, c.want)
		}
	}
	errs := []struct {
		filter string
		code   codes.Code
	}{
		{`{"a": {"$bitsAllSet": -1}}`, codes.FailedToParse},
		{`{"a": {"$bitsAllSet": 1.5}}`, codes.FailedToParse},
		{`{"a": {"$bitsAllSet": "1"}}`, codes.BadValue},
		{`{"a": {"$bitsAllSet": [-1]}}`, codes.BadValue},
		{`{"a": {"$bitsAllSet": [1.5]}}`, codes.BadValue},
		{`{"a": {"$bitsAllSet": ["1"]}}`, codes.BadValue},
	}
	for _, e := range errs {
		if _, err := filter.Compile(filterDoc(t, e.filter)); codes.CodeOf(err) != e.code {
			t.Errorf("%s: %v, want code %d", e.filter, err, e.code)
		}
	}
}

// bitsFuzzSeeds are bitwise filters for the filter fuzzer's corpus.
var bitsFuzzSeeds = []string{
	`{"a": {"$bitsAllSet": [1, 5]}}`, `{"a": {"$bitsAnySet": 35}}`,
	`{"a": {"$bitsAllClear": {"$binary": {"base64": "IA==", "subType": "00"}}}}`, `{"a": {"$bitsAnyClear": [0, 100]}}`,
	`{"a": {"$bitsAllSet": -1}}`, `{"a": {"$bitsAllSet": ["1"]}}`,
}
