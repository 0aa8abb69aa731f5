package kernels

import (
	"fmt"
	"testing"
)

// Dense strided convolutions of the zoo (stems with 3 input channels and
// the stride-2 downsampling 3x3 convolutions), batch 1, 224x224 input.
var benchStridedConvs = []struct {
	name string
	p    ConvParams
	act  Act
}{
	{"ResNet18_conv1_7x7s2_224_3to64", convCase(1, 3, 224, 224, 64, 7, 7, 2, 1, 3, 1), ActRelu},
	{"ResNet18_3x3s2_56_64to128", convCase(1, 64, 56, 56, 128, 3, 3, 2, 1, 1, 1), ActRelu},
	{"ResNet18_3x3s2_28_128to256", convCase(1, 128, 28, 28, 256, 3, 3, 2, 1, 1, 1), ActRelu},
	{"ResNet18_3x3s2_14_256to512", convCase(1, 256, 14, 14, 512, 3, 3, 2, 1, 1, 1), ActRelu},
	{"ResNet18_1x1s2_56_64to128", convCase(1, 64, 56, 56, 128, 1, 1, 2, 1, 0, 1), ActNone},
	{"ResNet18_1x1s2_28_128to256", convCase(1, 128, 28, 28, 256, 1, 1, 2, 1, 0, 1), ActNone},
	{"MobileNetV4S_stem3x3s2_224_3to32", convCase(1, 3, 224, 224, 32, 3, 3, 2, 1, 1, 1), ActRelu},
	{"MobileNetV4S_3x3s2_112_32to32", convCase(1, 32, 112, 112, 32, 3, 3, 2, 1, 1, 1), ActRelu},
	{"MobileNetV4S_3x3s2_56_32to96", convCase(1, 32, 56, 56, 96, 3, 3, 2, 1, 1, 1), ActRelu},
	{"EfficientNetB0_stem3x3s2_224_3to32_silu", convCase(1, 3, 224, 224, 32, 3, 3, 2, 1, 1, 1), ActSiLU},
	{"HGNetV2B0_stem3x3s2_112_32to16", convCase(1, 32, 112, 112, 16, 3, 3, 2, 1, 1, 1), ActRelu},
	{"HGNetV2B0_stem2x2_113_16to8", convCase(1, 16, 113, 113, 8, 2, 2, 1, 1, 0, 1), ActRelu},
	{"StarNetS1_3x3s2_112_32to24", convCase(1, 32, 112, 112, 24, 3, 3, 2, 1, 1, 1), ActNone},
	{"SHViTS1_stem3x3s2_224_3to16", convCase(1, 3, 224, 224, 16, 3, 3, 2, 1, 1, 1), ActRelu},
	{"SHViTS1_3x3s2_112_16to32", convCase(1, 16, 112, 112, 32, 3, 3, 2, 1, 1, 1), ActRelu},
	{"MobileNetV2_stem3x3s2_224_3to32_relu6", convCase(1, 3, 224, 224, 32, 3, 3, 2, 1, 1, 1), ActRelu6},
}

// BenchmarkConvStrided reports GFLOP/s of the dense strided convolutions
// (benchStridedConvs) per kernel path, 1 and 2 threads.
func BenchmarkConvStrided(b *testing.B) {
	benchPaths(b, func(b *testing.B) {
		for _, c := range benchStridedConvs {
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/threads=%d", c.name, th), func(b *testing.B) {
					p := c.p
					p.Act = c.act
					benchConv(b, p, th)
				})
			}
		}
	})
}
