package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestBenchProfileFusedFile: `mconv fuse` on the MobileNetV3 and
// EfficientNet fixtures writes SE blocks back as ReduceMean, Conv,
// Relu|SiLU, Conv, HardSigmoid|Sigmoid, Mul and SiLU as Sigmoid, Mul
// (standard ONNX); `mconv bench --profile --json` on that file must time
// no Sigmoid, HardSigmoid or ReduceMean step (kernel) of its own: the
// runtime fuses them again. The head's global pooling is a
// GlobalAveragePool in the TorchScript exports and a ReduceMean in the
// dynamo ones; the runtime runs the latter as a GlobalAveragePool.
func TestBenchProfileFusedFile(t *testing.T) {
	for _, net := range []string{"mnv3_net", "efficientnet_net"} {
		for _, exp := range []string{"torchscript", "dynamo"} {
			t.Run(net+"/"+exp, func(t *testing.T) { benchProfileFused(t, "../../testdata/golden/"+net+"/"+exp+"/model.onnx") })
		}
	}
}

func benchProfileFused(t *testing.T, model string) {
	fused := filepath.Join(t.TempDir(), "fused.onnx")
	for _, args := range [][]string{
		{"fuse", model, "-o", fused},
		{"bench", fused, "--profile", "--json", "--threads", "1", "--runs", "2", "--warmup", "0", "--batch", "1"},
	} {
		var out bytes.Buffer
		root := newRootCmd()
		root.SetArgs(args)
		root.SetOut(&out)
		root.SetErr(&out)
		if err := root.Execute(); err != nil {
			t.Fatalf("mconv %v: %v\n%s", args, err, out.String())
		}
		if args[0] != "bench" {
			continue
		}
		var r benchResult
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("bad JSON: %v\n%s", err, out.String())
		}
		timed := 0
		for _, l := range r.Profile {
			if !l.Timed {
				continue
			}
			timed++
			switch l.Kernel {
			case "Sigmoid", "HardSigmoid", "ReduceMean":
				t.Errorf("layer %q (%s) runs as its own %s step", l.Name, l.Op, l.Kernel)
			case "":
				t.Errorf("timed layer %q (%s) names no kernel", l.Name, l.Op)
			}
		}
		if timed == 0 {
			t.Fatalf("no timed layer in the profile:\n%s", out.String())
		}
	}
}
