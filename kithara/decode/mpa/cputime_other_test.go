//go:build !unix

package mpa

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
