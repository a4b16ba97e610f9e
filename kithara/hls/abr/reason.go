package abr

import "fmt"

// Reason says why a Decision chose its target.
type Reason int

// Decision reasons.
const (
	// ReasonInitial: the variant playback starts with.
	ReasonInitial Reason = iota
	// ReasonManual: Manual mode, or a variant forced by the user.
	ReasonManual
	// ReasonMinInterval: the last switch was less than MinSwitchInterval ago.
	ReasonMinInterval
	// ReasonNoEstimate: no throughput sample has counted yet.
	ReasonNoEstimate
	// ReasonAlreadyOptimal: the candidate is the current variant.
	ReasonAlreadyOptimal
	// ReasonUpSwitch: switching to a higher variant.
	ReasonUpSwitch
	// ReasonBufferTooLowForUp: a higher variant fits the estimate but the
	// buffer is under MinBufferForUpSwitch.
	ReasonBufferTooLowForUp
	// ReasonInsufficientHeadroom: a higher variant fits estimate*SafetyFactor
	// but none has UpHysteresis headroom.
	ReasonInsufficientHeadroom
	// ReasonDownLowBuffer: switching down because the buffer is at or under
	// DownSwitchBuffer.
	ReasonDownLowBuffer
	// ReasonDownThroughput: switching down because the estimate is at or
	// under DownHysteresis times the current bandwidth.
	ReasonDownThroughput
	// ReasonWithinHysteresis: a lower variant is the candidate, but the
	// buffer and the estimate do not justify leaving the current one yet.
	ReasonWithinHysteresis
)

var reasonNames = [...]string{
	ReasonInitial:              "initial",
	ReasonManual:               "manual",
	ReasonMinInterval:          "min-interval",
	ReasonNoEstimate:           "no-estimate",
	ReasonAlreadyOptimal:       "already-optimal",
	ReasonUpSwitch:             "up-switch",
	ReasonBufferTooLowForUp:    "buffer-too-low-for-up",
	ReasonInsufficientHeadroom: "insufficient-headroom",
	ReasonDownLowBuffer:        "down-low-buffer",
	ReasonDownThroughput:       "down-throughput",
	ReasonWithinHysteresis:     "within-hysteresis",
}

// String returns the reason in kebab case ("down-low-buffer").
func (r Reason) String() string {
	if r >= 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}
