module github.com/hotpath-go/hotpath

go 1.26.0

require (
	github.com/Eyevinn/mp4ff v0.50.0
	github.com/HdrHistogram/hdrhistogram-go v1.4.0
	github.com/asticode/go-astits v1.13.0
	github.com/aymanbagabas/go-udiff v0.4.1
	github.com/dave/dst v0.28.0
	github.com/go-audio/audio v1.0.0
	github.com/go-audio/wav v1.1.0
	github.com/google/go-cmp v0.7.0
	github.com/hajimehoshi/go-mp3 v0.3.4
	github.com/mewkiz/flac v1.0.14
	github.com/rogpeppe/go-internal v1.16.0
	github.com/spf13/cobra v1.10.2
	go.uber.org/goleak v1.3.0
	golang.org/x/tools v0.52.0
)

require (
	github.com/asticode/go-astikit v0.30.0 // indirect
	github.com/go-audio/riff v1.0.0 // indirect
	github.com/icza/bitio v1.1.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/mewkiz/pkg v0.0.0-20250417130911-3f050ff8c56d // indirect
	github.com/mewpkg/term v0.0.0-20241026122259-37a80af23985 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

tool github.com/hotpath-go/hotpath/cmd/hotpathgen
