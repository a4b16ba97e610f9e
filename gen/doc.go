// Package gen is hotpathgen as a library: it finds //hotpath: directives in
// Go packages, plans what to instrument, and renders the instrumented twin
// files (x.go -> x_hotpath.go) that the hotpath build tag selects.
//
// The pipeline is load -> find directives -> plan -> rewrite -> render. Every
// command of the CLI runs the same pipeline: generate writes its result, check
// compares it with the files on disk, diff prints it, list prints the plan.
// Nothing is written unless every package planned without error. The plan is
// complete before rewriting starts: every name a twin declares or a report
// shows is assigned while planning, so list reads the plan alone and the
// rewrite only reads it.
//
// # Files
//
// Each directive kind is one file behind the kind and unit interfaces of
// kind.go, listed in its registry (kinds): measure.go (//hotpath:measure on
// functions, methods and types, //hotpath:skip), block.go (//hotpath:block),
// channel.go (//hotpath:channel, with the package-wide rewrite of channel
// operations in chanrewrite.go), funclit.go (//hotpath:measure on function
// literals), goroutine.go (//hotpath:go) and mutex.go (//hotpath:mutex, with
// the package-wide rewrite of lock calls). Shared machinery: cache.go (the
// cache of clean packages), load.go (loading),
// planner.go (planning: finds directives and hands them to the units),
// index.go (what comments document, statements by line), names.go (symbols,
// identifiers), directive.go (parsing), errors.go, rewrite.go (runs the
// units' rewrites and declarations), runtimeapi.go (how twins name the
// runtime), render.go, linemap.go, constraint.go, write.go.
//
// # Adding a directive kind
//
// A new kind is one new file plus one line in the registry (kinds in
// kind.go); nothing else in the package changes. The file declares its
// verb constant(s) and a type implementing kind:
//
//   - verbs returns the verbs it owns and their arguments (label=NAME,
//     a positional label, the usage text of argument errors). The verb list
//     of messages, "did you mean" and argument checks read these. Several
//     kinds may own one verb (with the same arguments): a function-literal
//     kind owns "measure" beside the measure kind.
//   - newUnit returns the kind's planning state for one package (a unit).
//     Keep per-file targets in the unit, keyed by *FilePlan.
//
// The unit then gets, in this order:
//
//   - attach, for each directive of its verbs, with the syntax around it
//     (site): the declaration whose doc comment holds it (a FuncDecl,
//     TypeSpec, ValueSpec, struct Field or GenDecl), the statement on the next
//     line and the function body holding it, the function literal the comment
//     opens. It returns false when that syntax is not its target: the
//     directive goes to the next kind of the verb. When no kind claims it, the
//     error joins the kinds' hint texts with "; ".
//     Errors go through pkgPlan.errorf, with the directive's position.
//   - finish, once the whole package is attached: package-wide checks and
//     targets, such as the files whose operations on a marked object are
//     rewritten (pkgPlan.files, each with its syntax and the package's
//     types.Info).
//   - name, per file: every identifier and label, from the namer shared by
//     the file's kinds (FilePlan.finalLine gives the file:line a stack frame
//     shows, for default labels).
//   - needsTwin: whether the kind instruments the file.
//   - rewrite, per file with a twin: edit fileRewrite.df (dst), find the
//     dst node of a planned ast node with dstNode and back with astNode,
//     read types with info; name the runtime with fileRewrite.hp (runtimeSel).
//     Kinds rewrite in registry order: a kind whose targets the channel
//     rewrite moves goes before channel.
//   - declare: the twin's package-level variables, one "\tNAME = VALUE\n"
//     line each, as composite literals of the runtime's types.
//   - list: the file's entries for hotpathgen list (listItem).
//
// Add golden cases (testdata/gen/*.txtar) and bad-input cases
// (badinput_test.go) for the kind; kind_test.go shows a kind written
// against this interface alone.
package gen
