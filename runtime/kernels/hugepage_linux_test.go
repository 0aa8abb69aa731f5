//go:build linux

package kernels

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestAllocPackedHugePages: where the kernel offers transparent huge
// pages to memory that asks for them, the whole 2 MiB pages inside
// allocPacked's memory are advised for them (the mapping holding them
// carries VmFlags "hg", MADV_HUGEPAGE) and the memory reads back what was
// written; elsewhere it is plain memory and the test says so.
func TestAllocPackedHugePages(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || !(strings.Contains(string(mode), "[always]") || strings.Contains(string(mode), "[madvise]")) {
		t.Logf("transparent huge pages not offered here (%q, %v): allocPacked gives plain pages", strings.TrimSpace(string(mode)), err)
		return
	}
	const n = 6 << 20 // 24 MiB of floats
	f := allocPacked(n)
	// A page inside the advised (2 MiB-aligned) part: madvise splits the
	// mapping there.
	addr := uintptr(unsafe.Pointer(&f[0])) + 2*hugePage
	flags := mappingField(t, addr, "VmFlags:")
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("VmFlags of the mapping holding the packed weights: %q, want hg (MADV_HUGEPAGE)", flags)
	}
	for i := 0; i < n; i += 1024 {
		f[i] = float32(i)
	}
	for i := 0; i < n; i += 1024 {
		if f[i] != float32(i) {
			t.Fatalf("f[%d] = %v", i, f[i])
		}
	}
	t.Logf("AnonHugePages of that mapping after writing: %s", mappingField(t, addr, "AnonHugePages:"))
}

// mappingField returns the value of field (e.g. "VmFlags:") of the
// mapping of /proc/self/smaps that holds addr.
func mappingField(t *testing.T, addr uintptr, field string) string {
	fh, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	in := false
	for sc.Scan() {
		l := sc.Text()
		if f := strings.Fields(l); len(f) > 0 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			lo, hi, ok := strings.Cut(f[0], "-")
			a, e1 := strconv.ParseUint(lo, 16, 64)
			b, e2 := strconv.ParseUint(hi, 16, 64)
			in = ok && e1 == nil && e2 == nil && uint64(addr) >= a && uint64(addr) < b
			continue
		}
		if in && strings.HasPrefix(l, field) {
			return strings.TrimSpace(strings.TrimPrefix(l, field))
		}
	}
	t.Fatalf("no mapping of /proc/self/smaps holds %#x with %s", addr, field)
	return ""
}
