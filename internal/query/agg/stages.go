package agg

// stageCompilers is the table of pipeline stages, one entry per stage name; each
// compiler lives in the stage_*.go file named beside it. It is filled by
// the init below rather than by its declaration only because $facet and
// $lookup compile sub-pipelines through the table, which Go's
// initialization order rejects as a cycle.
var stageCompilers map[string]aggStageCompiler

func init() {
	stageCompilers = map[string]aggStageCompiler{
		"$addFields":   aggCompileAddFields,   // stage_project.go
		"$count":       aggCompileCount,       // stage_basic.go
		"$facet":       aggCompileFacet,       // stage_facet.go
		"$group":       aggCompileGroup,       // stage_group.go
		"$limit":       aggCompileSkipLimit,   // stage_basic.go
		"$lookup":      aggCompileLookup,      // stage_lookup.go
		"$match":       aggCompileMatch,       // stage_basic.go
		"$project":     aggCompileProject,     // stage_project.go
		"$replaceRoot": aggCompileReplaceRoot, // stage_basic.go
		"$replaceWith": aggCompileReplaceRoot, // stage_basic.go
		"$sample":      aggCompileSample,      // stage_union.go
		"$set":         aggCompileAddFields,   // stage_project.go
		"$skip":        aggCompileSkipLimit,   // stage_basic.go
		"$sort":        aggCompileSort,        // stage_sort.go
		"$sortByCount": aggCompileSortByCount, // stage_sort.go
		"$unionWith":   aggCompileUnionWith,   // stage_union.go
		"$unset":       aggCompileUnset,       // stage_project.go
		"$unwind":      aggCompileUnwind,      // stage_unwind.go
	}
}
