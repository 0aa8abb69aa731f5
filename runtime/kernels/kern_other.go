//go:build !amd64 || purego

package kernels

// Without assembly the pure-Go kernels (kern_go.go) are used: the only
// path is purego.

func pathSupported(l pathLevel) bool { return l == 0 }
