package tests

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a test leaves a goroutine behind: workers,
// drivers, downloads and HTTP connections must all end with their owners.
// It is in both builds because the benchmarks and the helper tests start
// goroutines too. The profiling tests write their reports through their own
// guards (see profileGuard), so that each test's report is its own.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
