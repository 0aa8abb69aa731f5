package ir

import (
	"fmt"
	"sort"
	"strings"
)

// Shape functions of linear algebra: Gemm, MatMul (and MatMulInteger,
// QLinearMatMul through matmulShape), Einsum and Det.

// shapeGemm: Y [M, N] for A [M,K] (or [K,M] with transA) and B [K,N] (or
// [N,K] with transB); C must broadcast to [M, N].
func shapeGemm(n *Node, _ int64) error {
	a, aok := inShape(n, 0)
	b, bok := inShape(n, 1)
	dt := inDType(n, 0)
	if !aok || !bok {
		setOutMaybe(n, 0, dt, unknownDims(2), true)
		return nil
	}
	if len(a) != 2 || len(b) != 2 {
		return fmt.Errorf("A %s and B %s must be 2-D", a, b)
	}
	m, ka := a[0], a[1]
	if n.AttrInt("transA", 0) != 0 {
		m, ka = a[1], a[0]
	}
	kb, nn := b[0], b[1]
	if n.AttrInt("transB", 0) != 0 {
		kb, nn = b[1], b[0]
	}
	if _, ok := sameDim(ka, kb); !ok {
		return fmt.Errorf("inner dimensions differ: A %s (transA=%d), B %s (transB=%d)", a, n.AttrInt("transA", 0), b, n.AttrInt("transB", 0))
	}
	out := Shape{m, nn}
	if c, ok := inShape(n, 2); ok {
		bc, err := broadcastShapes(out, c)
		if err != nil {
			return fmt.Errorf("C: %w", err)
		}
		if len(bc) != 2 || (bc[0].Known() && m.Known() && bc[0].Size != m.Size) || (bc[1].Known() && nn.Known() && bc[1].Size != nn.Size) {
			return fmt.Errorf("C %s does not broadcast to [%s,%s]", c, m, nn)
		}
	}
	setOut(n, 0, dt, out)
	return nil
}

// shapeMatMul: numpy matmul: 1-D A is [1,K] and 1-D B is [K,1] with the
// added dimension removed afterwards; batch dimensions broadcast.
func shapeMatMul(n *Node, _ int64) error {
	return matmulShape(n, 0, 1, inDType(n, 0))
}

// matmulShape is MatMul's shape rule for inputs ai and bi, shared with
// MatMulInteger and QLinearMatMul; dt is the output dtype.
func matmulShape(n *Node, ai, bi int, dt DType) error {
	a, aok := inShape(n, ai)
	b, bok := inShape(n, bi)
	if !aok || !bok {
		setOutNoShape(n, 0, dt)
		return nil
	}
	if len(a) == 0 || len(b) == 0 {
		return fmt.Errorf("MatMul inputs must not be scalars (shapes %s and %s)", a, b)
	}
	a1, b1 := len(a) == 1, len(b) == 1
	aa, bb := a, b
	if a1 {
		aa = Shape{{Size: 1}, a[0]}
	}
	if b1 {
		bb = Shape{b[0], {Size: 1}}
	}
	if _, ok := sameDim(aa[len(aa)-1], bb[len(bb)-2]); !ok {
		return fmt.Errorf("inner dimensions differ: %s x %s", a, b)
	}
	batch, err := broadcastShapes(aa[:len(aa)-2], bb[:len(bb)-2])
	if err != nil {
		return fmt.Errorf("batch dimensions: %w", err)
	}
	out := append(Shape{}, batch...)
	if !a1 {
		out = append(out, aa[len(aa)-2])
	}
	if !b1 {
		out = append(out, bb[len(bb)-1])
	}
	setOut(n, 0, dt, out)
	return nil
}

// shapeEinsum: equations ("ij,jk->ik", or implicit "ij,jk" whose output is
// the labels used once, sorted) whose letters map to input dims; ellipses
// leave the shape unknown.
func shapeEinsum(n *Node, _ int64) error {
	dt := inDType(n, 0)
	eq := n.AttrString("equation", "")
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, found := strings.Cut(eq, "->")
	if strings.Contains(eq, ".") {
		setOutNoShape(n, 0, dt)
		return nil
	}
	if !found {
		rhs = einsumImplicit(lhs)
	}
	terms := strings.Split(lhs, ",")
	if len(terms) != len(n.Inputs) {
		return fmt.Errorf("equation %q has %d operands, node has %d inputs", eq, len(terms), len(n.Inputs))
	}
	dims := map[rune]Dim{}
	for i, term := range terms {
		s, ok := inShape(n, i)
		if !ok {
			setOutNoShape(n, 0, dt)
			return nil
		}
		letters := []rune(term)
		if len(letters) != len(s) {
			return fmt.Errorf("equation term %q does not match input %d shape %s", term, i, s)
		}
		for j, c := range letters {
			if d, ok := dims[c]; ok {
				m, ok := sameDim(d, s[j])
				if !ok && !(d.Known() && d.Size == 1) && !(s[j].Known() && s[j].Size == 1) {
					return fmt.Errorf("label %q has sizes %s and %s", c, d, s[j])
				}
				if d.Known() && d.Size == 1 {
					m = s[j]
				}
				dims[c] = m
			} else {
				dims[c] = s[j]
			}
		}
	}
	var out Shape
	for _, c := range rhs {
		d, ok := dims[c]
		if !ok {
			return fmt.Errorf("output label %q not in the inputs of %q", c, eq)
		}
		out = append(out, d)
	}
	setOut(n, 0, dt, out)
	return nil
}

// shapeDet: [*, M, M] -> [*].
func shapeDet(n *Node, _ int64) error {
	t, ok := shapedInput0(n)
	if !ok {
		return nil
	}
	r := len(t.Shape)
	if r < 2 {
		return fmt.Errorf("input must have rank >= 2, has shape %s", t.Shape)
	}
	if _, ok := sameDim(t.Shape[r-1], t.Shape[r-2]); !ok {
		return fmt.Errorf("input %s is not square", t.Shape)
	}
	setOut(n, 0, t.DType, append(Shape{}, t.Shape[:r-2]...))
	return nil
}

// einsumImplicit is the output of an equation without "->": the labels
// that occur exactly once, in alphabetical order.
func einsumImplicit(lhs string) string {
	count := map[rune]int{}
	for _, c := range lhs {
		if c != ',' {
			count[c]++
		}
	}
	var once []rune
	for c, k := range count {
		if k == 1 {
			once = append(once, c)
		}
	}
	sort.Slice(once, func(i, j int) bool { return once[i] < once[j] })
	return string(once)
}
