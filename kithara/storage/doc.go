// Package storage holds the two file primitives of the Kithara cache: a
// StreamingResource, a random-access file that is filled while it is read, and
// an AtomicResource, a small file that is only ever replaced as a whole.
//
// A StreamingResource tracks which byte ranges have been written. Readers call
// WaitRange to block until the bytes they need have arrived (or the resource is
// committed, failed, closed, or their context is done) and then ReadAt, which
// never blocks. A writer finishes a resource with Commit, which fixes its
// length, or Fail, which hands the error to every waiter. StreamingResource
// implements kithara/stream's Source interface.
//
// Reopening a file that is already on disk publishes its bytes as available
// but does not commit it: a file alone cannot say whether a download finished.
// Whoever knows that (kithara/assets records it in its index) calls Commit with
// the recorded length, which validates the bytes on disk and seals the
// resource.
//
// A resource keeps its file open while it is written. Once committed it can
// hand the file to a HandleCache shared with other resources, which bounds
// how many committed files stay open and reopens a closed one, read-only,
// when it is read again: a cache holding thousands of segments then holds a
// few dozen descriptors.
package storage

//go:generate go tool hotpathgen
