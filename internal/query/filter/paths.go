package filter

// Paths returns the field paths the filter reads, each once, in the order
// they appear, and reports with ok whether they are all it reads: false
// when a predicate reads the whole document ($expr, $jsonSchema), so that
// no set of fields is known to decide it. A filter whose paths are all
// present, with their exact values, in a partial copy of a document
// matches that copy exactly as it matches the document (what a covered
// query relies on).
func (f *Filter) Paths() (paths []string, ok bool) {
	if f == nil || f.root == nil {
		return nil, true
	}
	seen := map[string]bool{}
	ok = nodePaths(f.root, seen, &paths)
	return paths, ok
}

// nodePaths appends the paths under n not yet in seen; false when n reads
// the whole document.
func nodePaths(n node, seen map[string]bool, out *[]string) bool {
	switch n := n.(type) {
	case *andNode:
		for _, k := range n.kids {
			if !nodePaths(k, seen, out) {
				return false
			}
		}
		return true
	case *orNode:
		for _, k := range n.kids {
			if !nodePaths(k, seen, out) {
				return false
			}
		}
		return true
	case *notNode:
		return nodePaths(n.kid, seen, out)
	case constNode:
		return true
	case *pathNode:
		if !seen[n.path.Full] {
			seen[n.path.Full] = true
			*out = append(*out, n.path.Full)
		}
		return true
	}
	return false
}
