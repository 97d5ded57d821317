package agg

// stageCompilers is the table of pipeline stages, one entry per stage name; each
// compiler lives in the stage_*.go file named beside it. It is filled by
// the init below rather than by its declaration only because $facet and
// $lookup compile sub-pipelines through the table, which Go's
// initialization order rejects as a cycle.
var stageCompilers map[string]stageCompiler

func init() {
	stageCompilers = map[string]stageCompiler{
		"$addFields":       compileAddFields,       // stage_project.go
		"$bucket":          compileBucket,          // stage_bucket.go
		"$bucketAuto":      compileBucketAuto,      // stage_bucket_auto.go
		"$count":           compileCount,           // stage_basic.go
		"$facet":           compileFacet,           // stage_facet.go
		"$densify":         compileDensify,         // stage_densify.go
		"$fill":            compileFill,            // stage_fill.go
		"$graphLookup":     compileGraphLookup,     // stage_graph_lookup.go
		"$group":           compileGroup,           // stage_group.go
		"$limit":           compileSkipLimit,       // stage_basic.go
		"$lookup":          compileLookup,          // stage_lookup.go
		"$match":           compileMatch,           // stage_basic.go
		"$project":         compileProject,         // stage_project.go
		"$redact":          compileRedact,          // stage_redact.go
		"$replaceRoot":     compileReplaceRoot,     // stage_basic.go
		"$replaceWith":     compileReplaceRoot,     // stage_basic.go
		"$sample":          compileSample,          // stage_union.go
		"$set":             compileAddFields,       // stage_project.go
		"$setWindowFields": compileSetWindowFields, // stage_window.go
		"$skip":            compileSkipLimit,       // stage_basic.go
		"$sort":            compileSort,            // stage_sort.go
		"$sortByCount":     compileSortByCount,     // stage_sort.go
		"$unionWith":       compileUnionWith,       // stage_union.go
		"$unset":           compileUnset,           // stage_project.go
		"$unwind":          compileUnwind,          // stage_unwind.go
	}
}
