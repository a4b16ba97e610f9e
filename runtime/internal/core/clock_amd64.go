package core

// rdtsc reads the processor's time-stamp counter.
func rdtsc() uint64

// cpuid executes CPUID for leaf (sub-leaf 0).
func cpuid(leaf uint32) (eax, ebx, ecx, edx uint32)

// tscAvailable reports whether the time-stamp counter is invariant: it
// ticks at a constant rate in every power state and on every core
// (CPUID leaf 0x80000007, EDX bit 8). Without that the counter cannot
// measure durations.
func tscAvailable() (bool, string) {
	if max, _, _, _ := cpuid(0x80000000); max < 0x80000007 {
		return false, "the processor does not report whether its TSC is invariant"
	}
	if _, _, _, edx := cpuid(0x80000007); edx&(1<<8) == 0 {
		return false, "the processor's TSC is not invariant"
	}
	return true, ""
}
