package projection

// IncludedPaths returns the paths a plain inclusion projection keeps
// ({a: 1, "b.c": 1}, _id included unless {_id: 0}), in spec order, and
// reports with ok whether the projection is one: false for exclusion
// projections, computed fields, $slice, $elemMatch, the positional
// operator and the whole document. The output of a plain inclusion
// projection depends only on the values at these paths.
func (p *Projection) IncludedPaths() (paths []string, ok bool) {
	if p == nil || p.whole || !p.inclusion || p.positional || len(p.exprs) > 0 {
		return nil, false
	}
	return includedPaths(p.root, "", paths)
}

// includedPaths appends the included paths under n (at prefix).
func includedPaths(n *node, prefix string, out []string) ([]string, bool) {
	for _, name := range n.order {
		k := n.kids[name]
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		switch {
		case k.slice != nil || k.elemMatch != nil || k.positional:
			return nil, false
		case k.leaf && k.exclude:
			// {_id: 0}: not kept.
		case k.leaf:
			out = append(out, path)
		default:
			var ok bool
			if out, ok = includedPaths(k, path, out); !ok {
				return nil, false
			}
		}
	}
	return out, true
}

// Positional reports whether the projection has a "path.$" field, whose value depends on the array element
// the filter matched.
func (p *Projection) Positional() bool { return p.positional }
