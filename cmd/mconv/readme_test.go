package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEQuickStart runs the commands of README.md's "Quick start"
// block (lines `./mconv ...`, with the shell variables the block sets) on
// the files shipped in testdata/, with /tmp replaced by a test folder, and
// checks that every one exits 0 and that the block uses only files the
// repository ships. A README edit that breaks the quick start fails here.
func TestREADMEQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Quick start")
	if !ok {
		t.Fatal("README.md has no '## Quick start' section")
	}
	_, block, ok := strings.Cut(after, "```\n")
	if !ok {
		t.Fatal("the Quick start section has no code block")
	}
	block, _, _ = strings.Cut(block, "```")
	tmp := t.TempDir()
	vars := map[string]string{}
	var cmds [][]string
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		switch {
		case line == "", strings.HasPrefix(line, "go build"):
		case strings.Contains(line, "=") && !strings.Contains(line, " "):
			k, v, _ := strings.Cut(line, "=")
			vars[k] = v
		case strings.HasPrefix(line, "./mconv ") || strings.HasPrefix(line, "mconv "):
			var args []string
			for _, f := range strings.Fields(line)[1:] {
				for k, v := range vars {
					f = strings.ReplaceAll(f, "$"+k, v)
				}
				if strings.HasPrefix(f, "/tmp/") {
					f = filepath.Join(tmp, strings.TrimPrefix(f, "/tmp/"))
				} else if !strings.HasPrefix(f, "-") && strings.Contains(f, "/") {
					// A repository path: it must exist in the clone.
					f = filepath.Join("../..", f)
					if _, err := os.Stat(f); err != nil {
						t.Errorf("README quick start names %s, which the repository does not ship", f)
					}
				}
				args = append(args, f)
			}
			cmds = append(cmds, args)
		default:
			t.Fatalf("cannot read README quick start line %q", line)
		}
	}
	if len(cmds) == 0 {
		t.Fatal("README quick start runs no mconv command")
	}
	if cmds[0][0] != "inspect" {
		t.Errorf("the quick start's first command is %q; the issue asks for mconv inspect on a testdata model first", cmds[0][0])
	}
	t.Logf("%d commands from README.md's quick start", len(cmds))
	for _, args := range cmds {
		var code int
		captureStdout(t, func() { code = run(args) })
		if code != 0 {
			t.Errorf("README quick start: mconv %s: exit %d", strings.Join(args, " "), code)
		}
	}
}
