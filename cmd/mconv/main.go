// Command mconv converts, verifies, runs, measures and compares mobile vision
// models.
//
// This package is thin: each subcommand parses its flags into an options
// struct and calls a library package. Subcommands register themselves in
// their own files (inspect.go, fuse.go, ...) through init.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mconv/mconv/runtime/kernels"
	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "0.1.0-dev"

// usageError marks errors that should exit with status 2.
type usageError struct{ error }

var subcommands []func() *cobra.Command

func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "mconv",
		Short:         "Convert, fuse, verify, run and measure mobile vision models",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	// No command is a usage error (exit 2), after the usage text on stderr.
	root.RunE = func(c *cobra.Command, args []string) error {
		c.SetOut(c.ErrOrStderr())
		c.Usage()
		return usageError{errors.New("no command given")}
	}
	for _, f := range subcommands {
		root.AddCommand(f())
	}
	return root
}

func main() { os.Exit(run(os.Args[1:])) }

// run executes the CLI and returns the exit status: 0 success, 1 failure,
// 2 usage error.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	c, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	err = nameFiles(c, err)
	fmt.Fprintln(os.Stderr, "mconv:", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return 2
	}
	return 1
}

// isCobraUsage recognizes cobra's own argument errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// exactArgs is cobra.ExactArgs returning a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s takes %d argument(s), got %d", cmd.Name(), n, len(args))}
		}
		return nil
	}
}

// versionOptions are the inputs of `mconv version` (none).
type versionOptions struct{}

func (o *versionOptions) run(w io.Writer) error {
	_, err := fmt.Fprintf(w, "mconv %s\nkernels %s (supported here: %s; %s forces one)\n",
		Version, kernels.KernelPath(), strings.Join(kernels.KernelPaths(), ", "), kernels.KernelsEnv)
	if err == nil && kernels.KernelPathNote() != "" {
		_, err = fmt.Fprintln(w, "warning:", kernels.KernelPathNote())
	}
	return err
}

func init() {
	register(func() *cobra.Command {
		o := &versionOptions{}
		return &cobra.Command{
			Use:   "version",
			Short: "Print mconv's version and the runtime's kernel path",
			Args:  exactArgs(0),
			RunE:  func(cmd *cobra.Command, args []string) error { return o.run(cmd.OutOrStdout()) },
		}
	})
}
