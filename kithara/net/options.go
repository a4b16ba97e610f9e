package net

import (
	"net/http"
	"time"
)

// Defaults applied by [NewHttpClient] to zero fields of [Options].
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultOpenTimeout    = 30 * time.Second
	DefaultIdleTimeout    = 30 * time.Second
	DefaultMaxBodySize    = 64 << 20
	// DefaultMaxIdleConnsPerHost is the idle connection pool per host of the
	// Transport NewHttpClient builds; net/http's default of 2 is too small
	// for an HLS fetcher that overlaps segment downloads.
	DefaultMaxIdleConnsPerHost = 8
)

// Options configure an [HttpClient]. A zero field takes its default; a
// negative duration or size disables that limit.
type Options struct {
	// Client sends the requests. When nil, NewHttpClient builds one with its
	// own clone of http.DefaultTransport. A Client with a Timeout bounds
	// streams too, which defeats the stream timeouts below.
	Client *http.Client
	// RequestTimeout bounds a whole GetBytes or Head call, reading the body
	// (and any resumes) included. Default 30 s.
	RequestTimeout time.Duration
	// OpenTimeout bounds the wait for response headers when a stream (or a
	// resume of one) is opened. Streams have no overall deadline, because a
	// long download over a slow link is legitimate. Default 30 s.
	OpenTimeout time.Duration
	// IdleTimeout is the longest a stream body may stall between two reads
	// from the network. A stall fails the current response, which is then
	// resumed like a cut connection. Default 30 s, the Kithara original's
	// inactivity timeout.
	IdleTimeout time.Duration
	// MaxBodySize bounds the body GetBytes accepts. Default 64 MiB.
	MaxBodySize int64
	// Resume governs resuming a body that fails half-way: its MaxRetries
	// bounds the resumes of one body and its delays space them. Nil means
	// DefaultRetryPolicy(); a policy with MaxRetries 0 disables resuming.
	Resume *RetryPolicy
}

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Client == nil {
		t := &http.Transport{Proxy: http.ProxyFromEnvironment}
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			t = dt.Clone()
		}
		t.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
		o.Client = &http.Client{Transport: t}
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.OpenTimeout == 0 {
		o.OpenTimeout = DefaultOpenTimeout
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxBodySize == 0 {
		o.MaxBodySize = DefaultMaxBodySize
	}
	if o.Resume == nil {
		p := DefaultRetryPolicy()
		o.Resume = &p
	}
	return o
}
