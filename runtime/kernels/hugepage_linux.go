//go:build linux

package kernels

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page (x86-64, arm64 with 4
// KiB base pages).
const hugePage = 2 << 20

// AdviseHugePages asks the kernel to back the whole 2 MiB pages inside b
// with transparent huge pages (madvise MADV_HUGEPAGE; the default policy
// on many systems, "madvise", gives them only to memory that asks): packed
// weights (allocPacked) and the runtime's activation arena. b must not
// have been written yet: the pages are then allocated huge on their first
// touch. Errors (no THP support, a policy of "never") are ignored: the
// memory stays in 4 KiB pages.
func AdviseHugePages(b []byte) {
	if len(b) < 2*hugePage {
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := (p + hugePage - 1) &^ (hugePage - 1)
	hi := (p + uintptr(len(b))) &^ (hugePage - 1)
	if hi <= lo {
		return
	}
	_ = syscall.Madvise(b[lo-p:hi-p], 14) // MADV_HUGEPAGE
}
