package engine

import (
	"math"
	"testing"
)

func TestErf32(t *testing.T) {
	worst := 0.0
	for i := -100000; i <= 100000; i++ {
		x := float32(i) / 10000 // [-10, 10]
		d := math.Abs(float64(erf32(x)) - math.Erf(float64(x)))
		worst = math.Max(worst, d)
	}
	if worst > 5e-7 {
		t.Fatalf("erf32 max abs error %g > 5e-7", worst)
	}
	t.Logf("erf32 max abs error %g", worst)
}
