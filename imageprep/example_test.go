package imageprep_test

import (
	"fmt"
	"log"

	"github.com/mconv/mconv/imageprep"
)

// ExampleConfig_Tensor preprocesses a photo as timm's eval transform does
// for a 32x32 model: the short side (48) resized to floor(32 / 0.875) = 36,
// a 32x32 center crop, ImageNet normalisation.
func ExampleConfig_Tensor() {
	img, err := imageprep.Load("../testdata/imageprep/photo.png")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := imageprep.Preset("imagenet")
	if err != nil {
		log.Fatal(err)
	}
	cfg.Size = 32
	x := cfg.Tensor(img)
	fmt.Println(img.W, img.H, "->", x.DType, x.Dims)
	// Output:
	// 64 48 -> float32 [1 3 32 32]
}

// ExampleTopK reads a classifier's logits as labelled classes with softmax
// probabilities.
func ExampleTopK() {
	logits := []float32{0.5, 2, -1, 1}
	for _, c := range imageprep.TopK(logits, 2, []string{"cat", "dog", "fish", "bird"}) {
		fmt.Printf("%d %s %.3f\n", c.Index, c.Label, c.Prob)
	}
	// Output:
	// 1 dog 0.609
	// 3 bird 0.224
}
