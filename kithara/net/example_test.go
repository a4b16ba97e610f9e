package net_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	knet "github.com/hotpath-go/hotpath/kithara/net"
)

// Example stacks the decorators over a client and reads a byte range.
func Example() {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "a.bin", time.Time{}, strings.NewReader("hello, range"))
	}))
	defer ts.Close()

	c := knet.NewHttpClient(knet.Options{})
	defer c.CloseIdleConnections()
	n := knet.WithRetry(knet.WithTimeout(c, 10*time.Second), knet.DefaultRetryPolicy())

	s, err := n.GetRange(context.Background(), ts.URL+"/a.bin", knet.Range{Start: 7}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Body.Close()
	b, err := io.ReadAll(s.Body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Status, s.Offset, s.ContentLength, s.Total, string(b))
	// Output: 206 7 5 12 range
}
