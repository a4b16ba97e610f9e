package main

import (
	"io"
	"net/http"
	"sync/atomic"

	knet "github.com/hotpath-go/hotpath/kithara/net"
)

// countingTransport counts the requests it sends and the response body
// bytes read through it: what the player took from the network.
type countingTransport struct {
	base     *http.Transport
	requests atomic.Int64
	bytes    atomic.Int64
}

func newCountingTransport() *countingTransport {
	base := http.DefaultTransport.(*http.Transport).Clone()
	// As kithara/net does for its own transport: the HLS fetcher overlaps
	// playlist, key and segment requests to one host.
	base.MaxIdleConnsPerHost = knet.DefaultMaxIdleConnsPerHost
	return &countingTransport{base: base}
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.requests.Add(1)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.bytes}
	return resp, nil
}

// CloseIdleConnections ends the kept-alive connections, and with them
// their goroutines.
func (t *countingTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
