package assets

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hotpath-go/hotpath/kithara/storage"
)

// indexVersion is bumped whenever the JSON schema changes; an index of another
// version is rebuilt from the tree.
const indexVersion = 1

// Where the store keeps its own files, relative to the cache directory.
const (
	indexDir  = "_index"
	indexName = "lru.json"
)

// indexFile is the on-disk index. Assets are listed least recently used first.
type indexFile struct {
	Version int          `json:"version"`
	Clock   uint64       `json:"clock"`
	Assets  []indexAsset `json:"assets"`
}

type indexAsset struct {
	Root      string          `json:"root"`
	LastUsed  uint64          `json:"last_used"`
	Resources []indexResource `json:"resources"`
}

type indexResource struct {
	Key      string `json:"key"`
	Size     int64  `json:"size"`
	Complete bool   `json:"complete,omitempty"`
}

// resourceRecord is what the store knows about one file of an asset.
type resourceRecord struct {
	size     int64
	complete bool // committed (streaming) or written whole (atomic)
}

// decodeIndex parses and validates an index. Anything it returns has safe
// roots and keys, so eviction can never be steered outside the cache by a
// tampered index.
func decodeIndex(data []byte) (*indexFile, error) {
	var idx indexFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&idx); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if dec.More() {
		return nil, errors.New("parse: trailing data after the index")
	}
	if idx.Version != indexVersion {
		return nil, fmt.Errorf("version %d, want %d", idx.Version, indexVersion)
	}
	roots := make(map[string]bool, len(idx.Assets))
	for _, a := range idx.Assets {
		if err := validateRoot(a.Root); err != nil {
			return nil, err
		}
		if roots[a.Root] {
			return nil, fmt.Errorf("asset %s listed twice", a.Root)
		}
		roots[a.Root] = true
		if a.LastUsed > idx.Clock {
			return nil, fmt.Errorf("asset %s used at %d, after the clock %d", a.Root, a.LastUsed, idx.Clock)
		}
		keys := make(map[string]bool, len(a.Resources))
		for _, r := range a.Resources {
			if err := ValidateKey(r.Key); err != nil {
				return nil, fmt.Errorf("asset %s: %w", a.Root, err)
			}
			if keys[r.Key] {
				return nil, fmt.Errorf("asset %s: key %q listed twice", a.Root, r.Key)
			}
			keys[r.Key] = true
			if r.Size < 0 {
				return nil, fmt.Errorf("asset %s: key %q has size %d", a.Root, r.Key, r.Size)
			}
		}
	}
	return &idx, nil
}

// encodeIndex renders the store's entries, least recently used first, so the
// file reads in eviction order.
func encodeIndex(clock uint64, entries []*assetEntry) ([]byte, error) {
	idx := indexFile{Version: indexVersion, Clock: clock, Assets: make([]indexAsset, 0, len(entries))}
	for _, e := range entries {
		a := indexAsset{Root: e.root, LastUsed: e.lastUsed, Resources: make([]indexResource, 0, len(e.resources))}
		for key, rec := range e.resources {
			a.Resources = append(a.Resources, indexResource{Key: key, Size: rec.size, Complete: rec.complete})
		}
		slices.SortFunc(a.Resources, func(x, y indexResource) int { return strings.Compare(x.Key, y.Key) })
		idx.Assets = append(idx.Assets, a)
	}
	return json.MarshalIndent(&idx, "", "\t")
}

// scannedAsset is an asset directory as found on disk.
type scannedAsset struct {
	root      string
	resources map[string]int64 // key -> size
	modTime   time.Time        // newest file, a stand-in for last use
}

// scanTree lists the asset directories under dir with their files, removing
// temporary files that a crash left behind. Entries that cannot be assets or
// resources are left alone and reported through warn: the store never deletes
// what it did not create.
func scanTree(dir string, warn func(msg string, args ...any)) (map[string]*scannedAsset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", dir, err)
	}
	out := make(map[string]*scannedAsset, len(entries))
	for _, de := range entries {
		name := de.Name()
		if name == indexDir {
			removeTempFiles(filepath.Join(dir, name), warn)
			continue
		}
		if !de.IsDir() || validateRoot(name) != nil {
			warn("cache: ignoring unexpected entry", "path", filepath.Join(dir, name))
			continue
		}
		a, err := scanAsset(dir, name, warn)
		if err != nil {
			return nil, err
		}
		out[name] = a
	}
	return out, nil
}

func scanAsset(dir, root string, warn func(msg string, args ...any)) (*scannedAsset, error) {
	a := &scannedAsset{root: root, resources: make(map[string]int64)}
	base := filepath.Join(dir, root)
	err := filepath.WalkDir(base, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() {
			return nil
		}
		if strings.HasPrefix(de.Name(), storage.TempPrefix) {
			if err := os.Remove(path); err != nil {
				warn("cache: cannot remove temporary file", "path", path, "err", err)
			}
			return nil
		}
		rel, err := filepath.Rel(base, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !de.Type().IsRegular() || ValidateKey(key) != nil {
			warn("cache: ignoring unexpected entry", "path", path)
			return nil
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		a.resources[key] = info.Size()
		if info.ModTime().After(a.modTime) {
			a.modTime = info.ModTime()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan asset %s: %w", root, err)
	}
	return a, nil
}

func removeTempFiles(dir string, warn func(msg string, args ...any)) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range entries {
		if strings.HasPrefix(de.Name(), storage.TempPrefix) {
			path := filepath.Join(dir, de.Name())
			if err := os.Remove(path); err != nil {
				warn("cache: cannot remove temporary file", "path", path, "err", err)
			}
		}
	}
}

// reconcile merges what the index says with what is on disk. The tree wins:
// assets and files that are gone are dropped, a file whose size changed loses
// its completion record, and files the index does not know are added as
// incomplete. Assets missing from the index are added after the known ones,
// oldest file first. idx may be nil (no usable index).
func reconcile(idx *indexFile, tree map[string]*scannedAsset) (clock uint64, entries map[string]*assetEntry) {
	entries = make(map[string]*assetEntry, len(tree))
	if idx != nil {
		clock = idx.Clock
		for _, a := range idx.Assets {
			scanned, ok := tree[a.Root]
			if !ok {
				continue
			}
			e := newAssetEntry(a.Root)
			e.lastUsed = a.LastUsed
			for _, r := range a.Resources {
				size, ok := scanned.resources[r.Key]
				if !ok {
					continue
				}
				e.resources[r.Key] = resourceRecord{size: size, complete: r.Complete && size == r.Size}
			}
			for key, size := range scanned.resources {
				if _, ok := e.resources[key]; !ok {
					e.resources[key] = resourceRecord{size: size}
				}
			}
			entries[a.Root] = e
		}
	}
	var unknown []*scannedAsset
	for root, a := range tree {
		if _, ok := entries[root]; !ok {
			unknown = append(unknown, a)
		}
	}
	slices.SortFunc(unknown, func(x, y *scannedAsset) int {
		return cmp.Or(x.modTime.Compare(y.modTime), strings.Compare(x.root, y.root))
	})
	for _, a := range unknown {
		clock++
		e := newAssetEntry(a.root)
		e.lastUsed = clock
		for key, size := range a.resources {
			e.resources[key] = resourceRecord{size: size}
		}
		entries[a.root] = e
	}
	return clock, entries
}
