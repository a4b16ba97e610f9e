package stream_test

import (
	"context"
	"fmt"
	"io"

	"github.com/hotpath-go/hotpath/kithara/stream"
)

func ExampleNewSyncReader() {
	src := stream.NewMemSource([]byte("RIFF....WAVEfmt data"))
	r := stream.NewSyncReader(context.Background(), src)
	defer r.Close()

	magic := make([]byte, 4)
	if _, err := io.ReadFull(r, magic); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := r.Seek(-4, io.SeekEnd); err != nil {
		fmt.Println(err)
		return
	}
	tail, err := io.ReadAll(r)
	fmt.Printf("%s %s %v\n", magic, tail, err)
	// Output: RIFF data <nil>
}
