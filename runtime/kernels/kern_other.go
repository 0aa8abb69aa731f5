//go:build !amd64 || purego

package kernels

// Without assembly the pure-Go kernels (kern_go.go) are used.
