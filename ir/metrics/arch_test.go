package metrics

import (
	"math"
	"testing"

	"github.com/mconv/mconv/ir"
)

// Published figures (../shared/reference/architectures.md: papers, official
// repositories, torchvision weight metadata) must be met within 2%. The
// exact figures come from PyTorch, not from mconv: torch 2.15 / timm 1.0.31 /
// torchvision models at 224x224, params = sum(p.numel() for p in
// model.parameters()) (after timm.utils.reparameterize_model for the deploy
// forms), MACs = forward hooks summing |output| x in_channels/groups x k x k
// over nn.Conv2d and |output| x in_features over nn.Linear.
func TestPublishedFigures(t *testing.T) {
	tests := []struct {
		name        string
		build       func() *ir.Model
		pubMACs     float64 // published, 2% tolerance
		pubParams   float64 // published, 2% tolerance; 0 = not checked
		exactMACs   int64   // PyTorch count
		exactParams int64   // PyTorch parameters()
		buffers     int64   // BN running mean + var elements: PyTorch named_buffers() 'running_*' (0 in deploy form)
	}{
		// torchvision metadata: 3,504,872 params, 300M MACs (params include BN gamma/beta).
		{"MobileNetV2 train form", mobileNetV2, 300e6, 3504872, 300774272, 3504872, 34112},
		{"MobileNetV3-Large train form", mobileNetV3Large, 217e6, 5483032, 216589760, 5483032, 24400},
		{"MobileOne-S0 deploy", mobileOneS0Deploy, 275e6, 2.08e6, 275110400, 2078504, 0},
		{"RepVGG-A0 deploy", repVGGA0Deploy, 1.36e9, 8.30e6, 1361451008, 8309384, 0},
		{"RepViT-M0.9 deploy", repViTM09Deploy, 0.8e9, 5.1e6, 815617344, 5067056, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Count(tc.build(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d := rel(float64(r.MACs), tc.pubMACs); d > 0.02 {
				t.Errorf("MACs %d differ from published %.4g by %.2f%%", r.MACs, tc.pubMACs, 100*d)
			}
			if tc.pubParams > 0 {
				if d := rel(float64(r.Params), tc.pubParams); d > 0.02 {
					t.Errorf("params %d differ from published %.4g by %.2f%%", r.Params, tc.pubParams, 100*d)
				}
			}
			if r.MACs != tc.exactMACs {
				t.Errorf("MACs %d, PyTorch hooks count %d", r.MACs, tc.exactMACs)
			}
			if r.Params != tc.exactParams {
				t.Errorf("params %d, PyTorch parameters() %d", r.Params, tc.exactParams)
			}
			if r.Buffers != tc.buffers {
				t.Errorf("buffers %d, want %d", r.Buffers, tc.buffers)
			}
			if len(r.Warnings) != 0 {
				t.Errorf("warnings: %v", r.Warnings)
			}
			var sumP, sumM, sumF, sumB int64
			for _, l := range r.Layers {
				sumP += l.Params
				sumM += l.MACs
				sumF += l.FLOPs
				sumB += l.MemoryAccessBytes
			}
			if sumP != r.Params || sumM != r.MACs || sumF != r.FLOPs || sumB != r.MemoryAccessBytes {
				t.Errorf("layer sums (%d, %d, %d, %d) differ from totals (%d, %d, %d, %d)", sumP, sumM, sumF, sumB, r.Params, r.MACs, r.FLOPs, r.MemoryAccessBytes)
			}
			t.Logf("params %d buffers %d MACs %d FLOPs %d bytes %d", r.Params, r.Buffers, r.MACs, r.FLOPs, r.MemoryAccessBytes)
		})
	}
}

func rel(got, want float64) float64 { return math.Abs(got-want) / want }

// BenchmarkCount measures counting the MobileNetV3-Large training-form graph.
func BenchmarkCount(b *testing.B) {
	m := mobileNetV3Large()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Count(m, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
