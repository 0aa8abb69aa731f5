//go:build !linux

package kernels

// AdviseHugePages is a no-op off Linux (see hugepage_linux.go).
func AdviseHugePages(b []byte) {}
