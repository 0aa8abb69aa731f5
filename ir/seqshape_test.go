package ir

import (
	"strings"
	"testing"
)

// Expected types worked by hand from the ONNX SplitToSequence / SequenceAt
// specification (shape functions in shape_seq.go; mconv stats needs these
// values typed).
func TestSequenceShapes(t *testing.T) {
	i64 := func(dims []int64, v ...int64) *Tensor { return NewInt64(dims, v) }
	tests := []struct {
		name     string
		x        Shape
		split    *Tensor // nil: no split input
		axis     int64
		keepdims int64
		pos      int64
		seq, at  string // wanted types; at "" = not checked
		err      string
	}{
		{name: "equal halves, dynamic batch", x: Shape{{Size: -1, Param: "N"}, {Size: 32}, {Size: 8}}, split: i64(nil, 16), axis: 1, keepdims: 1, pos: 1,
			seq: "seq<float32[N,16,8]>", at: "float32[N,16,8]"},
		{name: "uneven chunks", x: S(1, 6, 4), split: i64(nil, 4), axis: 1, keepdims: 1, pos: -1, seq: "seq<float32[1,?,4]>", at: "float32[1,2,4]"},
		{name: "sizes", x: S(1, 6, 4), split: i64([]int64{2}, 1, 5), axis: -2, keepdims: 1, pos: 0, seq: "seq<float32[1,?,4]>", at: "float32[1,1,4]"},
		{name: "no split keepdims 0", x: S(3, 2), axis: 0, keepdims: 0, pos: 2, seq: "seq<float32[2]>", at: "float32[2]"},
		{name: "no split keepdims 1", x: S(3, 2), axis: 1, keepdims: 1, pos: 1, seq: "seq<float32[3,1]>", at: "float32[3,1]"},
		{name: "bad sum", x: S(1, 6), split: i64([]int64{2}, 1, 2), axis: 1, keepdims: 1, err: "sums to 3"},
		{name: "bad position", x: S(4), split: i64(nil, 2), axis: 0, keepdims: 1, pos: 2, err: "position 2 out of range"},
		{name: "bad axis", x: S(4), axis: 1, keepdims: 1, err: "axis 1 out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGraph("seq")
			m := &Model{Graph: g, Opsets: []OpsetImport{{Version: 18}}}
			x := g.AddInput("x", TensorShaped(Float32, tc.x))
			ins := []*Value{x}
			if tc.split != nil {
				ins = append(ins, g.AddConst("split", tc.split))
			}
			sp := g.AddNode("SplitToSequence", "split", ins, "seq")
			sp.SetAttr(&Attr{Name: "axis", Type: AttrInt, I: tc.axis})
			sp.SetAttr(&Attr{Name: "keepdims", Type: AttrInt, I: tc.keepdims})
			at := g.AddNode("SequenceAt", "at", []*Value{sp.Outputs[0], g.AddConst("pos", NewInt64(nil, []int64{tc.pos}))}, "y")
			g.AddOutput(at.Outputs[0])
			err := InferShapes(m)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := sp.Outputs[0].Type.String(); got != tc.seq {
				t.Errorf("sequence %s, want %s", got, tc.seq)
			}
			if got := at.Outputs[0].Type.String(); got != tc.at {
				t.Errorf("element %s, want %s", got, tc.at)
			}
		})
	}
}
