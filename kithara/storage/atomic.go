package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// AtomicOptions configures NewAtomic.
type AtomicOptions struct {
	// OnWrite, when set, is called after every successful Write with the
	// number of bytes now in the file. A cache uses it to account for size.
	OnWrite func(size int64)
}

// AtomicResource is a small file (a playlist, a key, an index) that is only
// ever replaced whole. A reader sees either the previous content or the new
// one, never a mix, even across a crash. It is safe for concurrent use.
type AtomicResource struct {
	path    string
	onWrite func(int64)
	mu      sync.Mutex // orders concurrent Writes so the last one wins
}

// TempPrefix starts the names of the temporary files AtomicResource writes
// next to its target. A crash can leave one behind; a cache may delete them.
const TempPrefix = ".atomic-"

// NewAtomic returns the atomic resource stored at path. The file need not
// exist; its directory is created by the first Write.
func NewAtomic(path string, opts AtomicOptions) *AtomicResource {
	return &AtomicResource{path: path, onWrite: opts.OnWrite}
}

// Path returns the file's path.
func (a *AtomicResource) Path() string { return a.path }

// Read returns the whole content. A missing file is an error that matches
// fs.ErrNotExist, so callers can tell "never written" from "empty".
func (a *AtomicResource) Read() ([]byte, error) {
	data, err := os.ReadFile(a.path)
	if err != nil {
		return nil, fmt.Errorf("read atomic: %w", err)
	}
	return data, nil
}

// Write replaces the content with data: it writes a temporary file in the same
// directory, syncs it, renames it over the target and syncs the directory, so
// the new content is durable once Write returns.
func (a *AtomicResource) Write(data []byte) error {
	if err := a.replace(data); err != nil {
		return fmt.Errorf("write atomic %s: %w", a.path, err)
	}
	if a.onWrite != nil {
		a.onWrite(int64(len(data)))
	}
	return nil
}

func (a *AtomicResource) replace(data []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	dir := filepath.Dir(a.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, TempPrefix+"*.tmp")
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), a.path); err != nil {
		return err
	}
	committed = true
	// The rename is only durable once the directory entry is on disk.
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
