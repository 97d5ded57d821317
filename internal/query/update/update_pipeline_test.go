package update_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/update"
)

// TestCompilePipeline applies pipeline-style updates, from the manual's
// https://www.mongodb.com/docs/manual/tutorial/update-documents-with-aggregation-pipeline/
// and the update command's page.
func TestCompilePipeline(t *testing.T) {
	cases := []struct {
		name     string
		doc      string
		pipeline string
		insert   bool
		want     string
		noop     bool
		code     codes.Code
	}{
		{name: "set-computed-from-fields", doc: `{"_id": 1, "a": 2, "b": 3}`,
			pipeline: `[{"$set": {"c": {"$add": ["$a", "$b"]}}}]`, want: `{"_id": 1, "a": 2, "b": 3, "c": 5}`},
		{name: "stages-in-order", doc: `{"_id": 1, "a": 2}`,
			pipeline: `[{"$set": {"b": {"$multiply": ["$a", 10]}}}, {"$unset": "a"}, {"$addFields": {"c": "$b"}}]`,
			want:     `{"_id": 1, "b": 20, "c": 20}`},
		{name: "replaceWith-keeps-id", doc: `{"_id": 1, "name": {"first": "A", "last": "B"}}`,
			pipeline: `[{"$replaceWith": "$name"}]`, want: `{"_id": 1, "first": "A", "last": "B"}`},
		{name: "replaceRoot-merge", doc: `{"_id": 1, "a": 1, "d": {"b": 2}}`,
			pipeline: `[{"$replaceRoot": {"newRoot": {"$mergeObjects": ["$$ROOT", "$d"]}}}, {"$unset": "d"}]`,
			want:     `{"_id": 1, "a": 1, "b": 2}`},
		{name: "project", doc: `{"_id": 1, "a": 1, "b": 2}`,
			pipeline: `[{"$project": {"b": 1}}]`, want: `{"_id": 1, "b": 2}`},
		{name: "same-value-is-noop", doc: `{"_id": 1, "a": 1}`,
			pipeline: `[{"$set": {"a": 1}}]`, want: `{"_id": 1, "a": 1}`, noop: true},
		{name: "upsert-seed-without-id", doc: `{"k": 1}`, insert: true,
			pipeline: `[{"$set": {"v": {"$literal": "$x"}}}]`, want: `{"k": 1, "v": "$x"}`},
		{name: "changing-id", doc: `{"_id": 1}`,
			pipeline: `[{"$set": {"_id": 2}}]`, code: codes.ImmutableField},
		{name: "match-not-allowed", doc: `{"_id": 1}`,
			pipeline: `[{"$match": {}}]`, code: codes.InvalidOptions},
		{name: "group-not-allowed", doc: `{"_id": 1}`,
			pipeline: `[{"$group": {"_id": null}}]`, code: codes.InvalidOptions},
		{name: "bad-expression", doc: `{"_id": 1}`,
			pipeline: `[{"$set": {"a": {"$nope": 1}}}]`, code: codes.InvalidPipelineOperator},
		{name: "evaluation-error", doc: `{"_id": 1, "a": "x"}`,
			pipeline: `[{"$set": {"a": {"$add": ["$a", 1]}}}]`, code: 16554},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var wrapped bson.Raw
			if err := bson.UnmarshalExtJSON([]byte(`{"p": `+c.pipeline+`}`), false, &wrapped); err != nil {
				t.Fatal(err)
			}
			var stages []bson.Raw
			vals, _ := wrapped.Lookup("p").Array().Values()
			for _, v := range vals {
				stages = append(stages, v.Document())
			}
			u, err := update.CompilePipeline(stages)
			var out bson.Raw
			var modified bool
			if err == nil {
				if !u.IsPipeline() || u.IsReplacement() {
					t.Fatalf("IsPipeline = %v, IsReplacement = %v", u.IsPipeline(), u.IsReplacement())
				}
				out, modified, err = u.Apply(updateDoc(t, c.doc), update.ApplyOptions{Position: -1, Insert: c.insert})
			}
			if c.code != 0 {
				if codes.CodeOf(err) != c.code {
					t.Fatalf("err = %v, want code %d", err, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := out.String(), updateDoc(t, c.want).String(); got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
			if modified == c.noop {
				t.Fatalf("modified = %v", modified)
			}
		})
	}
}
