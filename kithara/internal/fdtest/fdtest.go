// Package fdtest helps tests count the files a process keeps open.
package fdtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// OpenFilesUnder counts this process's descriptors of files under dir,
// from /proc/self/fd; the test is skipped where that does not exist.
func OpenFilesUnder(t testing.TB, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	dir, err = filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n
}
