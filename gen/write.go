package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Apply writes the changes of a Result, all or nothing: every new content
// goes to a temporary file beside its target first, and only when all of
// them are written are they renamed into place. A file that changed on disk
// since it was read, or that is read-only, stops Apply before anything is
// replaced. Files whose content is already right are not touched, so their
// modification times stay as they are.
func Apply(changes []*Change) error {
	type pending struct {
		c    *Change
		tmp  string
		done bool
	}
	var work []*pending
	for _, c := range changes {
		cur, err := os.ReadFile(c.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			cur = nil
		case err != nil:
			return fmt.Errorf("read %s: %w", c.Path, err)
		}
		if bytes.Equal(cur, c.New) && (cur != nil) == (c.New != nil) {
			continue // already as wanted, perhaps by a concurrent run
		}
		if !bytes.Equal(cur, c.Old) || (cur != nil) != (c.Old != nil) {
			return fmt.Errorf("%s changed while hotpathgen was running; run it again", c.Path)
		}
		if c.Old != nil {
			if err := checkWritable(c.Path); err != nil {
				return err
			}
		}
		if err := checkWritable(filepath.Dir(c.Path)); err != nil {
			return err
		}
		work = append(work, &pending{c: c})
	}
	cleanup := func() {
		for _, p := range work {
			if p.tmp != "" {
				os.Remove(p.tmp)
			}
		}
	}
	for _, p := range work {
		if p.c.New == nil {
			continue
		}
		tmp, err := writeTemp(p.c.Path, p.c.New)
		if err != nil {
			cleanup()
			return err
		}
		p.tmp = tmp
	}
	for _, p := range work {
		var err error
		if p.c.New == nil {
			err = os.Remove(p.c.Path)
		} else {
			err = os.Rename(p.tmp, p.c.Path)
			if err == nil {
				p.tmp = ""
			}
		}
		if err != nil {
			// Put back what was already replaced, so the tree stays as it was.
			for _, q := range work {
				if q.done && q.c.Old != nil {
					restore(q.c.Path, q.c.Old)
				} else if q.done {
					os.Remove(q.c.Path)
				}
			}
			cleanup()
			return fmt.Errorf("replace %s: %w (no file was changed)", p.c.Path, err)
		}
		p.done = true
	}
	return nil
}

// checkWritable refuses to replace a file, or to change a directory, that
// its owner made read-only: renaming over the file would succeed, and so
// would everything for a user (root) whom permissions do not stop, which
// silently defeats the protection.
func checkWritable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Mode().Perm()&0o200 == 0 {
		what := "read-only"
		if st.IsDir() {
			what = "a read-only directory"
		}
		return fmt.Errorf("%s is %s; make it writable to let hotpathgen update it", path, what)
	}
	return nil
}

// writeTemp writes data to a new temporary file in the directory of path,
// with the permissions of the file it will replace (0644 for a new one).
func writeTemp(path string, data []byte) (string, error) {
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".hotpath-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(mode)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", path, werr)
	}
	return tmp, nil
}

func restore(path string, data []byte) {
	if tmp, err := writeTemp(path, data); err == nil {
		if os.Rename(tmp, path) != nil {
			os.Remove(tmp)
		}
	}
}
