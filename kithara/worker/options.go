package worker

// Default channel capacities. Four commands leave room for a burst of seeks
// without blocking the consumer; four items is the prefetch depth Kithara's
// byte reader uses.
const (
	DefaultCommandCapacity = 4
	DefaultDataCapacity    = 4
)

// Option configures a worker at construction.
type Option func(*config)

type config struct {
	cmdCap  int
	dataCap int
}

// WithCommandCapacity sets the capacity of the command channel. Zero makes
// every command send wait for the worker; negative values are ignored.
func WithCommandCapacity(n int) Option {
	return func(c *config) {
		if n >= 0 {
			c.cmdCap = n
		}
	}
}

// WithDataCapacity sets the capacity of the data channel: how many items the
// worker may produce ahead of the consumer. Negative values are ignored.
func WithDataCapacity(n int) Option {
	return func(c *config) {
		if n >= 0 {
			c.dataCap = n
		}
	}
}

func newConfig(opts []Option) config {
	c := config{cmdCap: DefaultCommandCapacity, dataCap: DefaultDataCapacity}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}
