package kernels

import (
	"fmt"
	"os"
	"strings"
)

// Kernel paths. A path is a set of kernel implementations for one
// instruction-set level; a higher level's CPU supports every lower one.
// At start-up the best path the CPU and OS support is selected (or the one
// MCONV_KERNELS names, see below), and every kernel variable registered
// with registerKernel is set to the implementation of the highest level
// at or below the selected one.
const (
	PathPurego = "purego" // plain Go, every platform
	PathAVX2   = "avx2"   // amd64 AVX2 + FMA (YMM state saved by the OS)
	PathAVX512 = "avx512" // amd64 AVX-512 F/DQ/BW/VL on top of AVX2 (ZMM and opmask state saved by the OS)
)

// pathLevel is a path's index in pathNames; pathNames is ordered from the
// lowest level up.
type pathLevel int

var pathNames = [...]string{PathPurego, PathAVX2, PathAVX512}

const numPaths = len(pathNames)

// KernelsEnv is the environment variable that forces a kernel path
// ("purego", "avx2" or "avx512"). A name that is unknown, or a path this
// CPU or build does not support, is not an error: the best supported path
// is used and a warning naming the variable is written to stderr at
// start-up (and returned by KernelPathNote), so a benchmark never silently
// runs something other than what it asked for without saying so.
const KernelsEnv = "MCONV_KERNELS"

func levelOf(name string) (pathLevel, bool) {
	for i, n := range pathNames {
		if n == name {
			return pathLevel(i), true
		}
	}
	return 0, false
}

// selected is the path in use; pathNote explains a refused MCONV_KERNELS.
// Both are set during package variable initialization, before any init
// function registers kernels.
var selected, pathNote = choosePath(os.Getenv(KernelsEnv))

func choosePath(env string) (pathLevel, string) {
	best := pathLevel(0)
	for l := range numPaths {
		if pathSupported(pathLevel(l)) {
			best = pathLevel(l)
		}
	}
	env = strings.TrimSpace(env)
	if env == "" {
		return best, ""
	}
	l, ok := levelOf(env)
	switch {
	case !ok:
		return best, fmt.Sprintf("%s=%q is not a kernel path (want one of %s); using %s", KernelsEnv, env, strings.Join(pathNames[:], ", "), pathNames[best])
	case !pathSupported(l):
		return best, fmt.Sprintf("%s=%q: this CPU or build does not support it (supported: %s); using %s", KernelsEnv, env, strings.Join(KernelPaths(), ", "), pathNames[best])
	}
	return l, ""
}

func init() {
	if pathNote != "" {
		fmt.Fprintln(os.Stderr, "mconv: warning:", pathNote)
	}
}

// KernelPath names the kernel path in use: "avx512", "avx2" or "purego".
func KernelPath() string { return pathNames[selected] }

// KernelPathNote is the warning given at start-up when MCONV_KERNELS named
// a path that could not be used, or "".
func KernelPathNote() string { return pathNote }

// KernelPaths lists the paths this CPU and build support, best first.
func KernelPaths() []string {
	var out []string
	for l := numPaths - 1; l >= 0; l-- {
		if pathSupported(pathLevel(l)) {
			out = append(out, pathNames[l])
		}
	}
	return out
}

// SetKernelPath switches every registered kernel to the path name and
// returns the previous path. It is meant for tests and benchmarks that
// compare paths in one process, and must not be called while any kernel
// of this package runs. Results are bit-identical across thread counts on
// every path; avx2 and avx512 also agree with each other bit for bit,
// purego rounds differently.
func SetKernelPath(name string) (prev string, err error) {
	l, ok := levelOf(name)
	if !ok {
		return KernelPath(), fmt.Errorf("kernels: unknown kernel path %q (want one of %s)", name, strings.Join(pathNames[:], ", "))
	}
	if !pathSupported(l) {
		return KernelPath(), fmt.Errorf("kernels: kernel path %q is not supported here (supported: %s)", name, strings.Join(KernelPaths(), ", "))
	}
	prev = KernelPath()
	selected = l
	for _, s := range slots {
		s.apply(selected)
	}
	return prev, nil
}

// kernelSlot is one registered kernel variable.
type kernelSlot interface{ apply(pathLevel) }

type slot[T any] struct {
	ptr  *T
	def  T // the plain Go value the variable had before registration
	vals [numPaths]T
	has  [numPaths]bool
}

func (s *slot[T]) apply(l pathLevel) {
	v := s.def
	for q := pathLevel(1); q <= l; q++ {
		if s.has[q] {
			v = s.vals[q]
		}
	}
	*s.ptr = v
}

var (
	slots   []kernelSlot
	slotFor = map[any]kernelSlot{}
)

// registerKernel registers f as the implementation of the kernel variable
// *v on path (PathAVX2 or PathAVX512) and sets *v for the selected path.
// The value *v holds at its first registration is its plain Go version,
// used on the purego path and on any path below the lowest registered
// one; a path without its own variant uses the next lower one's. Call it
// from init functions (in files built only where the path's code exists),
// e.g.
//
//	func init() { registerKernel(&geluVec, PathAVX512, geluVecAVX512) }
func registerKernel[T any](v *T, path string, f T) {
	l, ok := levelOf(path)
	if !ok || l == 0 {
		panic("kernels: registerKernel: bad path " + path)
	}
	var s *slot[T]
	if old, ok := slotFor[v]; ok {
		s = old.(*slot[T])
	} else {
		s = &slot[T]{ptr: v, def: *v}
		slotFor[v] = s
		slots = append(slots, s)
	}
	s.vals[l], s.has[l] = f, true
	s.apply(selected)
}
