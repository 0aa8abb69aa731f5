package coreml

import "github.com/mconv/mconv/ir"

// Reading the MIL indexing ops back as ONNX Gather and GatherND.

// readGather reads gather as Gather.
func readGather(b *irBuilder, o *mop) error {
	return b.readNode(o, "Gather", []string{"x", "indices"}, func(o *mop) ([]*ir.Attr, error) {
		ax, err := constInts(o, "axis")
		if err != nil {
			return nil, err
		}
		return []*ir.Attr{attrInt("axis", ax[0])}, nil
	})
}

// readGatherND reads gather_nd as GatherND (batch_dims 0).
func readGatherND(b *irBuilder, o *mop) error {
	return b.readNode(o, "GatherND", []string{"x", "indices"}, nil)
}
