package sql

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Block scoping of PL/pgSQL variables. A block's DECLARE section makes variables that exist only while the block
// runs: they start again (their defaults evaluated anew) each time it is entered, and they hide an outer variable
// of the same name only inside it. The parser's tree numbers every variable but does not say which block declared
// which, so plScopeBlocks reads the names each DECLARE section declares from the body's text and matches them, in
// order, to the variables' numbers.

// aliasTarget matches what follows ALIAS in a declaration: FOR and the name or $n of what it names.
var aliasTarget = regexp.MustCompile(`^(?i)\s+FOR\s+(\$[0-9]+|[A-Za-z_][A-Za-z0-9_$]*)\s*;`)

// plDeclSections reads the variables' names each block of a body declares, one list a block in the order the
// blocks begin (the order of their BEGINs), lower-cased unless quoted, and the names ALIAS declarations give
// (alias → the name or $n it names), which make no variable. ok is false when the text cannot be read so (an
// unterminated quote or comment).
func plDeclSections(body string) (blocks [][]string, aliases map[string]string, ok bool) {
	var decl []string
	inDecl, expectName, depth := false, false, 0
	prev := ""     // the token before this one: a word lower-cased, a quoted name as `"`
	lastName := -1 // the index in decl of the name just read, to drop it if ALIAS follows
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '-' && strings.HasPrefix(body[i:], "--"):
			if j := strings.IndexByte(body[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(body)
			}
			continue
		case c == '/' && strings.HasPrefix(body[i:], "/*"):
			n, nest := i+2, 1
			for nest > 0 {
				if n >= len(body)-1 {
					return nil, nil, false
				}
				switch body[n : n+2] {
				case "/*":
					nest, n = nest+1, n+2
				case "*/":
					nest, n = nest-1, n+2
				default:
					n++
				}
			}
			i = n
			continue
		case unicode.IsSpace(rune(c)):
			i++
			continue
		}
		// One token: a quoted string, a dollar-quoted string, a quoted or plain word, or one other character.
		start := i
		word, quoted := "", false
		switch {
		case c == '\'':
			esc := i > 0 && (body[i-1] == 'e' || body[i-1] == 'E')
			j := i + 1
			for ; j < len(body); j++ {
				if esc && body[j] == '\\' {
					j++
					continue
				}
				if body[j] == '\'' {
					if j+1 < len(body) && body[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(body) {
				return nil, nil, false
			}
			i = j + 1
		case c == '"':
			j := i + 1
			for ; j < len(body); j++ {
				if body[j] == '"' {
					if j+1 < len(body) && body[j+1] == '"' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(body) {
				return nil, nil, false
			}
			word, quoted = strings.ReplaceAll(body[i+1:j], `""`, `"`), true
			i = j + 1
		case c == '$' && dollarTag(body[i:]) != "":
			tag := dollarTag(body[i:])
			end := strings.Index(body[i+len(tag):], tag)
			if end < 0 {
				return nil, nil, false
			}
			i += 2*len(tag) + end
		case c == '_' || c >= 0x80 || unicode.IsLetter(rune(c)):
			j := i + 1
			for j < len(body) && (body[j] == '_' || body[j] == '$' || body[j] >= 0x80 || unicode.IsLetter(rune(body[j])) || unicode.IsDigit(rune(body[j]))) {
				j++
			}
			word = strings.ToLower(body[i:j])
			i = j
		default:
			i++
		}
		tok := body[start:i]
		// BEGIN and DECLARE open a block only where a statement may start: first, or after a statement's ";",
		// a label's ">>", BEGIN, THEN, ELSE, LOOP or an empty DECLARE; elsewhere they are names (SELECT 1 AS begin).
		atStart := prev == "" || prev == ";" || prev == ">" || prev == "then" || prev == "else" || prev == "loop" || prev == "declare" || prev == "begin"
		if quoted {
			prev = "\"" // a quoted name
		} else if word != "" {
			prev = word
		} else {
			prev = tok
		}
		switch {
		case tok == "(" || tok == "[":
			depth++
		case tok == ")" || tok == "]":
			depth--
		case depth != 0:
		case tok == ";":
			expectName, lastName = inDecl, -1
		case !quoted && word == "declare" && (atStart || inDecl):
			if !inDecl {
				decl = nil
			}
			inDecl, expectName, lastName = true, true, -1
		case !quoted && word == "begin" && (atStart || inDecl && expectName):
			blocks = append(blocks, decl)
			decl, inDecl, expectName, lastName = nil, false, false, -1
		case inDecl && tok == "<" || inDecl && tok == ">":
		case inDecl && expectName && word != "":
			decl, lastName, expectName = append(decl, word), len(decl), false
		case inDecl && lastName >= 0 && !quoted && word == "alias":
			if m := aliasTarget.FindStringSubmatch(body[i:]); m != nil {
				if aliases == nil {
					aliases = map[string]string{}
				}
				aliases[decl[lastName]] = strings.ToLower(m[1])
			}
			decl, lastName = decl[:lastName], -1
		default:
			lastName = -1
		}
	}
	return blocks, aliases, true
}

// dollarTag is the dollar-quote tag that s starts with ($$ or $name$), "" when it starts with none.
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '$':
			return s[:j+1]
		case c == '_' || c >= 0x80 || unicode.IsLetter(rune(c)) || j > 1 && unicode.IsDigit(rune(c)):
		default:
			return ""
		}
	}
	return ""
}

// plWalk calls fn for s and each statement in it, in the order of the body's text.
func plWalk(s *plStmt, fn func(*plStmt)) {
	fn(s)
	lists := [][]*plStmt{s.body, s.thenBody}
	for _, c := range s.elsifs {
		lists = append(lists, c.stmts)
	}
	lists = append(lists, s.elseBody)
	for _, h := range s.handlers {
		lists = append(lists, h.action)
	}
	for _, l := range lists {
		for _, c := range l {
			plWalk(c, fn)
		}
	}
}

// plScopeBlocks gives each block of f the variables its DECLARE section declares (plStmt.decls), and marks them
// in f.declared: names find those only while their block runs. body is the text the tree was parsed from. When
// the text's sections cannot be matched to the tree, every declared variable is taken to be the outermost block's,
// as if the body had one DECLARE section.
func (f *plFunc) plScopeBlocks(body string) {
	var blocks []*plStmt
	plWalk(f.action, func(s *plStmt) {
		if s.kind == "block" {
			blocks = append(blocks, s)
		}
	})
	// The variables no DECLARE makes: the parameters, FOUND, a trigger's, an integer FOR loop's or a cursor FOR
	// loop's record, a bound cursor's arguments, and the rows and fields the parser makes for statements.
	implicit := map[int]bool{}
	for i, d := range f.datums {
		if d.argument || d.kind == "var" && d.name == "found" && i == f.found || f.loopOnly[i] {
			implicit[i] = true
		}
		if d.cursorArgs >= 0 && d.cursorArgs < len(f.datums) {
			for _, v := range f.datums[d.cursorArgs].fields {
				implicit[v] = true
			}
		}
	}
	plWalk(f.action, func(s *plStmt) {
		if s.kind == "forc" && s.loopVar >= 0 {
			implicit[s.loopVar] = true
		}
	})
	// The first datums are the parameters; the declared variables follow FOUND (and a trigger's variables).
	first := 0
	if f.found >= 0 {
		first = f.found + 1
	}
	f.declared = map[int]bool{}
	sections, aliases, ok := plDeclSections(body)
	f.aliases = aliases
	if a := f.action; len(blocks) == len(sections)+1 && a.label == "" && a.handlers == nil && len(a.body) == 2 && a.body[0].kind == "block" && a.body[1].kind == "return" {
		// The parser's own block around a labeled body or one with an EXCEPTION clause, for the RETURN it adds.
		blocks = blocks[1:]
	}
	if ok && len(sections) == len(blocks) {
		assigned := make([][]int, len(blocks))
		j := first
		for b, names := range sections {
			for _, name := range names {
				for j < len(f.datums) && !f.declarable(j, implicit, name) {
					j++
				}
				if j == len(f.datums) {
					ok = false
					break
				}
				assigned[b] = append(assigned[b], j)
				j++
			}
			if !ok {
				break
			}
		}
		if ok {
			for b, s := range blocks {
				s.decls = assigned[b]
				for _, v := range assigned[b] {
					f.declared[v] = true
				}
			}
			return
		}
	}
	// Unmatched: one section, the outermost block's, of every variable a DECLARE could have made.
	f.action.decls = nil
	for i := first; i < len(f.datums); i++ {
		if d := f.datums[i]; f.declarable(i, implicit, d.name) && !(d.kind == "rec" && (d.name == "new" || d.name == "old")) && !plTriggerVars[d.name] {
			f.action.decls = append(f.action.decls, i)
			f.declared[i] = true
		}
	}
}

// declarable reports whether datum i is a variable of that name a DECLARE section could have made.
func (f *plFunc) declarable(i int, implicit map[int]bool, name string) bool {
	d := f.datums[i]
	return (d.kind == "var" || d.kind == "rec") && !implicit[i] && d.name == name
}

// plBodyOf is the body of the text plParse reads, a CREATE FUNCTION, CREATE PROCEDURE or DO statement whose body
// is its last part, dollar-quoted ("" when it is not).
func plBodyOf(text string) string {
	start := plBodyStart(text)
	if start < 0 {
		return ""
	}
	return text[start:strings.LastIndexByte(text[:len(text)-1], '$')]
}

// plBodyStart is the offset of the body in the text plParse reads, -1 when it has no dollar-quoted body last.
func plBodyStart(text string) int {
	if !strings.HasSuffix(text, "$") {
		return -1
	}
	open := strings.LastIndexByte(text[:len(text)-1], '$')
	if open < 0 {
		return -1
	}
	tag := text[open:]
	start := strings.Index(text, tag)
	if start < 0 || start+len(tag) > open {
		return -1
	}
	return start + len(tag)
}

// plBlockStart is where, in text, the outermost block of the body at offset start has its DECLARE section: past
// its label, if any.
func plBlockStart(text string, start int) int {
	i := start
	for i < len(text) {
		switch rest := text[i:]; {
		case unicode.IsSpace(rune(text[i])):
			i++
		case strings.HasPrefix(rest, "--"):
			if j := strings.IndexByte(rest, '\n'); j >= 0 {
				i += j + 1
			} else {
				return i
			}
		case strings.HasPrefix(rest, "/*"):
			if j := strings.Index(rest, "*/"); j >= 0 { // a nested comment ends later: the parser's error then
				i += j + 2
			} else {
				return i
			}
		case strings.HasPrefix(rest, "<<"):
			if j := strings.Index(rest, ">>"); j >= 0 {
				return i + j + 2
			}
			return i
		default:
			return i
		}
	}
	return i
}

// enterBlock starts a block's variables: each is given its default (NULL when it has none, a row of NULLs for a
// variable of a table's row type) in the order declared, and then names find it, so a default reads the variables
// declared before its own and an outer one of its name. leave ends their scope.
func (p *plRun) enterBlock(s *plStmt) (leave func(), err error) {
	n, nl := len(p.scope), len(p.labels)
	leave = func() { p.scope, p.labels = p.scope[:n], p.labels[:nl] }
	if s.label != "" {
		p.labels = append(p.labels, plLabel{s.label, s.decls})
	}
	for _, i := range s.decls {
		if err := p.initDatum(i); err != nil {
			leave()
			return nil, err
		}
		p.scope = append(p.scope, i)
	}
	return leave, nil
}

// initDatum gives a declared variable its first value.
func (p *plRun) initDatum(i int) error {
	d := p.f.datums[i]
	p.vals[i] = nil
	if pi, ok := p.f.fromParam[i]; ok {
		if r, ok := p.vals[pi].(*plRecord); ok && r != nil {
			p.vals[i] = &plRecord{names: r.names, oids: r.oids, vals: slices.Clone(r.vals), null: r.null}
			return nil
		}
	}
	tname, row := p.f.rowVars[d.name]
	row = row && d.kind == "rec"
	if d.kind == "var" && p.prep.rowtype[i] && d.def == nil {
		tname, row = strings.Trim(strings.TrimSuffix(strings.ToLower(d.typ), "%rowtype"), `"`), true
	}
	if row {
		// A variable of a table's row type starts NULL, its fields NULL of its table's columns' types.
		t, err := p.x.lookupTable(strings.TrimPrefix(tname, "public."), 0)
		if err != nil {
			return errorf(CodeUndefinedObject, "type \"%s\" does not exist", tname)
		}
		rec := triggerRecord(t, make([]any, len(t.Columns)))
		rec.null = true
		p.vals[i] = rec
		return nil
	}
	if d.kind != "var" {
		return nil
	}
	p.types[i] = p.prep.types[i]
	switch {
	case d.def != nil:
		v, err := p.eval(d.def)
		if err != nil {
			return err
		}
		return p.assign(i, v)
	case d.notNull:
		return errorf(CodeNullValueNotAllowed, "variable \"%s\" must have a default value, since it's declared NOT NULL", d.name)
	}
	return nil
}
