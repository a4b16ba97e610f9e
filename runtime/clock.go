package hotpath

import "time"

// clockBase anchors the monotonic clock. time.Since on a Time that carries a
// monotonic reading costs one read of the runtime's nanotime and a
// subtraction, about half of time.Now, which reads the wall clock as well.
var clockBase = time.Now()

// nanotime returns monotonic nanoseconds since clockBase.
func nanotime() int64 { return int64(time.Since(clockBase)) }
