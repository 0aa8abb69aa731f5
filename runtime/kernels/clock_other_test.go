//go:build !amd64 || purego

package kernels

func coreGHz() float64                { return 0 }
func peakGFLOPS() float64             { return 0 }
func fmaPerCycle(l pathLevel) float64 { return 0 }
