package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// buildKefu builds the binary once per test.
func buildKefu(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kefu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startServe runs `kefu serve` on a free loopback port with env and extra
// args, and returns the process and its URL once it listens.
func startServe(t *testing.T, bin string, env []string, stderr io.Writer, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, url, ok := strings.Cut(sc.Text(), "listening on "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, strings.Fields(url)[0]
		}
	}
	t.Fatal("kefu serve did not start")
	return nil, ""
}

// Bad writer counts are refused before anything opens, naming the problem.
func TestServeRefusesBadWriters(t *testing.T) {
	for _, tc := range []struct {
		env, args []string
		want      string
	}{
		{args: []string{"--writers", "-1"}, want: "--writers must be between 1 and 64 (0 to let kefu pick), not -1"},
		{args: []string{"--writers", "65"}, want: "--writers must be between 1 and 64 (0 to let kefu pick), not 65"},
		{env: []string{"KEFU_WRITERS", "abc"}, want: `KEFU_WRITERS="abc" is not a whole number`},
	} {
		if tc.env != nil {
			t.Setenv(tc.env[0], tc.env[1])
		}
		err := cmdServe(t.Context(), append([]string{"--data", t.TempDir()}, tc.args...), io.Discard, io.Discard)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v %v: got %v, want %q", tc.env, tc.args, err, tc.want)
		}
	}
}

// kefu serve collects garbage at serveGCPercent unless GOGC is set.
func TestServeGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		gogc string // "" for unset
		want int
	}{
		{"", serveGCPercent},
		{"150", 100}, // the runtime read GOGC at start; kefu leaves it alone
	} {
		if tc.gogc == "" {
			if old, ok := os.LookupEnv("GOGC"); ok {
				os.Unsetenv("GOGC")
				defer os.Setenv("GOGC", old)
			}
		} else {
			t.Setenv("GOGC", tc.gogc)
		}
		debug.SetGCPercent(100)
		collectLessOften()
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC=%q: the collector runs at %d %%, want %d", tc.gogc, got, tc.want)
		}
	}
}
