package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mconv/mconv/golden"
	"github.com/mconv/mconv/ir"
	"github.com/mconv/mconv/runtime/engine"
)

// checkInputsFit refuses, before anything is allocated, the random
// inputs golden.RandomInputs would make for m's fed inputs (batch 1) when
// they would pass the memory budget maxMemory (--max-memory; 0: the
// default): it stages each as float64 values before converting it.
func checkInputsFit(m *ir.Model, maxMemory int64) error {
	b := engine.NewBudget(maxMemory)
	for _, v := range golden.FeedInputs(m.Graph) {
		dims, ok := golden.InputShape(v, 1)
		n := ir.NumElements(dims)
		if !ok || n < 0 {
			continue // golden.RandomInputs reports it
		}
		if err := b.Reserve(n * int64(8+v.Type.DType.Size())); err != nil {
			return fmt.Errorf("input %q (%s%v): %w", v.Name, v.Type.DType, dims, err)
		}
	}
	return nil
}

// nameFiles makes err, returned by command c, name the files c was given:
// unless the message names one of c's positional arguments already, the
// ones that are existing files or folders are put before it ("a.onnx: ..."),
// so that every failure says which file it is about. Usage errors are
// left as they are.
func nameFiles(c *cobra.Command, err error) error {
	var ue usageError
	if err == nil || c == nil || errors.As(err, &ue) || isCobraUsage(err) {
		return err
	}
	msg := err.Error()
	var files []string
	for _, a := range c.Flags().Args() {
		if strings.Contains(msg, a) {
			return err
		}
		if _, serr := os.Stat(a); serr == nil {
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		return err
	}
	return fmt.Errorf("%s: %w", strings.Join(files, ", "), err)
}
