package gen

// The goroutine kind's bad input, run by TestBadInput with the other kinds'.
func init() {
	badCases = append(badCases, badCase{
		name: "gobad",
		files: `
-- gobad.go --
package gobad

import "sync"

//hotpath:go
func F() {}

// G is generic.
func G[T any](v T) {}

func nine(a, b, c, d, e, f, g, h, i int) {}

func four() (int, int, int, int) { return 1, 2, 3, 4 }

func work(wg *sync.WaitGroup) { wg.Done() }

func H(ch chan int, wg *sync.WaitGroup) {
	//hotpath:go
	work(wg)
	//hotpath:go
	defer work(wg)
	//hotpath:go
	go close(ch)
	//hotpath:go
	go G(1)
	//hotpath:go
	go nine(1, 2, 3, 4, 5, 6, 7, 8, 9)
	//hotpath:go
	go four()
	//hotpath:go
	//hotpath:go label=twice
	go work(wg)
	//hotpath:go lable=x
	go work(wg)
	//hotpath:go label=ok
	go G[int](1)
	//hotpath:go
	x := 1
	_ = x
}
`,
		want: `
gobad/gobad.go:5:1: //hotpath:go must be on the line before a go statement inside a function body
gobad/gobad.go:18:2: //hotpath:go must be on the line before a go statement; the next line holds a call (add go, or move the directive)
gobad/gobad.go:20:2: //hotpath:go must be on the line before a go statement; the next line holds a defer statement
gobad/gobad.go:22:2: //hotpath:go: the go statement runs the builtin close, which has no function value to wrap; watch a function that calls it: go func() { close(...) }()
gobad/gobad.go:24:2: //hotpath:go: the go statement calls the generic function G with inferred type arguments; write them out (go G[T](...)) so that the twin can take the function value
gobad/gobad.go:26:2: //hotpath:go: the go statement calls a function of 9 parameters and 0 results; the runtime watches functions of up to 8 parameters and 3 results (pass a struct, or start a function literal that makes the call)
gobad/gobad.go:28:2: //hotpath:go: the go statement calls a function of 0 parameters and 4 results; the runtime watches functions of up to 8 parameters and 3 results (pass a struct, or start a function literal that makes the call)
gobad/gobad.go:31:2: two //hotpath:go directives on one go statement
gobad/gobad.go:33:15: //hotpath:go: unknown option "lable" (usage: //hotpath:go [label=NAME])
gobad/gobad.go:37:2: //hotpath:go must be on the line before a go statement; the next line holds an assignment
`,
	})
}
