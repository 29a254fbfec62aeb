package eval

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The logic line of a structured filter:
//
//	logic   = or
//	or      = and { "OR" and }
//	and     = unary { "AND" unary }
//	unary   = "NOT" unary | primary
//	primary = number | "(" or ")"
//
// Keywords are case-insensitive; NOT binds tighter than AND, AND tighter
// than OR. Numbers name conditions, 1-based.

type logicOp uint8

const (
	logicLeaf logicOp = iota
	logicAnd
	logicOr
	logicNot
)

// logicNode is a parsed logic line.
type logicNode struct {
	op   logicOp
	n    int // logicLeaf: the condition number
	col  int // 1-based column (runes) where the node starts
	kids []*logicNode
}

type logicTokKind uint8

const (
	tokEOF logicTokKind = iota
	tokNum
	tokAnd
	tokOr
	tokNot
	tokLParen
	tokRParen
	tokBad
)

type logicTok struct {
	kind logicTokKind
	text string
	col  int
}

func (t logicTok) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of line"
	case tokNum:
		return "number " + t.text
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	}
	return strconv.Quote(t.text)
}

func lexLogic(s string) []logicTok {
	var toks []logicTok
	col := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		col++
		start, startCol := i, col
		switch {
		case unicode.IsSpace(r):
			i += size
			continue
		case r == '(':
			toks = append(toks, logicTok{tokLParen, "(", col})
			i += size
			continue
		case r == ')':
			toks = append(toks, logicTok{tokRParen, ")", col})
			i += size
			continue
		case r >= '0' && r <= '9':
			i += size
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
				col++
			}
			toks = append(toks, logicTok{tokNum, s[start:i], startCol})
			continue
		case unicode.IsLetter(r) || r == '_':
			i += size
			for i < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[i:])
				if !unicode.IsLetter(r2) && !unicode.IsDigit(r2) && r2 != '_' {
					break
				}
				i += sz
				col++
			}
			word := s[start:i]
			kind := tokBad
			switch {
			case strings.EqualFold(word, "and"):
				kind = tokAnd
			case strings.EqualFold(word, "or"):
				kind = tokOr
			case strings.EqualFold(word, "not"):
				kind = tokNot
			}
			toks = append(toks, logicTok{kind, word, startCol})
			continue
		default:
			toks = append(toks, logicTok{tokBad, string(r), col})
			i += size
		}
	}
	return append(toks, logicTok{tokEOF, "", col + 1})
}

type logicParser struct {
	toks  []logicTok
	pos   int
	nCond int
	probs problems
	fatal bool // a syntax problem: stop parsing
}

// parseLogic parses a logic line naming conditions 1..nCond. It returns the
// tree (nil if a syntax problem was found) and every problem found.
func parseLogic(s string, nCond int) (*logicNode, problems) {
	if len(s) > MaxExprBytes {
		var ps problems
		ps.add(Position{Column: 1}, ErrTooLarge, "logic line is %d bytes, over the bound of %d", len(s), MaxExprBytes)
		return nil, ps
	}
	p := &logicParser{toks: lexLogic(s), nCond: nCond}
	if p.peek().kind == tokEOF {
		p.probs.add(Position{Column: 1}, ErrLogic, "empty logic line")
		return nil, p.probs
	}
	n := p.parseOr()
	if !p.fatal && p.peek().kind != tokEOF {
		t := p.peek()
		if t.kind == tokRParen {
			p.errAt(t, "unbalanced parenthesis: %s without \"(\"", t.describe())
		} else {
			p.errAt(t, "unexpected %s: want AND, OR or end of line", t.describe())
		}
	}
	if p.fatal {
		return nil, p.probs
	}
	return n, p.probs
}

func (p *logicParser) peek() logicTok { return p.toks[p.pos] }

func (p *logicParser) next() logicTok {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *logicParser) errAt(t logicTok, format string, args ...any) {
	if p.fatal {
		return
	}
	p.fatal = true
	p.probs.add(Position{Column: t.col}, ErrLogic, format, args...)
}

func (p *logicParser) parseOr() *logicNode {
	first := p.parseAnd()
	if p.fatal || p.peek().kind != tokOr {
		return first
	}
	n := &logicNode{op: logicOr, col: first.col, kids: []*logicNode{first}}
	for !p.fatal && p.peek().kind == tokOr {
		p.next()
		n.kids = append(n.kids, p.parseAnd())
	}
	return n
}

func (p *logicParser) parseAnd() *logicNode {
	first := p.parseUnary()
	if p.fatal || p.peek().kind != tokAnd {
		return first
	}
	n := &logicNode{op: logicAnd, col: first.col, kids: []*logicNode{first}}
	for !p.fatal && p.peek().kind == tokAnd {
		p.next()
		n.kids = append(n.kids, p.parseUnary())
	}
	return n
}

func (p *logicParser) parseUnary() *logicNode {
	t := p.peek()
	if t.kind == tokNot {
		p.next()
		kid := p.parseUnary()
		return &logicNode{op: logicNot, col: t.col, kids: []*logicNode{kid}}
	}
	return p.parsePrimary()
}

func (p *logicParser) parsePrimary() *logicNode {
	t := p.next()
	switch t.kind {
	case tokNum:
		n, err := strconv.Atoi(t.text)
		if err != nil || n < 1 || n > p.nCond {
			switch {
			case p.nCond == 0:
				p.probs.add(Position{Column: t.col}, ErrLogic, "condition %s does not exist (the filter has no conditions)", t.text)
			default:
				p.probs.add(Position{Column: t.col}, ErrLogic, "condition %s does not exist (conditions are 1 to %d)", t.text, p.nCond)
			}
			n = 0 // keep parsing to find further problems
		}
		return &logicNode{op: logicLeaf, n: n, col: t.col}
	case tokLParen:
		inner := p.parseOr()
		if p.fatal {
			return inner
		}
		if c := p.peek(); c.kind != tokRParen {
			if c.kind == tokEOF {
				p.errAt(t, "unbalanced parenthesis: \"(\" is never closed")
			} else {
				p.errAt(c, "unexpected %s: want \")\"", c.describe())
			}
			return inner
		}
		p.next()
		return inner
	case tokBad:
		p.errAt(t, "unexpected %s: want a condition number, NOT or \"(\"", t.describe())
	default:
		p.errAt(t, "unexpected %s: want a condition number, NOT or \"(\"", t.describe())
	}
	return &logicNode{op: logicLeaf, col: t.col}
}

// refs marks the conditions the tree names.
func (n *logicNode) refs(used []bool) {
	if n == nil {
		return
	}
	if n.op == logicLeaf {
		if n.n > 0 && n.n < len(used) {
			used[n.n] = true
		}
		return
	}
	for _, k := range n.kids {
		k.refs(used)
	}
}

// String renders the tree canonically: "1 AND (2 OR NOT 3)".
func (n *logicNode) String() string {
	var b strings.Builder
	n.write(&b, logicOr)
	return b.String()
}

// write renders n as an operand of a parent with operator parent.
func (n *logicNode) write(b *strings.Builder, parent logicOp) {
	switch n.op {
	case logicLeaf:
		b.WriteString(strconv.Itoa(n.n))
	case logicNot:
		b.WriteString("NOT ")
		n.kids[0].write(b, logicNot)
	case logicAnd, logicOr:
		paren := parent == logicNot || (parent == logicAnd && n.op == logicOr)
		if paren {
			b.WriteByte('(')
		}
		sep := " AND "
		if n.op == logicOr {
			sep = " OR "
		}
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			k.write(b, n.op)
		}
		if paren {
			b.WriteByte(')')
		}
	}
}
