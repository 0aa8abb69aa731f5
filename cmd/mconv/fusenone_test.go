package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/onnx"
)

// TestFusePassesNoneUnchanged: `mconv fuse --passes none` writes the model
// back through the IR unchanged: the same graph (ir.Dump: every input,
// initializer, node, attribute and output, in order, with types), the same
// initializer bytes, and the same producer, IR version and opsets as the
// original file.
func TestFusePassesNoneUnchanged(t *testing.T) {
	out := filepath.Join(t.TempDir(), "none.onnx")
	var code int
	captureStdout(t, func() { code = run([]string{"fuse", tinyModel, "-o", out, "--passes", "none"}) })
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	a, err := onnx.Load(tinyModel)
	if err != nil {
		t.Fatal(err)
	}
	b, err := onnx.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if da, db := ir.Dump(a.Graph), ir.Dump(b.Graph); da != db {
		t.Fatalf("graph changed:\n%s\nvs\n%s", da, db)
	}
	if len(a.Graph.Initializers) != len(b.Graph.Initializers) {
		t.Fatalf("%d initializers, now %d", len(a.Graph.Initializers), len(b.Graph.Initializers))
	}
	for i, v := range a.Graph.Initializers {
		w := b.Graph.Initializers[i]
		if v.Name != w.Name || !bytes.Equal(v.Const.Raw, w.Const.Raw) {
			t.Errorf("initializer %d: %s changed (now %s)", i, v.Name, w.Name)
		}
	}
	if a.ProducerName != b.ProducerName || a.ProducerVersion != b.ProducerVersion || a.IRVersion != b.IRVersion || len(a.Opsets) != len(b.Opsets) || a.Opsets[0] != b.Opsets[0] {
		t.Errorf("model header changed: %s %s IR %d %v -> %s %s IR %d %v", a.ProducerName, a.ProducerVersion, a.IRVersion, a.Opsets, b.ProducerName, b.ProducerVersion, b.IRVersion, b.Opsets)
	}
}
