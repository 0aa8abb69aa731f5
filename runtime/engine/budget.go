package engine

import (
	"bufio"
	"fmt"
	"github.com/mconv/mconv/runtime/kernels"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
)

// Memory budget defaults (DefaultMaxMemory).
const (
	// MemoryShareDiv: the default budget is physical memory / MemoryShareDiv.
	MemoryShareDiv = 2
	// MinDefaultMemory is the floor of the default budget (256 MiB).
	MinDefaultMemory = 256 << 20
	// MaxDefaultMemory is the ceiling of the default budget (64 GiB).
	MaxDefaultMemory = 64 << 30
	// FallbackMemory is the physical memory assumed where it cannot be
	// read (not Linux, or /proc/meminfo unreadable): 8 GiB, so a 4 GiB
	// default budget.
	FallbackMemory = 8 << 30
)

var (
	defaultMemOnce sync.Once
	defaultMem     int64
)

// DefaultMaxMemory is the memory budget Options.MaxMemory 0 stands for:
// half the machine's physical memory (MemTotal of /proc/meminfo on Linux;
// FallbackMemory elsewhere), at least MinDefaultMemory (256 MiB) and at
// most MaxDefaultMemory (64 GiB).
func DefaultMaxMemory() int64 {
	defaultMemOnce.Do(func() {
		total := physicalMemory()
		if total <= 0 {
			total = FallbackMemory
		}
		defaultMem = min(max(total/MemoryShareDiv, MinDefaultMemory), MaxDefaultMemory)
	})
	return defaultMem
}

// physicalMemory reads MemTotal from /proc/meminfo (Linux), or returns 0.
func physicalMemory() int64 {
	if goruntime.GOOS != "linux" {
		return 0
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb <= 0 || kb > 1<<50 {
			return 0
		}
		return kb << 10
	}
	return 0
}

// Budget bounds the bytes a plan holds: the constants it materializes at
// plan time (initializers copied into aligned storage, nodes computed at
// plan time), the packed copies of weights the fast kernels make, and the
// activation arena. Reserve is called before each allocation, so a
// hostile model is refused before the memory is touched. Eval's
// allocations (the passes' and the Core ML writer's constant folding) are
// checked against the same kind of budget. A Budget is not safe for
// concurrent use.
type Budget struct {
	max, used int64
}

// NewBudget returns a budget of max bytes; max <= 0 means
// DefaultMaxMemory().
func NewBudget(max int64) *Budget {
	if max <= 0 {
		max = DefaultMaxMemory()
	}
	return &Budget{max: max}
}

// Max is the budget in bytes.
func (b *Budget) Max() int64 { return b.max }

// Used is the bytes reserved so far.
func (b *Budget) Used() int64 { return b.used }

// Reserve adds n bytes to the budget's use, or returns a *BudgetError
// (leaving the use unchanged) when the total would pass the budget.
func (b *Budget) Reserve(n int64) error {
	if err := b.Fits(n); err != nil {
		return err
	}
	b.used += n
	return nil
}

// Fits returns the error Reserve(n) would, without reserving.
func (b *Budget) Fits(n int64) error {
	if n < 0 || n > b.max-b.used {
		need := b.used + n
		if n < 0 || need < 0 {
			need = -1
		}
		return &BudgetError{Need: need, Max: b.max}
	}
	return nil
}

// Release returns n bytes reserved before.
func (b *Budget) Release(n int64) { b.used = max(b.used-n, 0) }

// BudgetError is the error of a plan or an evaluation over its memory
// budget. Need is the bytes it would hold with the refused allocation (-1
// when the size overflows).
type BudgetError struct {
	Need, Max int64
}

func (e *BudgetError) Error() string {
	need := strconv.FormatInt(e.Need, 10)
	if e.Need < 0 {
		need = "more than 2^63"
	}
	return fmt.Sprintf("needs %s bytes, over the memory budget of %d bytes (Options.MaxMemory / --max-memory)", need, e.Max)
}

// alloc reserves n bytes of b's budget and returns them zeroed and
// 64-byte aligned.
func (b *builder) alloc(n int64) ([]byte, error) {
	if err := b.budget.Reserve(n); err != nil {
		return nil, err
	}
	buf := alignedBytes(n)
	kernels.AdviseHugePages(buf) // 2 MiB pages for large arenas, where the OS has them
	return buf, nil
}

// charge reserves n bytes of the budget for storage an op allocates itself
// (packed weights).
func (b *builder) charge(n int64) error { return b.budget.Reserve(n) }
