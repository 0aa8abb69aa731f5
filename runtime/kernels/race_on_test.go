//go:build race

package kernels

// raceEnabled: the race detector allocates on goroutine hand-offs, so the
// no-allocation tests do not apply.
const raceEnabled = true
