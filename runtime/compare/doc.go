// Package compare compares hotpath reports of a base and a head build, run
// by run, and says which functions got slower or faster, which allocate
// more or less, which channels block and which mutexes wait differently,
// which goroutines started or stopped panicking, and what appeared or
// disappeared. It is the library behind
// "hotpathgen compare"; the command only reads files and prints.
//
// # Matching
//
// Reports are matched by name ([hotpath.Report.Name]; hotpathtest names a
// test's guard after the test). Several reports of one name on one side
// are runs of the same workload. When each side holds reports of a single
// name, they are compared whatever the names are, so that two files from
// differently named programs can be compared. Within a report, functions
// and blocks are matched by kind and name; channels, mutexes and goroutine
// sites (go statements) by label. A row on one side only is new or
// removed. The default labels of channels and go statements hold a line
// number, so a make or go statement that moved shows as removed and new;
// label= in the directive keeps it one row across edits.
//
// # Values
//
// A side's value of a row is the median over the runs in which the row
// appears; calls, avg, the percentile and total are shown for both sides
// with the relative change. The metric (Options.Metric: avg, a percentile
// such as p95, or total) decides timing verdicts; runs that timed no call
// (sampling) carry no value for it.
//
// # Verdicts for functions and blocks
//
// Timing: let b and h be the medians of the metric over the base and head
// runs and T the threshold (default 10%).
//
//   - With two runs or more on each side, the per-run values are compared
//     with a two-sided Mann–Whitney U test ([MannWhitney]; exact for up to
//     50 values, ties included, normal approximation beyond). A row
//     regresses when h > b·(1+T) and p < alpha (default 0.05), and improves
//     when h < b·(1−T) and p < alpha. Everything else is unchanged: noise
//     that large is not evidence. The test needs enough runs to be able to
//     say anything: with n and m runs the smallest p-value is 2/C(n+m, n),
//     so 3 runs a side can never reach 0.05 (Result.Warnings says so);
//     use 4 or more, 5 is a good default.
//   - With a single run on either side there is no spread to test: the
//     threshold alone decides, and the output says the verdict is not
//     significance-tested.
//
// Calls: a change in the number of calls is shown and flagged
// (FuncDelta.CallsChanged) but is never a regression by itself: a test
// that does more work is not slower. Pick avg or a percentile, not total,
// when call counts are expected to change.
//
// Allocations, when every report on both sides was made in allocation
// mode (HOTPATH_ALLOC=1): inclusive bytes per call, median over runs. The
// same work allocates the same bytes, so there is no test: a row regresses
// when its bytes per call grow by more than T and by at least 8 bytes (one
// smallest size class; less is a one-off allocation spread over the
// calls), and improves on the mirror condition. Timings in allocation mode
// include the cost of recording allocations on both sides alike.
//
// A row is a regression when its timing or its allocations regress, else
// an improvement when either improves; FuncDelta.Reasons says which.
//
// # Verdicts for channels
//
// Channels are shown with sent, received, blocked counts and blocked time
// (send and receive together). Their blocked time, judged as timing is,
// can mark a channel changed, never regressed: more blocking on a channel
// is as often a faster producer as a slower consumer, and the functions on
// either side carry the verdict that matters. Blocking where the base
// never blocked is a change too.
//
// # Verdicts for mutexes
//
// Mutexes are shown with write and read acquisitions (Locks, RLocks), the
// contended ones of either mode, the wait time of those (write and read
// together) and the time held (write holds plus read-held periods). The
// wait time, the contention, is judged as a channel's blocked time is and
// can mark a mutex changed, never regressed: more waiting is as often more
// work done in parallel as a longer critical section, and the functions
// that hold the lock carry the timing verdict. Acquisitions and hold time
// are shown, not judged. A mutex whose type differs between the sides is
// compared, with a note.
//
// # Verdicts for goroutines
//
// Goroutine sites are shown with goroutines started, the runs in which one
// panicked, alive at the report and at most at once, and the average and
// total lifetime of those that ended. A site is changed when its
// goroutines panic in some run of one side and in no run of the other: a
// panic is no noise to be tested, and a panicking run is worth a look
// even when the median of panics is 0. Every panic is noted. Lifetimes
// are shown, not judged: a goroutine's lifetime is the work of its
// function, which the function rows inside it judge call by call, plus
// waits that channels and mutexes show; and a long-lived worker's lifetime
// is the length of the run, or none when it outlives the report. Counts
// follow the work done, as call counts do.
//
// Summary counts the changed channels, mutexes and goroutine sites apart
// (ChannelsChanged, MutexesChanged, GoroutinesChanged); New and Removed
// count rows of every kind. Nothing but a function can be a regression, so
// only functions decide the exit status of "hotpathgen compare".
package compare
