package agg

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// mongoStages is MongoDB 8.0's list of aggregation stages, from the
// manual's "Aggregation Stages" reference
// (https://www.mongodb.com/docs/manual/reference/operator/aggregation-pipeline/),
// the database-level stages included.
var mongoStages = []string{
	"$addFields", "$bucket", "$bucketAuto", "$changeStream", "$changeStreamSplitLargeEvent", "$collStats",
	"$count", "$currentOp", "$densify", "$documents", "$facet", "$fill", "$geoNear", "$graphLookup", "$group",
	"$indexStats", "$limit", "$listLocalSessions", "$listSampledQueries", "$listSearchIndexes", "$listSessions",
	"$lookup", "$match", "$merge", "$out", "$planCacheStats", "$project", "$querySettings", "$redact",
	"$replaceRoot", "$replaceWith", "$sample", "$search", "$searchMeta", "$set", "$setWindowFields",
	"$shardedDataDistribution", "$skip", "$sort", "$sortByCount", "$unionWith", "$unset", "$unwind",
	"$vectorSearch",
}

// missingStages are the stages of mongoStages this package does not
// compile; the README's differences section names each of them.
var missingStages = []string{
	"$changeStream", "$changeStreamSplitLargeEvent", "$collStats", "$currentOp",
	"$documents", "$geoNear", "$indexStats", "$listLocalSessions",
	"$listSampledQueries", "$listSearchIndexes", "$listSessions", "$merge", "$out", "$planCacheStats",
	"$querySettings", "$search", "$searchMeta", "$shardedDataDistribution",
	"$vectorSearch",
}

// TestInventory_Stages checks the stage table against MongoDB's list:
// every stage is compiled or listed missing (not both), the table holds
// nothing MongoDB lacks, and the README names every missing stage.
func TestInventory_Stages(t *testing.T) {
	for _, name := range mongoStages {
		_, has := stageCompilers[name]
		switch m := slices.Contains(missingStages, name); {
		case has && m:
			t.Errorf("stage %s is implemented: take it off the missing list (and the README)", name)
		case !has && !m:
			t.Errorf("stage %s is neither implemented nor listed missing", name)
		}
	}
	for name := range stageCompilers {
		if !slices.Contains(mongoStages, name) {
			t.Errorf("stage %s is not in MongoDB 8's list", name)
		}
	}
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, diff, _ := strings.Cut(string(readme), "## Differences from MongoDB")
	diff, _, _ = strings.Cut(diff, "\n## ")
	for _, name := range missingStages {
		if !slices.Contains(mongoStages, name) {
			t.Errorf("missing stage %s is not in MongoDB 8's list", name)
		}
		if !strings.Contains(diff, "`"+name+"`") {
			t.Errorf("README's differences section does not name %s", name)
		}
	}
}
