package core

// Sender is the send side of a channel, for generated code. A send
// statement assigns its value to the channel's element type; a call
// Send(ch, v) instead asks type inference to agree on both arguments, which
// fails when v is assignable to the element type without being of it (an
// error sent on a chan any, say). SendTo(ch).Send(v) takes the element type
// from the channel alone and assigns v to it, exactly as the statement does.
type Sender[E any] struct{ ch chan<- E }

// SendTo returns the send side of ch.
func SendTo[E any](ch chan<- E) Sender[E] { return Sender[E]{ch} }

// Send is ch <- v, counted when ch is watched.
func (s Sender[E]) Send(v E) { Send(s.ch, v) }

// Value returns v as the element type: generated selects evaluate a send
// case's value once, on entry, into a variable of that type.
func (s Sender[E]) Value(v E) E { return v }

// SendAt is ch <- v at the operation op, counted when ch is watched.
func (s Sender[E]) SendAt(op *ChanOp, v E) { SendAt(op, s.ch, v) }
