package ir

import (
	"fmt"
)

// Shape functions of the recurrent layers: RNN, GRU and LSTM.

// shapeRNN handles RNN, GRU and LSTM: Y [seq, dirs, batch, hidden] and
// Y_h (and LSTM's Y_c) [dirs, batch, hidden]; with layout=1 batch comes
// first: Y [batch, seq, dirs, hidden], Y_h [batch, dirs, hidden].
func shapeRNN(n *Node, _ int64) error {
	t, ok := inType(n, 0)
	if !ok {
		return nil
	}
	hidden := Dim{Size: n.AttrInt("hidden_size", -1)}
	if !hidden.Known() {
		if r, ok := inShape(n, 2); ok && len(r) == 3 {
			hidden = r[2] // R is [dirs, gates*hidden, hidden]
		}
	}
	dirs := int64(1)
	if n.AttrString("direction", "forward") == "bidirectional" {
		dirs = 2
	}
	if !t.HasShape {
		for i := range n.Outputs {
			setOutNoShape(n, i, t.DType)
		}
		return nil
	}
	if len(t.Shape) != 3 {
		return fmt.Errorf("X must be 3-D, has shape %s", t.Shape)
	}
	seq, batch := t.Shape[0], t.Shape[1]
	layout := n.AttrInt("layout", 0)
	if layout != 0 {
		seq, batch = batch, seq
	}
	d := Dim{Size: dirs}
	if layout == 0 {
		setOut(n, 0, t.DType, Shape{seq, d, batch, hidden})
		setOut(n, 1, t.DType, Shape{d, batch, hidden})
		setOut(n, 2, t.DType, Shape{d, batch, hidden})
	} else {
		setOut(n, 0, t.DType, Shape{batch, seq, d, hidden})
		setOut(n, 1, t.DType, Shape{batch, d, hidden})
		setOut(n, 2, t.DType, Shape{batch, d, hidden})
	}
	return nil
}
