package engine_test

import (
	"github.com/mconv/mconv/runtime"
	"github.com/mconv/mconv/runtime/engine"
)

// The tests of package engine that compile whole models mean runtime.Compile
// (graph passes, lowering, planning), which they cannot import (runtime
// imports engine); this external test package installs it for them.
func init() { engine.FullCompile = runtime.Compile }
