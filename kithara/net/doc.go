// Package net fetches bytes over HTTP for Kithara: whole bodies, streaming
// bodies, byte ranges and metadata probes, behind the [Net] interface so that
// callers (the progressive file downloader, the HLS fetcher) can be tested
// against fakes and decorated with timeouts and retries.
//
// [HttpClient] is the implementation over net/http. It shares one
// [http.Transport] between calls so connections are reused, asks for the
// identity encoding whenever byte offsets matter, validates Content-Range
// against what was asked, and resumes a streaming body that fails half-way
// with a range request from the first byte not yet delivered, guarded by the
// resource's ETag or Last-Modified so that a changed resource is reported as
// [ErrResourceChanged] instead of being spliced.
//
// Timeouts follow the Kithara original: calls that read a whole body
// (GetBytes, Head) have an overall deadline (30 s by default); streams have
// none, because a long download over a slow link is legitimate, but they have
// an open timeout (time to response headers) and an idle timeout (the longest
// a body may stall between two reads). A stalled body counts as a failure and
// is resumed like a cut connection.
//
// [WithRetry] and [WithTimeout] decorate any [Net]. Failures are classified
// by [IsRetryable]: timeouts, connection errors, 5xx, 408 and 429 are worth
// another try; other 4xx, malformed URLs, invalid responses and cancellation
// are not.
//
// The package is named net after the Rust crate it ports (kithara-net);
// importers that also need the standard library's net alias it as knet.
package net

//go:generate go tool hotpathgen
