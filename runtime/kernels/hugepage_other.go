//go:build !linux

package kernels

// adviseHugePages is a no-op off Linux (see hugepage_linux.go).
func adviseHugePages(f []float32) {}

// AdviseHugePages is a no-op off Linux (see hugepage_linux.go).
func AdviseHugePages(b []byte) {}
