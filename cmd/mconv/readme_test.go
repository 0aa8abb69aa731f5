package main

import (
	"os"
	"path/filepath"
	"regexp"
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

// TestREADMESynopses checks the command lines in README.md's code blocks
// (`mconv CMD ...` and `./mconv CMD ...`, with their indented `[...]`
// continuation lines) against the commands: every flag a line names exists
// on its command, and each planning command's lines name --threads, --seed
// and --input-shape.
func TestREADMESynopses(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	root := newRootCmd()
	flagRE := regexp.MustCompile(`(^|[\s\[|(])(--[a-z][a-z0-9-]*|-[a-zA-Z])\b`)
	named := map[string]map[string]bool{} // command -> flags its lines name
	inBlock, cmd := false, ""
	lines := 0
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "```") {
			inBlock, cmd = !inBlock, ""
			continue
		}
		if !inBlock {
			continue
		}
		line, _, _ = strings.Cut(line, "#")
		trim := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trim, "mconv ") || strings.HasPrefix(trim, "./mconv "):
			f := strings.Fields(trim)
			cmd = f[1]
			if strings.HasPrefix(cmd, "-") {
				cmd = ""
				continue
			}
			lines++
		case cmd != "" && strings.HasPrefix(trim, "["):
			// continuation of cmd's synopsis
		default:
			cmd = ""
			continue
		}
		c, _, err := root.Find([]string{cmd})
		if err != nil || c.Name() != cmd {
			t.Errorf("README names command %q, which mconv does not have (line %q)", cmd, trim)
			cmd = ""
			continue
		}
		if named[cmd] == nil {
			named[cmd] = map[string]bool{}
		}
		for _, m := range flagRE.FindAllStringSubmatch(trim, -1) {
			fl := m[2]
			var ok bool
			if strings.HasPrefix(fl, "--") {
				ok = c.Flags().Lookup(fl[2:]) != nil
				named[cmd][fl[2:]] = true
			} else {
				ok = c.Flags().ShorthandLookup(fl[1:]) != nil
			}
			if !ok {
				t.Errorf("README: mconv %s has no flag %s (line %q)", cmd, fl, trim)
			}
		}
	}
	if lines < 10 {
		t.Fatalf("found only %d mconv command lines in README.md", lines)
	}
	for _, c := range planCommands {
		for _, fl := range []string{"threads", "seed", "input-shape"} {
			if !named[c][fl] {
				t.Errorf("README's synopses of mconv %s do not name --%s", c, fl)
			}
		}
	}
}
