// Package assets is Kithara's persistent byte cache: a directory tree of
// assets, each a set of resources, with leases that pin what is in use and
// least-recently-used eviction by count and by bytes.
//
// # Layout
//
// A resource lives at <dir>/<asset root>/<key>. For a URL, the asset root is
// RootForURL — the hex of the first 16 bytes of the SHA-256 of CanonicalURL —
// and the key is KeyForURL, the URL's last path segment made safe for a file
// name. An HLS stream keeps its playlists, keys and segments under the root of
// its master playlist; a progressive file is one resource under its own root.
// The store keeps its index at <dir>/_index/lru.json; names that start with
// "_" or "." are reserved and rejected as roots and keys.
//
// # Leases
//
// Store.Acquire pins an asset and returns a Lease; resources are opened
// through the lease and stay valid until the last lease of their asset is
// closed. Pins are counted, live only in memory (a pin from a process that
// died must not keep an asset forever) and keep an asset from being evicted.
// Every lease on an asset shares one StreamingResource per key, so a reader
// waiting on a range wakes when a writer holding another lease writes it.
//
// # Completion and the index
//
// A file on disk cannot tell whether its download finished, so the store
// records completion in its index when a StreamingResource is committed (the
// storage layer fsyncs the file first). Opening a resource the index records as
// complete, with the recorded size, returns it committed — a cache hit needing
// no network. Any other leftover is truncated: bytes of an interrupted
// download were never synced and are not trusted.
//
// The index is JSON, replaced atomically (temp file, fsync, rename), and
// holds the LRU order, the size of every resource and its completion. It is
// written when a record changes (a commit, an atomic write, a size found on
// release, an eviction) and at Close; a use that only reorders the LRU waits
// for the next write, so a crash forgets at most some recent uses. The tree
// is the source of truth: at Open the index is reconciled with the
// directories on disk, and an index that cannot be read or parsed is rebuilt
// from the tree with a warning (its completion records are then lost, so
// those resources download again). One Store per directory: two processes
// sharing a cache directory would overwrite each other's index.
//
// # Open files
//
// A resource stays valid while its asset is pinned, but its file need not
// stay open: the files of complete resources are shared out by a
// storage.HandleCache of Options.MaxOpenFiles handles, least recently read
// closed first and reopened on the next read. A player that keeps an HLS
// presentation leased for an hour therefore holds a bounded number of
// descriptors, not one per segment. Resources being written keep theirs.
//
// # Eviction
//
// After any change that can grow the cache, assets are evicted oldest first
// until both limits hold. Pinned assets — which include every asset with a
// resource being written — are never evicted. The bytes of a resource count
// once it is committed or written atomically, and, for leftovers, when its
// asset's last lease is released.
package assets
