// Package file downloads one URL progressively into the Kithara cache and
// serves it as a stream.Source while it arrives.
//
// Open finds the URL's resource in an assets.Store (asset root RootForURL,
// key KeyForURL). A resource the cache holds complete is served without any
// request. Otherwise Open probes the length with HEAD (a server without HEAD,
// or without a length, is fine) and starts one streaming GET, through a
// kithara/net Net so that its retries and resumption apply. Open returns once
// the GET has answered, so a missing file or a refusing server fails Open
// itself; the body is then written into the resource on its own goroutine.
// The download commits the resource when the body ends with every byte it
// declared, and fails it otherwise: a failed resource is never served as
// complete, and the next Open of the URL downloads it again.
//
// Errors name the URL once. Those of the Net name it themselves (see
// kithara/net's HTTPError), so this package adds only what it was doing;
// the cache file's path appears only when the cache itself failed.
//
// Readers use the Source like any other: WaitRange for bytes, then ReadAt. A
// reader that overtakes the download waits for it; a reader behind it reads
// from the file.
package file
